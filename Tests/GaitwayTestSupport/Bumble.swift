import Foundation
import Glibc
import Synchronization

/// Child processes of the tests.
public enum ChildProcess {
    /// SIGKILL, then waits for the exit. Not `terminate()`: a child spawned from a Swift Testing
    /// worker thread inherits that thread's signal mask, in which SIGTERM is blocked, so SIGTERM
    /// would never arrive and `waitUntilExit()` would wait forever.
    public static func kill(_ process: Process) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Bumble's two virtual controllers on one virtual link, `python -m bumble.apps.controllers
/// tcp-server:127.0.0.1:P1 tcp-server:127.0.0.1:P2` (the installed command-line apps do not
/// include it: it runs as a module; Bumble 0.0.236, pinned in tools/requirements.txt and
/// installed in .venv by tools/bootstrap.sh). Each port takes one host.
public final class BumbleControllers {
    public let ports: (first: UInt16, second: UInt16)
    public let process = Process()
    private var stopped = false

    public init() throws {
        let free = try Loopback.freePorts(2)
        ports = (free[0], free[1])
        process.executableURL = URL(fileURLWithPath: Reference.python)
        process.arguments = ["-m", "bumble.apps.controllers",
                             "tcp-server:127.0.0.1:\(ports.first)", "tcp-server:127.0.0.1:\(ports.second)"]
        process.currentDirectoryURL = Reference.repository
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Kills the controllers. SIGKILL: Swift Testing's worker threads block SIGTERM for
    /// their children, so Process.terminate() would not reach them.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        ChildProcess.kill(process)
    }

    deinit { stop() }
}

/// A child process whose standard output and error are read to the end on threads of their
/// own (a pipe nobody reads blocks the child once its buffer is full).
public final class CollectedProcess: @unchecked Sendable {
    public let process = Process()
    private let output = Pipe(), errors = Pipe()
    private let collected = Mutex<(output: Data, errors: Data)>((Data(), Data()))
    private let readersDone = DispatchSemaphore(value: 0)
    private var killed = false

    public init(executable: String, arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = Reference.repository
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
    }

    public func start() throws {
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

    public var isRunning: Bool { process.isRunning }

    /// Waits up to `seconds` for the child to exit and its output to be read; false if it did
    /// not. Async, sleeping between looks: a test must not hold one of the cooperative pool's
    /// few threads while a child runs (see `GaitwayRun.run`).
    public func wait(seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let readers = self.readersDone
        return await withCheckedContinuation { continuation in
            // The readers finish right after the exit; their semaphore is waited on a thread
            // of its own, not the pool.
            Thread {
                for _ in 0..<2 {  // standard output, standard error
                    if readers.wait(timeout: .now() + max(0.1, deadline.timeIntervalSinceNow)) == .timedOut {
                        return continuation.resume(returning: false)
                    }
                }
                continuation.resume(returning: true)
            }.start()
        }
    }

    /// ``wait(seconds:)`` blocking the calling thread, for callers off the cooperative pool.
    public func waitBlocking(seconds: Double) -> Bool {
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

    /// Kills the child if it still runs (SIGKILL, see ``ChildProcess/kill(_:)``).
    public func kill() {
        guard !killed else { return }
        killed = true
        ChildProcess.kill(process)
    }

    /// The exit status, nil while the child runs (Foundation traps on asking earlier).
    public var terminationStatus: Int32? { process.isRunning ? nil : process.terminationStatus }
    public var outputText: String { String(decoding: collected.withLock { $0.output }, as: UTF8.self) }
    public var errorText: String { String(decoding: collected.withLock { $0.errors }, as: UTF8.self) }

    /// The output's lines that are JSON objects.
    public var jsonLines: [[String: Any]] {
        outputText.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    deinit { kill() }
}
