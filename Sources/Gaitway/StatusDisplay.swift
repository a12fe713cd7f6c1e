import BLEWire
import Foundation
import Glibc
import GatewayPipeline
import Logging

/// What the gateway shows on a terminal while it runs: the ``LiveTable`` of devices and
/// their latest values, redrawn once a second (from the BLE thread's ``GatewaySnapshot``) to
/// the terminal's size, with the last log lines under it. Off a terminal the log handler
/// writes JSON lines instead (`GatewayLogging`).
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
        let size = Self.terminalSize()
        let lines = LiveTable(width: size.columns, height: size.rows).lines(snapshot, log: recentLines)
        // Home, each line over the old one (erase to its end), then erase below: no blank
        // frame between two tables, as a full clear would flash.
        var text = "\u{1B}[H"
        for line in lines { text += line + "\u{1B}[K\n" }
        write(text + "\u{1B}[J")
    }

    /// The terminal's size (TIOCGWINSZ on standard error), 100x40 when it does not say.
    static func terminalSize() -> (columns: Int, rows: Int) {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (100, 40) }
        // One row fewer: a newline after the last row would scroll the table up.
        return (Int(size.ws_col), Int(size.ws_row) - 1)
    }

    /// The table stops; later log lines (the summary) are printed as they come.
    func finish() {
        if enabled && drew { write("\n") }
        drew = false
    }

    func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// A JSON string literal (BLEWire's escaping, shared with the decoder and ground truth).
    static func quoted(_ text: String) -> String { String(decoding: JSONText.quoted(text), as: UTF8.self) }
}
