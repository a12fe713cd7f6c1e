import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GaitwayTestSupport
import GatewayStore
import Glibc
import Synchronization
import Testing

/// `gaitway gateway --upload` against `gaitway collector`, both as users run them: killed
/// with SIGKILL and started again, every sample the gateway committed reaches the collector
/// exactly once.
@Suite(.serialized) struct UplinkCommandTests {
    /// A child `gaitway` writing into files in `directory`, stopped by SIGKILL.
    final class Child {
        let process = Process()
        let errors: URL

        init(_ arguments: [String], in directory: URL, name: String) throws {
            errors = directory.appendingPathComponent("\(name).stderr")
            if !FileManager.default.fileExists(atPath: errors.path) {
                FileManager.default.createFile(atPath: errors.path, contents: nil)
            }
            process.executableURL = URL(fileURLWithPath: GaitwayRun.executable)
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            let handle = try FileHandle(forWritingTo: errors)
            try handle.seekToEnd()
            process.standardError = handle
            try process.run()
        }

        var log: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

        func kill() { ChildProcess.kill(process) }

        /// Waits for the exit, at most `seconds` (then SIGKILL); whether it exited 0.
        func wait(_ seconds: Double) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning, Date() < deadline { try await Task.sleep(for: .seconds(0.05)) }
            if process.isRunning { kill() }
            process.waitUntilExit()
            return process.terminationReason == .exit && process.terminationStatus == 0
        }
    }

    /// `GET path` with the reader token, as JSON.
    static func get(_ path: String, port: UInt16) async throws -> [String: Any] {
        try await OwnThread.run { try getBlocking(path, port: port) }
    }

    static func getBlocking(_ path: String, port: UInt16) throws -> [String: Any] {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.setValue("Bearer reader-secret", forHTTPHeaderField: "Authorization")
        request.timeoutInterval = 10
        let result = Mutex<Result<Data, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, _, error in
            result.withLock { $0 = data.map { .success($0) } ?? .failure(error ?? URLError(.badServerResponse)) }
            done.signal()
        }.resume()
        done.wait()
        let data = try result.withLock { $0 }!.get()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func startCollector(port: UInt16, in directory: URL) async throws -> Child {
        let collector = try Child(["collector", "--listen", "127.0.0.1:\(port)", "--db", "collector.db",
                                   "--tokens", "tokens.yaml"], in: directory, name: "collector")
        let deadline = Date().addingTimeInterval(20)
        while !collector.log.contains("collector listening"), Date() < deadline, collector.process.isRunning {
            try await Task.sleep(for: .seconds(0.05))
        }
        guard collector.log.contains("collector listening") else {
            collector.kill()
            throw GaitwayRunFailure(description: "the collector did not start: \(collector.log)")
        }
        return collector
    }

    @Test(.timeLimit(.minutes(5))) func killedGatewaysAndACollectorOutageLoseAndRepeatNothing() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            tokens:
              - {token: gateway-secret, tenant: clinic, role: gateway}
              - {token: reader-secret, tenant: clinic, role: reader}
            """.write(to: directory.appendingPathComponent("tokens.yaml"), atomically: true, encoding: .utf8)
        try "gateway-secret\n".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let port = try Loopback.freePort()
        var collector = try await Self.startCollector(port: port, in: directory)
        defer { collector.kill() }
        let gateway = ["gateway", "--hci", "sim:quickstart", "--db", "gateway.db", "--no-status", "--commit-interval", "0.5",
                       "--upload", "http://127.0.0.1:\(port)/v1/ingest", "--token-file", "token", "--gateway-id", "board"]
        var random = SeededGenerator(seed: 21)
        // Three runs killed at a random moment, the second with the collector killed and
        // started again under it; then one that ends by itself (and drains what is left).
        for run in 0..<3 {
            let child = try Child(gateway + ["--duration", "60"], in: directory, name: "gateway")
            try await Task.sleep(for: .seconds(Double.random(in: 3...6, using: &random)))
            if run == 1 {
                collector.kill()
                try await Task.sleep(for: .seconds(2))
                collector = try await Self.startCollector(port: port, in: directory)
                try await Task.sleep(for: .seconds(2))
            }
            child.kill()
        }
        let last = try Child(gateway + ["--duration", "6"], in: directory, name: "gateway")
        #expect(try await last.wait(60), "the last gateway run failed: \(last.log.suffix(3000))")
        #expect(!last.log.contains("parked"), "\(last.log.suffix(3000))")

        let store = try GatewayStore(path: directory.appendingPathComponent("gateway.db").path)
        defer { try? store.close() }
        let local = try store.devices(includingSampleCounts: true)
        #expect(local.count == 4 && local.allSatisfy { ($0.sampleCount ?? 0) > 100 }, "\(local)")
        let backlog = try store.uplinkBacklog()
        #expect(backlog.isEmpty, "left undelivered: \(backlog)")
        let remote = try await Self.get("/v1/devices", port: port)["devices"] as? [[String: Any]] ?? []
        let remoteCounts = Dictionary(uniqueKeysWithValues: remote.compactMap { device -> (String, Int)? in
            guard let address = device["address"] as? String, let samples = device["samples"] as? Int else { return nil }
            return (address, samples)
        })
        let localCounts = Dictionary(uniqueKeysWithValues: local.map { ($0.address, $0.sampleCount ?? 0) })
        #expect(remoteCounts == localCounts, "collector \(remoteCounts) vs gateway \(localCounts)")
        // Device events too: every connection of every run.
        let events = try store.events()
        let remoteEvents = try await Self.get("/v1/events?limit=10000", port: port)["events"] as? [Any] ?? []
        #expect(remoteEvents.count == events.count && events.count >= 8)
    }

    /// A capture replayed with --upload: the gateway uploads everything the replay stored,
    /// then exits 0.
    @Test(.timeLimit(.minutes(5))) func aReplayWithUploadDeliversAllItStored() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            tokens:
              - {token: gateway-secret, tenant: clinic, role: gateway}
              - {token: reader-secret, tenant: clinic, role: reader}
            """.write(to: directory.appendingPathComponent("tokens.yaml"), atomically: true, encoding: .utf8)
        let port = try Loopback.freePort()
        let collector = try await Self.startCollector(port: port, in: directory)
        defer { collector.kill() }
        let capture = directory.appendingPathComponent("quickstart.btsnoop").path
        let sim = try await GaitwayRun.run(["sim", "--scenario", "quickstart", "--duration", "4", "--btsnoop", capture])
        #expect(sim.exited(0), "\(sim.errors)")
        let replay = try await GaitwayRun.run(["gateway", "--hci", "btsnoop:\(capture)", "--db", "replay.db",
                                         "--upload", "http://127.0.0.1:\(port)/v1/ingest", "--token", "gateway-secret",
                                         "--gateway-id", "replayer"], in: directory, timeout: 60)
        #expect(replay.exited(0), "\(replay.errors.suffix(2000))")
        #expect(replay.errors.contains("replay uploaded"))
        let store = try GatewayStore(path: directory.appendingPathComponent("replay.db").path)
        defer { try? store.close() }
        let stored = try store.counts().samples
        let remote = try await Self.get("/v1/devices", port: port)["devices"] as? [[String: Any]] ?? []
        #expect(stored > 1000)
        #expect(remote.compactMap { $0["samples"] as? Int }.reduce(0, +) == stored)
        #expect(remote.allSatisfy { $0["gateway"] as? String == "replayer" })
    }
}
