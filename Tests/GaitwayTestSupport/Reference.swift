import Foundation
import Synchronization
import Testing

/// Where the tools nobody here wrote are found (Bumble, NeuroKit2 and bthome-ble in the
/// repository's `.venv` from tools/bootstrap.sh; tshark and btmon from the system), and what a
/// test does when one is missing: it passes with a printed message, unless
/// GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets), when it fails.
public enum Reference {
    /// The repository's root: this file is Tests/GaitwayTestSupport/Reference.swift.
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // this file, GaitwayTestSupport, Tests
        return url
    }()

    /// A path inside the repository.
    public static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    /// The venv's Python (Bumble 0.0.236, NeuroKit2, bthome-ble: tools/requirements.txt).
    public static var python: String { path(".venv/bin/python") }

    /// `make test` sets GAITWAY_REQUIRE_REFERENCES=1: then a missing tool is a failure, not a
    /// quiet skip.
    public static var required: Bool { ProcessInfo.processInfo.environment["GAITWAY_REQUIRE_REFERENCES"] == "1" }

    public static func executable(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// The first of `candidates` that is an executable file.
    public static func tool(_ candidates: [String]) -> String? { candidates.first(where: executable) }

    public static var tshark: String? { tool(["/usr/bin/tshark", "/usr/local/bin/tshark"]) }
    public static var btmon: String? { tool(["/usr/bin/btmon", "/usr/local/bin/btmon", "/usr/sbin/btmon"]) }

    /// Says that a reference is missing: a test failure at the caller when references are
    /// required, a printed message otherwise.
    public static func missing(_ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        if required {
            Issue.record(Comment(rawValue: "GAITWAY_REQUIRE_REFERENCES=1 but: \(message)"), sourceLocation: sourceLocation)
        } else {
            print("skipped: \(message)")
        }
    }

    /// Whether the venv's Python is there; when not, says so through ``missing(_:sourceLocation:)``.
    public static func pythonAvailable(for test: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if executable(python) { return true }
        missing("\(test): .venv missing (run tools/bootstrap.sh)", sourceLocation: sourceLocation)
        return false
    }

    /// What a finished child process left: its exit status and everything it wrote.
    public struct ProcessOutput: Sendable {
        public var status: Int32
        /// Whether a signal ended it (a crash) rather than an exit.
        public var crashed: Bool
        public var output: Data
        public var errors: Data
        public var outputText: String { String(decoding: output, as: UTF8.self) }
        public var errorText: String { String(decoding: errors, as: UTF8.self) }
    }

    /// Runs a program in the repository's root to its end, collecting its standard output and
    /// error. Standard error is read on a thread of its own: a child that fills one pipe while
    /// we wait on the other would block forever. `input`, when given, is written to its standard
    /// input from a third thread (then closed), for the same reason.
    ///
    /// Async: the child is waited for on a thread of its own (``OwnThread``), not on the
    /// cooperative pool the tests share.
    public static func execute(_ program: String, _ arguments: [String], input: Data? = nil) async throws -> ProcessOutput {
        try await OwnThread.run { try executeBlocking(program, arguments, input: input) }
    }

    /// ``execute(_:_:input:)`` on the calling thread, for static initialisers (which cannot
    /// await) and threads of a test's own.
    public static func executeBlocking(_ program: String, _ arguments: [String], input: Data? = nil) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let output = Pipe(), errors = Pipe()
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if let input, let inputPipe {
            Thread {
                inputPipe.fileHandleForWriting.write(input)
                try? inputPipe.fileHandleForWriting.close()
            }.start()
        }
        let errorData = Mutex(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        Thread {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            errorsRead.signal()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return ProcessOutput(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
                             output: outputData, errors: errorData.withLock { $0 })
    }

    /// Runs a program as ``execute(_:_:)`` does, returning its standard output; throws with its
    /// standard error when it does not exit 0.
    @discardableResult
    public static func run(_ program: String, _ arguments: [String]) async throws -> String {
        try await OwnThread.run { try runBlocking(program, arguments) }
    }

    /// ``run(_:_:)`` on the calling thread, for static initialisers (which cannot await).
    @discardableResult
    public static func runBlocking(_ program: String, _ arguments: [String]) throws -> String {
        let result = try executeBlocking(program, arguments)
        guard result.status == 0, !result.crashed else {
            throw ProcessFailure(command: ([program] + arguments).joined(separator: " "),
                                 status: result.status, stderr: result.errorText)
        }
        return result.outputText
    }

    public struct ProcessFailure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var stderr: String
        public var description: String { "\(command) exited \(status): \(stderr)" }
    }

    /// Parses JSON lines into objects.
    public static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// A new empty directory for one test's files; remove it with `removeItem` when done.
    public static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gaitway-\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }
}
