import Foundation
import Testing

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
    func unusableStorageIsAMessage(_ arguments: [String], _ message: String) throws {
        let tokens = try Self.tokensFile()
        defer { try? FileManager.default.removeItem(at: tokens.deletingLastPathComponent()) }
        let started = Date()
        let run = try GaitwayRun.run(["collector", "--listen", "127.0.0.1:0", "--tokens", tokens.path] + arguments,
                                     timeout: 30)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
        #expect(!run.errors.contains("hunter2"), "\(run.errors)")
        #expect(Date().timeIntervalSince(started) < 15)
    }
}
