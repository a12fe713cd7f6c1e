import Logging
import Synchronization

/// A logger whose lines a test reads back ("level message" each), to see what the gateway
/// said and, when a test fails, why.
final class LogLines: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger { Logger(label: "test") { _ in Handler(sink: self) } }
    var text: String { lines.withLock { $0.map { "\($0.level) \($0.message)" }.joined(separator: "\n") } }
    func messages(atLeast level: Logger.Level) -> [String] {
        lines.withLock { $0.filter { $0.level >= level }.map(\.message) }
    }

    struct Handler: LogHandler {
        let sink: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.lines.withLock { $0.append((event.level, "\(event.message)")) } }
    }
}
