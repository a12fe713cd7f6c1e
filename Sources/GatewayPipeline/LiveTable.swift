import BLEWire
import Dissector
import Foundation

/// The live table as lines of text: a pure function of a ``GatewaySnapshot`` and the
/// terminal's size, so that what an operator sees is tested without a terminal.
///
/// ```
/// gaitway gateway 2026-12-02T20:15:42Z  64 connected, 132 waiting, 196 heard   Ctrl-C stops
/// 22834 values · 48518 adverts · 1144205 samples committed · 0 malformed
/// wearer         cad stride stance     si   hr rmssd spo2  age
/// runner         112   1.07     38   +1.2  142    38   98   0s
/// device   name          kind   link   rssi drop gap  bat latest values, age
/// E5:40:78 Band 4078     band   stream  -66    0   0 100% hr 95 rr 0.63 spo2 98.1 pr 95 0s +5
/// 58:6F:B1 Insole R 6FB1 insole stream  -66    0   6 100% cad 122 spd 1.29 stride 1.27 0s +5
/// ...
/// +164 more: 32 connected, 132 waiting
/// ```
///
/// Every line fits `width` columns. One line per wearer (configured, or an insole pair that
/// advertises itself) with their gait and heart, then one line per device: its link (state, RSSI, drops,
/// sequence gaps), battery, then every quantity it sent with the latest value, values of
/// the same age sharing it (`hr 142 rr 0.42 1s`). Values that do not fit go on
/// continuation lines while rows are to spare, else are counted (`+2`). With more devices
/// than rows, the header and the totals stay and the rows show the devices that matter
/// most (quarantined, then streaming, then the rest, each by address, so rows do not
/// jump), with one line counting the others by state.
public struct LiveTable: Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int = 100, height: Int = 40) {
        self.width = max(width, 40)
        self.height = max(height, 6)
    }

    /// The table for `snapshot`, then up to `log.count` of the last log lines where rows
    /// are left; never more than `height` lines, none wider than `width`.
    public func lines(_ snapshot: GatewaySnapshot, log: [String] = []) -> [String] {
        let devices = snapshot.devices.sorted { Self.order($0, $1) }
        let waiting = snapshot.devices.count { $0.waiting }
        var title = "gaitway gateway \(Self.iso8601(snapshot.time))  \(snapshot.connected) connected, "
            + "\(waiting) waiting, \(snapshot.heard) heard"
        // The hint goes where it fits: the counts matter more.
        for hint in ["   Ctrl-C stops and commits", "   Ctrl-C stops"] where title.count + hint.count <= width {
            title += hint
            break
        }
        var lines = [title, totals(snapshot)]
        if let uplink = snapshot.uplink { lines.append(Self.line(uplink)) }
        // The wearers (a third of the rows at most: the devices are what an operator fixes).
        if !snapshot.wearers.isEmpty {
            let shown = min(snapshot.wearers.count, max(1, (height - 4) / 3))
            lines.append(Self.wearerHeader)
            lines += snapshot.wearers.prefix(shown).map { Self.row($0, now: snapshot.time) }
            if snapshot.wearers.count > shown { lines[lines.count - 1] = "+\(snapshot.wearers.count - shown + 1) more wearers" }
        }
        lines.append(Self.header)
        // Rows left after the header, the last log lines (3, where 10 rows or more remain:
        // a warning matters more than the 38th device) and a summary line if some devices
        // do not fit.
        let logLines = Array(log.suffix(height - lines.count >= 10 ? 3 : 0))
        var rows = height - lines.count - logLines.count
        if devices.count > rows { rows = max(0, rows - 1) }
        // Rows to spare let a device's values continue on a second line rather than be cut.
        var spare = max(0, rows - devices.count)
        for device in devices.prefix(rows) {
            let deviceLines = self.rows(device, now: snapshot.time, lines: 1 + spare)
            spare -= deviceLines.count - 1
            lines += deviceLines
        }
        if devices.count > rows { lines.append(Self.summary(devices.dropFirst(rows))) }
        lines += logLines
        return lines.map { Self.fit($0, width) }
    }

    func totals(_ snapshot: GatewaySnapshot) -> String {
        let statistics = snapshot.statistics
        var text = "\(statistics.values) values · \(statistics.advertisements) adverts · "
            + "\(snapshot.committedSamples) samples committed · \(statistics.malformedPayloads) malformed"
        if statistics.shedPayloads > 0 { text += " · \(statistics.shedPayloads) shed" }
        if statistics.quarantinedDevices > 0 { text += " · \(statistics.quarantinedDevices) quarantined" }
        if snapshot.pendingBatches > 1 { text += " · \(snapshot.pendingBatches) batches wait" }
        if let error = snapshot.storeError { text += " · store: \(error)" }
        return text
    }

    /// The uplink's line: its state, what it delivered, what waits (the lag is how old the
    /// oldest undelivered row is) and its last failure while it lasts.
    public static func line(_ uplink: UplinkStatus) -> String {
        var text = "upload \(uplink.state.rawValue) · \(uplink.deliveredSamples) samples delivered in "
            + "\(uplink.deliveredBatches) batches"
        let backlog = uplink.backlog
        if !backlog.isEmpty {
            text += " · backlog \(backlog.samples) samples, \(backlog.events + backlog.metricRecords) rows, lag "
                + Self.age(uplink.lagSeconds)
        }
        if uplink.parkedBatches > 0 { text += " · \(uplink.parkedBatches) parked" }
        if let error = uplink.lastError { text += " · \(error)" }
        return text
    }

    // MARK: Rows

    /// Column widths: device (the address's last three octets), name, kind, link state,
    /// RSSI, drops, sequence gaps, battery; the values take the rest of the line.
    static let columns = [8, 13, 6, 6, 4, 4, 3, 4]
    static let header = cells(["device", "name", "kind", "link", "rssi", "drop", "gap", "bat"], right: 4...7)
        + " latest values, age"

    static func cells(_ texts: [String], widths: [Int] = columns, right: ClosedRange<Int>) -> String {
        zip(texts, widths).enumerated().map { index, cell in
            let (text, width) = cell
            let cut = String(text.prefix(width))
            let pad = String(repeating: " ", count: width - cut.count)
            return right.contains(index) ? pad + cut : cut + pad
        }.joined(separator: " ")
    }

    /// The device's row, and up to `lines - 1` continuation lines for its values.
    func rows(_ device: DeviceStatus, now: Double, lines: Int) -> [String] {
        let address = device.address.description
        let battery = device.latest["battery_level"].map { "\(Int($0.value.rounded()))%" } ?? "-"
        let start = Self.cells([String(address.suffix(8)), Self.shortName(device.name, Self.columns[1]), Self.kind(device),
                                Self.state(device), device.rssi.map { "\($0)" } ?? "-", "\(device.drops)",
                                "\(device.sequenceGaps)", battery],
                               right: 4...7) + " "
        let values = Self.wrap(Self.groups(device, now: now), width: width - start.count, lines: lines)
        let indent = String(repeating: " ", count: start.count)
        return values.enumerated().map { index, text in (index == 0 ? start : indent) + text }
    }

    /// Every quantity but the battery (a column of its own), the most telling first, as
    /// `(age, items)` groups of the same age: `hr 142 rr 0.42` at `1s`. The three axes of
    /// an accelerometer or gyroscope make one item (`a 0.1/9.8/0.2`).
    static func groups(_ device: DeviceStatus, now: Double) -> [(age: String, items: [String])] {
        var latest = device.latest
        latest["battery_level"] = nil
        var items: [(rank: Int, name: String, text: String, time: Double)] = []
        for (prefix, short) in [("accel", "a"), ("gyro", "g")] {
            let axes = ["_x", "_y", "_z"].compactMap { latest[prefix + $0] }
            guard axes.count == 3 else { continue }
            for axis in ["_x", "_y", "_z"] { latest[prefix + axis] = nil }
            items.append((ranks.count + 1, prefix, short + " " + axes.map { number($0.value) }.joined(separator: "/"),
                          axes.map(\.time).max()!))
        }
        for (quantity, value) in latest {
            items.append((rank(quantity), quantity, abbreviation(quantity) + " " + number(value.value), value.time))
        }
        items.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.name < $1.name }
        var groups: [(age: String, items: [String])] = []
        for item in items {
            let age = Self.age(now - item.time)
            if let last = groups.indices.last, groups[last].age == age {
                groups[last].items.append(item.text)
            } else {
                groups.append((age, [item.text]))
            }
        }
        return groups
    }

    /// Lays the groups out on at most `lines` lines of `width`: ` · ` between groups, each
    /// line's items followed by their age; `+N` on the last line counts the items left out.
    static func wrap(_ groups: [(age: String, items: [String])], width: Int, lines maximum: Int) -> [String] {
        let total = groups.reduce(0) { $0 + $1.items.count }
        var lines: [String] = []
        var line = ""
        var placed = 0
        var lineAge: String?  // the age the line's last item still owes
        func endLine() {
            if let age = lineAge { line += " " + age }
            lines.append(line)
            line = ""
            lineAge = nil
        }
        outer: for group in groups {
            for (index, item) in group.items.enumerated() {
                while true {
                    let separator = line.isEmpty ? "" : index == 0 ? " · " : " "
                    let closing = index == 0 && lineAge != nil ? " " + lineAge! : ""
                    let piece = closing + separator + item
                    let isFinalLine = lines.count == maximum - 1
                    // Room for this item's age, and on the last line for the `+N` of the rest.
                    let reserve = 1 + group.age.count + (isFinalLine && placed + 1 < total ? 5 : 0)
                    if line.count + piece.count + reserve <= width || line.isEmpty && !isFinalLine {
                        line += piece
                        lineAge = group.age
                        placed += 1
                        break
                    }
                    if isFinalLine || line.isEmpty { break outer }
                    endLine()
                }
            }
        }
        if placed < total {
            if let age = lineAge { line += " " + age }
            lineAge = nil
            line += (line.isEmpty ? "" : " ") + "+\(total - placed)"
        }
        if !line.isEmpty || lines.isEmpty { endLine() }
        if lines == [""] { return ["-"] }
        return lines
    }

    /// A name that fits `width`: its last words (`Gaitway Insole L` -> `Insole L`), which
    /// tell devices of one vendor apart, else its first characters.
    static func shortName(_ name: String?, _ width: Int) -> String {
        guard var name, !name.isEmpty else { return "-" }
        while name.count > width, let space = name.firstIndex(of: " ") {
            name = String(name[name.index(after: space)...])
        }
        return name
    }

    // MARK: Wearers

    /// Cadence (steps/min), the latest stride time (s), stance share (%), stride time
    /// symmetry index (%), then the wristband's heart rate, 5-minute RMSSD (ms) and SpO2 (%),
    /// and the age of the latest stride.
    static let wearerColumns = [13, 4, 6, 6, 6, 4, 5, 4, 4]
    static let wearerHeader = wearerCells(["wearer", "cad", "stride", "stance", "si", "hr", "rmssd", "spo2", "age"])

    static func wearerCells(_ texts: [String]) -> String { cells(texts, widths: wearerColumns, right: 1...8) }

    static func row(_ wearer: WearerStatus, now: Double) -> String {
        func show(_ value: Double?, _ format: String = "%.0f") -> String { value.map { String(format: format, $0) } ?? "-" }
        return wearerCells([
            shortName(wearer.name, wearerColumns[0]), show(wearer.cadence), show(wearer.strideTime, "%.2f"),
            show(wearer.stancePercent), show(wearer.strideTimeSymmetry, "%+.1f"), show(wearer.heartRate?.value),
            show(wearer.rmssd?.value), show(wearer.spo2?.value), wearer.gaitTime.map { age(now - $0) } ?? "-",
        ])
    }

    // MARK: Summary

    /// `+87 more: 80 connected, 7 waiting`: the devices without a row, by state.
    static func summary(_ rest: ArraySlice<DeviceStatus>) -> String {
        var counts: [(String, Int)] = []
        func count(_ name: String, _ matches: (DeviceStatus) -> Bool) {
            let number = rest.count(where: matches)
            if number > 0 { counts.append((name, number)) }
        }
        count("quarantined") { $0.quarantinedAt != nil }
        count("connected") { $0.quarantinedAt == nil && $0.connected }
        count("waiting") { $0.quarantinedAt == nil && !$0.connected && $0.waiting }
        count("advertising") { $0.quarantinedAt == nil && !$0.connected && !$0.waiting }
        return "+\(rest.count) more: " + counts.map { "\($1) \($0)" }.joined(separator: ", ")
    }

    /// Quarantined devices first (they need attention), then connected, waiting and heard
    /// ones, each by address.
    static func order(_ left: DeviceStatus, _ right: DeviceStatus) -> Bool {
        let (a, b) = (importance(left), importance(right))
        return a != b ? a < b : left.address < right.address
    }

    static func importance(_ device: DeviceStatus) -> Int {
        if device.quarantinedAt != nil { return 0 }
        if device.connected { return device.subscribed ? 1 : 2 }
        return device.waiting ? 3 : 4
    }

    static func state(_ device: DeviceStatus) -> String {
        if device.quarantinedAt != nil { return "quarnt" }
        if device.connected { return device.subscribed ? "stream" : "discov" }
        if device.waiting { return "wait" }
        return device.drops > 0 ? "down" : "advert"
    }

    /// What the device is, from what it sends.
    static func kind(_ device: DeviceStatus) -> String {
        let sent = device.latest
        if sent["plantar_force"] != nil { return "insole" }
        if sent["heart_rate"] != nil || sent["ppg"] != nil || sent["spo2"] != nil { return "band" }
        if sent["cadence"] != nil || sent["speed"] != nil { return "pod" }
        if sent.isEmpty { return "-" }
        return "sensor"
    }

    // MARK: Values

    /// Short names for the quantities of Protocols/*.yaml; others keep their own name.
    static let abbreviations: [String: String] = [
        "heart_rate": "hr", "rr_interval": "rr", "spo2": "spo2", "pulse_rate": "pr", "cadence": "cad",
        "speed": "spd", "stride_length": "stride", "distance": "dist", "plantar_force": "force",
        "body_temperature": "temp", "temperature": "temp", "step_count": "steps", "energy_expended": "kJ",
        "accel_x": "ax", "accel_y": "ay", "accel_z": "az", "gyro_x": "gx", "gyro_y": "gy", "gyro_z": "gz",
        "humidity": "hum", "pressure": "pres",
    ]
    /// The order values are shown in (what an operator looks at first); others follow by name.
    static let ranks = ["heart_rate", "rr_interval", "spo2", "pulse_rate", "cadence", "speed", "stride_length",
                        "distance", "step_count", "body_temperature", "temperature", "energy_expended",
                        "plantar_force", "ppg"]

    static func abbreviation(_ quantity: String) -> String { abbreviations[quantity] ?? quantity }

    static func rank(_ quantity: String) -> Int { ranks.firstIndex(of: quantity) ?? ranks.count }

    /// At most about four characters of precision: `142`, `97.5`, `0.42`, `10k`, `-3.1`.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let magnitude = abs(value)
        if magnitude >= 1_000_000 { return String(format: "%.0fM", value / 1_000_000) }
        if magnitude >= 10_000 { return String(format: "%.0fk", value / 1000) }
        if magnitude >= 100 || value == value.rounded() { return String(format: "%.0f", value) }
        var text = String(format: magnitude >= 10 ? "%.1f" : "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// `0s`, `42s`, `3m`, `5h`, `2d`.
    static func age(_ seconds: Double) -> String {
        let whole = max(0, Int(seconds))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m" }
        if whole < 86400 { return "\(whole / 3600)h" }
        return "\(whole / 86400)d"
    }

    static func fit(_ line: String, _ width: Int) -> String {
        line.count <= width ? line : String(line.prefix(width - 1)) + "…"
    }

    static func iso8601(_ seconds: Double) -> String {
        ISO8601Time.format(micros: Int64((seconds * 1_000_000).rounded()), fractionDigits: 0)
    }
}
