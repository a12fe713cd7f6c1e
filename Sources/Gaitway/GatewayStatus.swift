import BLEWire
import Dissector
import Foundation
import Glibc
import GatewayPipeline
import Logging
import ServiceLifecycle
import Synchronization

/// The status display shared by the log handler (any thread) and the status service.
final class SharedDisplay: Sendable {
    let display: Mutex<StatusDisplay>
    let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled
        display = Mutex(StatusDisplay(enabled: enabled))
    }
}

/// The status service: renders the snapshots the BLE thread offers (at most one a second,
/// the newest wins) as the live table on a terminal, or as a summary log line every ten
/// seconds otherwise. Rendering and writing to the terminal happen here, not on the BLE thread.
final class StatusService: Service, @unchecked Sendable {
    // @unchecked: `lastOffer` is touched only by the BLE thread (offer); the rest is Sendable.
    let shared: SharedDisplay
    let snapshots: AsyncStream<GatewaySnapshot>
    let continuation: AsyncStream<GatewaySnapshot>.Continuation
    var lastOffer = -Double.infinity
    let logger = Logger(label: "gaitway.status")

    init(display: SharedDisplay) {
        shared = display
        (snapshots, continuation) = AsyncStream.makeStream(of: GatewaySnapshot.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// On the BLE thread: takes a snapshot when a second has passed since the last.
    func offer(now: Double, _ snapshot: () -> GatewaySnapshot) {
        guard now - lastOffer >= 1 else { return }
        lastOffer = now
        continuation.yield(snapshot())
    }

    func run() async {
        var lastSummary = -Double.infinity
        for await snapshot in snapshots.cancelOnGracefulShutdown() {
            if shared.enabled {
                shared.display.withLock { $0.refresh(snapshot) }
            } else if snapshot.time - lastSummary >= 10 {
                lastSummary = snapshot.time
                let statistics = snapshot.statistics
                // The uplink's line of the live table, after the counts.
                let upload = snapshot.uplink.map { "; " + LiveTable.line($0) } ?? ""
                logger.info("""
                    \(snapshot.connected) connected, \(snapshot.devices.count { $0.waiting }) waiting, \
                    \(snapshot.heard) heard, \(statistics.values) values, \
                    \(snapshot.committedSamples) samples committed, \(statistics.malformedPayloads) malformed\(upload)
                    """, metadata: snapshot.pendingBatches > 1 ? ["pending_batches": "\(snapshot.pendingBatches)"] : [:])
            }
        }
    }
}

/// swift-log for the whole process: on a terminal, lines join the live table (the last few
/// show under it); otherwise every line is one JSON object on standard error:
/// `{"time":"2026-12-02T10:00:00.123Z","level":"info","label":"gaitway.ble","message":"..."}`
/// plus any metadata as string fields. Measurement values are logged at debug only.
enum GatewayLogging {
    static func bootstrap(display: SharedDisplay, level: Logger.Level) {
        LoggingSystem.bootstrap { label in GatewayLogHandler(label: label, display: display, logLevel: level) }
    }
}

struct GatewayLogHandler: LogHandler {
    let label: String
    let display: SharedDisplay
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, display: SharedDisplay, logLevel: Logger.Level) {
        self.label = label
        self.display = display
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if display.enabled {
            display.display.withLock { $0.log(event.level, "\(event.message)") }
            return
        }
        var line = Array("{\"time\":\"".utf8)
        line += ISO8601Time.format(micros: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded()), fractionDigits: 3).utf8
        line += "\",\"level\":\"\(event.level)\",\"label\":".utf8
        JSONText.appendQuoted(label.utf8, to: &line)
        line += ",\"message\":".utf8
        JSONText.appendQuoted("\(event.message)".utf8, to: &line)
        let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in fields.keys.sorted() {
            line.append(UInt8(ascii: ","))
            JSONText.appendQuoted(key.utf8, to: &line)
            line.append(UInt8(ascii: ":"))
            JSONText.appendQuoted("\(fields[key]!)".utf8, to: &line)
        }
        line += "}\n".utf8
        // One write(2) per line: lines from several threads never interleave.
        line.withUnsafeBytes { _ = Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
