import Foundation
import Glibc
import Synchronization
import Testing

/// One run of the built `gaitway` executable to its end: how it ended, and what it wrote.
struct GaitwayRun {
    /// The exit status, or the signal's number when `signalled` (a trap is SIGILL or SIGTRAP).
    var status: Int32
    var signalled: Bool
    var output: String
    var errors: String

    /// Exited (not killed by a signal) with `status`.
    func exited(_ expected: Int32) -> Bool { !signalled && status == expected }

    /// The package checkout: this file, GaitwayCLITests, Tests.
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The `gaitway` executable `swift build` put next to this test bundle, or the one
    /// GAITWAY_EXECUTABLE names (to run these tests against another build, e.g. an older one).
    static let executable: String = {
        if let path = ProcessInfo.processInfo.environment["GAITWAY_EXECUTABLE"] { return path }
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        for directory in [bundle, repository.appendingPathComponent(".build/debug")] {
            let candidate = directory.appendingPathComponent("gaitway").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return repository.appendingPathComponent(".build/debug/gaitway").path
    }()

    /// Runs `gaitway arguments...` in `directory` with standard input from /dev/null and its
    /// output into files (no pipe to drain while it runs), killing it after `timeout` seconds.
    /// `dataLimit` (kB) runs it under `ulimit -d`, as a board with little memory would.
    ///
    /// Async: the wait is `Task.sleep`, not a blocked thread. Swift Testing runs every test of
    /// the process on the cooperative pool (two threads on a two-core machine); a test that
    /// blocked its thread while a child ran for a minute starved the others, and a test queued
    /// behind them overran its time limit without ever running slowly itself (CI, 2026-12-03).
    static func run(_ arguments: [String], in directory: URL? = nil, timeout: Double = 60,
                    dataLimit: Int? = nil) async throws -> GaitwayRun {
        let started = try Started(arguments, in: directory, dataLimit: dataLimit)
        defer { started.removeScratch() }
        let deadline = Date().addingTimeInterval(timeout)
        while started.process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return started.finish(timeout: timeout)
    }

    /// ``run(_:in:timeout:dataLimit:)`` on the calling thread, for the one-time fixtures made
    /// in a static initialiser (which cannot await).
    static func runBlocking(_ arguments: [String], in directory: URL? = nil, timeout: Double = 60) throws -> GaitwayRun {
        let started = try Started(arguments, in: directory, dataLimit: nil)
        defer { started.removeScratch() }
        let deadline = Date().addingTimeInterval(timeout)
        while started.process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return started.finish(timeout: timeout)
    }

    /// A spawned `gaitway` whose output goes into files of a scratch folder.
    private struct Started {
        let arguments: [String]
        let process = Process()
        let scratch: URL, outputFile: URL, errorFile: URL

        init(_ arguments: [String], in directory: URL?, dataLimit: Int?) throws {
            self.arguments = arguments
            scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-run-\(UUID().uuidString)")
            outputFile = scratch.appendingPathComponent("stdout")
            errorFile = scratch.appendingPathComponent("stderr")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            do {
                for file in [outputFile, errorFile] {
                    guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
                        throw GaitwayRunFailure(description: "cannot create \(file.path)")
                    }
                }
                if let dataLimit {
                    process.executableURL = URL(fileURLWithPath: "/bin/sh")
                    process.arguments = ["-c", "ulimit -d \(dataLimit) && exec \"$0\" \"$@\"", executable] + arguments
                } else {
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = arguments
                }
                process.currentDirectoryURL = directory ?? scratch
                process.standardInput = FileHandle.nullDevice
                process.standardOutput = try FileHandle(forWritingTo: outputFile)
                process.standardError = try FileHandle(forWritingTo: errorFile)
                try process.run()
            } catch {
                removeScratch()
                throw error
            }
        }

        func removeScratch() { try? FileManager.default.removeItem(at: scratch) }

        /// Kills the child if it still runs after the deadline (SIGKILL: a child of a Swift
        /// Testing worker thread inherits a mask that blocks SIGTERM), then says how it ended.
        func finish(timeout: Double) -> GaitwayRun {
            if process.isRunning {
                _ = Glibc.kill(process.processIdentifier, SIGKILL)
                Issue.record("gaitway \(arguments.joined(separator: " ")) still ran after \(timeout) s: killed")
            }
            process.waitUntilExit()
            return GaitwayRun(
                status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                output: String(decoding: (try? Data(contentsOf: outputFile)) ?? Data(), as: UTF8.self),
                errors: String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self))
        }
    }

    /// A fresh directory for a test's files.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A small gateway database, made once: `gaitway sim --scenario quickstart --duration 5`
    /// (seeded: the same four devices and values every time, from 2025-03-01T08:00:00Z)
    /// replayed by `gaitway gateway --hci btsnoop:`.
    static let quickstartDatabase: Result<String, GaitwayRunFailure> = {
        do {
            let directory = try temporaryDirectory()
            // Removed when the test process exits (Swift Testing has no suite-wide teardown).
            sharedDirectory.withLock { $0 = directory.path }
            atexit { GaitwayRun.sharedDirectory.withLock { path in path.map { _ = try? FileManager.default.removeItem(atPath: $0) } } }
            let capture = directory.appendingPathComponent("quickstart.btsnoop").path
            let database = directory.appendingPathComponent("quickstart.db").path
            let sim = try runBlocking(["sim", "--scenario", "quickstart", "--duration", "5", "--btsnoop", capture])
            guard sim.exited(0) else { return .failure(GaitwayRunFailure(description: "sim: \(sim.errors)")) }
            let replay = try runBlocking(["gateway", "--hci", "btsnoop:\(capture)", "--db", database])
            guard replay.exited(0) else { return .failure(GaitwayRunFailure(description: "gateway: \(replay.errors)")) }
            return .success(database)
        } catch {
            return .failure(GaitwayRunFailure(description: "\(error)"))
        }
    }()
}

extension GaitwayRun {
    /// The folder of ``quickstartDatabase``, for its removal at exit.
    static let sharedDirectory = Mutex<String?>(nil)
}

struct GaitwayRunFailure: Error, CustomStringConvertible {
    var description: String
}
