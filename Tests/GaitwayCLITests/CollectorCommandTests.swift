import Foundation
import GaitwayTestSupport
import Testing
import UploadFormat

/// `gaitway collector --postgres` as an operator meets it: a URL it cannot use, two storages
/// at once or a server that is not there each stop it at once with a message that says so,
/// and never with the password.
@Suite struct CollectorCommandTests {
    static func tokensFile() throws -> URL {
        let directory = try GaitwayRun.temporaryDirectory()
        let file = directory.appendingPathComponent("tokens.yaml")
        try Data("tokens:\n  - {token: gw, tenant: t, role: gateway}\n".utf8).write(to: file)
        return file
    }

    @Test(arguments: [
        (["--postgres", "mysql://me:hunter2@db/health"], "scheme mysql"),
        (["--postgres", "postgres://db/health"], "no user"),
        (["--postgres", "postgres://me:hunter2@db/health?sslmode=allow"], "sslmode=allow"),
        (["--postgres", "postgres://me:hunter2@db/health", "--db", "c.db"], "one storage only"),
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        (["--postgres", "postgres://me:hunter2@127.0.0.1:1/health?sslmode=disable"],
         "cannot connect to PostgreSQL at postgres://me@127.0.0.1:1/health"),
    ])
    func unusableStorageIsAMessage(_ arguments: [String], _ message: String) async throws {
        let tokens = try Self.tokensFile()
        defer { try? FileManager.default.removeItem(at: tokens.deletingLastPathComponent()) }
        let started = Date()
        let run = try await GaitwayRun.run(["collector", "--listen", "127.0.0.1:0", "--tokens", tokens.path] + arguments,
                                     timeout: 30)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
        #expect(!run.errors.contains("hunter2"), "\(run.errors)")
        #expect(Date().timeIntervalSince(started) < 15)
    }

    /// Two `gaitway collector` processes on one PostgreSQL database (issue 13: "two collector
    /// replicas on one PostgreSQL receiving the same batches: stored once"): curl posts one
    /// batch three times to each, all six at once; one answer says stored, five duplicate, and
    /// either replica then lists its samples once. SIGTERM stops both with status 0.
    @Test func twoCollectorProcessesStoreABatchOnce() async throws {
        guard PostgresCluster.available else {
            Reference.missing(PostgresCluster.missingMessage)
            return
        }
        let url = try PostgresCluster.shared().createDatabase()
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokens = directory.appendingPathComponent("tokens.yaml")
        try Data("""
            tokens:
              - {token: gw, tenant: t, role: gateway}
              - {token: rd, tenant: t, role: reader}
            """.utf8).write(to: tokens)
        var batch = try UploadBatch(id: "replicas", gatewayID: "gw-1")
        for index in 0..<500 {
            batch.appendSample(address: "C0:11:22:33:44:55", quantity: "heart_rate", unit: "bpm", channel: -1,
                               timeMicros: 1_764_000_000_000_000 + Int64(index) * 1_000_000, value: Double(60 + index % 30))
        }
        let body = directory.appendingPathComponent("batch.gz")
        try Data(ContentCoding.gzip.encode(try batch.encoded())).write(to: body)

        let ports = try Loopback.freePorts(2)
        let collectors = try ports.map { port in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: GaitwayRun.executable)
            process.arguments = ["collector", "--listen", "127.0.0.1:\(port)", "--postgres", url, "--tokens", tokens.path,
                                 "--log-level", "warning"]
            process.currentDirectoryURL = directory
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: {
                let log = directory.appendingPathComponent("collector-\(port).log")
                FileManager.default.createFile(atPath: log.path, contents: nil)
                return log
            }())
            try process.run()
            return process
        }
        defer { for process in collectors where process.isRunning { process.terminate() } }
        let curl = "/usr/bin/curl"
        for port in ports {
            let deadline = Date().addingTimeInterval(30)
            while try await Reference.execute(curl, ["-sf", "http://127.0.0.1:\(port)/healthz"]).status != 0 {
                try #require(Date() < deadline, "collector on \(port) not up after 30 s")
                try await Task.sleep(for: .seconds(0.2))
            }
        }
        let posts = try await Reference.run(curl, ["-s", "--parallel", "--parallel-immediate", "-H", "Authorization: Bearer gw",
                                             "-H", "Content-Encoding: gzip", "--data-binary", "@\(body.path)"]
                                            + (0..<6).map { "http://127.0.0.1:\(ports[$0 % 2])/v1/ingest" })
        // curl writes the six bodies as they come, one after the other (no separator).
        func count(_ status: String) -> Int { posts.components(separatedBy: #""status":"\#(status)""#).count - 1 }
        #expect(count("stored") == 1, "\(posts)")
        #expect(count("duplicate") == 5, "\(posts)")
        for port in ports {
            let listing = try await Reference.run(curl, ["-s", "-H", "Authorization: Bearer rd",
                                                   "http://127.0.0.1:\(port)/v1/samples?limit=10000"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [String: Any])
            #expect((json["samples"] as? [Any])?.count == 500, "\(port)")
        }
        for process in collectors {
            process.terminate()  // SIGTERM: a graceful stop
            process.waitUntilExit()
            #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        }
    }
}
