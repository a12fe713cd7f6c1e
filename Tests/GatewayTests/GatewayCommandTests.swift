import Foundation
import GaitwayTestSupport
import GatewayStore
import Glibc
import Testing

/// `gaitway gateway` as an operator runs it: the built executable, its exit status, its
/// log lines and its database.
@Suite struct GatewayCommandTests {
    /// The `gaitway` executable `swift build` put next to this test bundle.
    static let executable: String = {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        for directory in [bundle, Reference.repository.appendingPathComponent(".build/debug")] {
            let candidate = directory.appendingPathComponent("gaitway").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return Reference.repository.appendingPathComponent(".build/debug/gaitway").path
    }()

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Off a terminal every line on standard error is one JSON object with the same fields.
    static func expectJSONLogLines(_ text: String) {
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON log line: \(line)")
            for key in ["time", "level", "label", "message"] {
                #expect(object?[key] is String, "no \(key) in \(line)")
            }
        }
    }

    /// SIGTERM stops the running gateway within a second; it exits 0 having committed what
    /// it received, and says so in JSON log lines.
    @Test(.timeLimit(.minutes(5))) func sigtermStopsTheGatewayCleanly() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("gateway.db").path
        let gateway = CollectedProcess(executable: Self.executable, arguments: [
            "gateway", "--hci", "sim:quickstart", "--db", database, "--no-status",
        ])
        try gateway.start()
        defer { gateway.kill() }
        try await Task.sleep(for: .seconds(5))
        #expect(gateway.isRunning, "\(gateway.errorText)")
        let signalled = Date()
        kill(gateway.process.processIdentifier, SIGTERM)
        #expect(await gateway.wait(seconds: 5))
        let stopping = Date().timeIntervalSince(signalled)
        #expect(stopping < 1.5, "took \(stopping) s to stop")
        #expect(gateway.terminationStatus == 0, "\(gateway.errorText)")
        Self.expectJSONLogLines(gateway.errorText)
        #expect(gateway.errorText.contains("gateway stopped"))
        let store = try GatewayStore(path: database, options: .init(readOnly: true))
        defer { try? store.close() }
        #expect(try store.counts().samples > 100)
    }

    /// A controller that is not there: the gateway retries, and still stops at --duration
    /// with exit status 0.
    @Test(.timeLimit(.minutes(5))) func theDurationEndsARunWithoutController() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let gateway = CollectedProcess(executable: Self.executable, arguments: [
            "gateway", "--hci", "unix:\(directory.path)/no-controller.sock", "--duration", "2",
            "--db", directory.appendingPathComponent("gateway.db").path,
        ])
        let start = Date()
        try gateway.start()
        defer { gateway.kill() }
        #expect(await gateway.wait(seconds: 10))
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 1.9 && elapsed < 4, "ran \(elapsed) s")
        #expect(gateway.terminationStatus == 0, "\(gateway.errorText)")
        Self.expectJSONLogLines(gateway.errorText)
        #expect(gateway.errorText.contains("cannot open the controller"))
    }
}
