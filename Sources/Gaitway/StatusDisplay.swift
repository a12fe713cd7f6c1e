import BLEHost
import BLEWire
import Dissector
import Foundation
import GatewayPipeline
import Logging

/// What the gateway shows on a terminal while it runs: a table of devices and their latest
/// values redrawn once a second (from the BLE thread's ``GatewaySnapshot``) with the last
/// log lines under it. Off a terminal the log handler writes JSON lines instead
/// (`GatewayLogging`).
final class StatusDisplay {
    let enabled: Bool
    var lastDraw = -Double.infinity
    var recentLines: [String] = []
    var drew = false

    init(enabled: Bool) { self.enabled = enabled }

    func log(_ level: Logger.Level, _ message: String) {
        recentLines.append("\(level): \(message)")
        if recentLines.count > 6 { recentLines.removeFirst(recentLines.count - 6) }
        if !drew { write(message + "\n") }
    }

    func refresh(_ snapshot: GatewaySnapshot) {
        let now = snapshot.time
        guard enabled, now - lastDraw >= 1 else { return }
        lastDraw = now
        drew = true
        var text = "\u{1B}[H\u{1B}[2J"
        let statistics = snapshot.statistics
        text += "gaitway gateway  \(Self.iso8601(now))   Ctrl-C stops and commits\n"
        text += "\(snapshot.connected) connected · \(snapshot.heard) heard · \(statistics.values) values · "
            + "\(statistics.advertisements) adverts · \(snapshot.committedSamples) samples committed · "
            + "\(statistics.malformedPayloads) malformed\n\n"
        let columns = ["address", "name", "state", "heart rate", "RR", "SpO2", "force[0]", "cadence", "battery", "seen"]
        let widths = [17, 16, 10, 10, 8, 6, 9, 8, 7, 6]
        func row(_ cells: [String]) -> String {
            zip(cells, widths).map { cell, width in
                cell.count >= width ? String(cell.prefix(width)) : cell + String(repeating: " ", count: width - cell.count)
            }.joined(separator: " ") + "\n"
        }
        text += row(columns)
        for device in snapshot.devices.sorted(by: { $0.address < $1.address }) {
            func value(_ quantity: String, _ format: String = "%.0f") -> String {
                guard let latest = device.latest[quantity] else { return "-" }
                return String(format: format, latest.value)
            }
            let state = device.quarantinedAt != nil ? "quarantine" : device.connected ? (device.subscribed ? "streaming" : "discover") : "advert"
            let seen = device.lastSeen.map { "\(max(0, Int(now - $0)))s" } ?? "-"
            text += row([device.address.description, device.name ?? "", state, value("heart_rate"),
                         value("rr_interval", "%.3f"), value("spo2"), value("plantar_force", "%.1f"),
                         value("cadence"), value("battery_level"), seen])
        }
        if !recentLines.isEmpty { text += "\n" + recentLines.joined(separator: "\n") + "\n" }
        write(text)
    }

    /// The table stops; later log lines (the summary) are printed as they come.
    func finish() {
        if enabled && drew { write("\n") }
        drew = false
    }

    func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// A JSON string literal (BLEWire's escaping, shared with the decoder and ground truth).
    static func quoted(_ text: String) -> String { String(decoding: JSONText.quoted(text), as: UTF8.self) }

    static func iso8601(_ seconds: Double) -> String {
        ISO8601Time.format(micros: Int64((seconds * 1_000_000).rounded()), fractionDigits: 0)
    }
}
