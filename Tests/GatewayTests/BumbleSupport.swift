import BLEHost
import BLEWire
import Foundation
import Glibc
import Synchronization
import Testing

/// Bumble (PyPI `bumble` 0.0.236, pinned in tools/requirements.txt and installed in .venv by
/// tools/bootstrap.sh) as the gateway's interop tests run it.
enum Bumble {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // this file, GatewayTests, Tests
        return url
    }()
    static var python: String { repository.appendingPathComponent(".venv/bin/python").path }
    static var required: Bool { ProcessInfo.processInfo.environment["GAITWAY_REQUIRE_REFERENCES"] == "1" }

    /// Whether Bumble is installed. When it is not, says so: a printed message, or a test
    /// failure when GAITWAY_REQUIRE_REFERENCES=1.
    static func isAvailable(for test: String) -> Bool {
        if FileManager.default.isExecutableFile(atPath: python) { return true }
        let message = "\(test) skipped: .venv missing (run tools/bootstrap.sh)"
        if required { Issue.record(Comment(rawValue: message)) } else { print(message) }
        return false
    }

    /// Two free TCP ports on the loopback (bound, read and released; Bumble binds them next).
    static func freePorts() throws -> (UInt16, UInt16) {
        let first = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        let second = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        defer { first.close(); second.close() }
        return (try #require(first.boundPort), try #require(second.boundPort))
    }

    /// Connects to a controller that is still starting, retrying for up to `seconds`.
    static func connect(port: UInt16, within seconds: Double) throws -> any HCITransport {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                return try TransportSpec.tcpClient(host: "127.0.0.1", port: port).open(timeout: .seconds(1))
            } catch {
                if Date() > deadline { throw error }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// A new empty directory for one test's files; remove it with `removeItem` when done.
    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gaitway-\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }
}

/// Bumble's two virtual controllers on one virtual link, `python -m bumble.apps.controllers
/// tcp-server:127.0.0.1:P1 tcp-server:127.0.0.1:P2` (the installed command-line apps do not
/// include it: it runs as a module). Each port takes one host.
final class BumbleControllers {
    let ports: (first: UInt16, second: UInt16)
    let process = Process()
    private var stopped = false

    init() throws {
        ports = try Bumble.freePorts()
        process.executableURL = URL(fileURLWithPath: Bumble.python)
        process.arguments = ["-m", "bumble.apps.controllers",
                             "tcp-server:127.0.0.1:\(ports.first)", "tcp-server:127.0.0.1:\(ports.second)"]
        process.currentDirectoryURL = Bumble.repository
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Kills the controllers. SIGKILL: Swift Testing's worker threads block SIGTERM for
    /// their children, so Process.terminate() would not reach them.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A child process whose standard output and error are read to the end on threads of their
/// own (a pipe nobody reads blocks the child once its buffer is full).
final class CollectedProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe(), errors = Pipe()
    private let collected = Mutex<(output: Data, errors: Data)>((Data(), Data()))
    private let readersDone = DispatchSemaphore(value: 0)
    private var killed = false

    init(executable: String, arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = Bumble.repository
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
    }

    func start() throws {
        try process.run()
        for (pipe, isOutput) in [(output, true), (errors, false)] {
            let handle = pipe.fileHandleForReading
            Thread { [self] in
                let data = handle.readDataToEndOfFile()
                collected.withLock { if isOutput { $0.output = data } else { $0.errors = data } }
                readersDone.signal()
            }.start()
        }
    }

    var isRunning: Bool { process.isRunning }

    /// Waits up to `seconds` for the child to exit and its output to be read; false if it did not.
    func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        for _ in 0..<2 {  // standard output, standard error
            if readersDone.wait(timeout: .now() + max(0.1, deadline.timeIntervalSinceNow)) == .timedOut { return false }
        }
        return true
    }

    /// Kills the child if it still runs (SIGKILL, see ``BumbleControllers/stop()``).
    func kill() {
        guard !killed else { return }
        killed = true
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The exit status, nil while the child runs (Foundation traps on asking earlier).
    var terminationStatus: Int32? { process.isRunning ? nil : process.terminationStatus }
    var outputText: String { String(decoding: collected.withLock { $0.output }, as: UTF8.self) }
    var errorText: String { String(decoding: collected.withLock { $0.errors }, as: UTF8.self) }

    /// The output's lines that are JSON objects.
    var jsonLines: [[String: Any]] {
        outputText.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    deinit { kill() }
}
