import Foundation
import Testing

/// `--keep-raw` and `--max-db-size` (and their config keys) as an operator gives them.
@Suite struct GatewayRetentionTests {
    @Test func badPeriodsAndSizesAreRefusedTogether() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("gateway.yaml")
        try Data("keep-raw: 3 weeks\nmax-db-size: 10kB\n".utf8).write(to: config)
        let database = directory.appendingPathComponent("gateway.db").path
        let run = try await GaitwayRun.run(["gateway", "--config", config.path, "--db", database,
                                      "--keep-raw", "1y", "--max-db-size", "5X"], in: directory, timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        for message in [
            "4 problems in the gateway's settings",
            "gateway.yaml:1: 'keep-raw' 3 weeks: must be a period",
            "gateway.yaml:2: 'max-db-size' 10kB: must be at least 1 MB",
            "--keep-raw 1y: must be a period: seconds, or a number with s, m, h or d",
            "--max-db-size 5X: must be a size",
        ] {
            #expect(run.errors.contains(message), "no '\(message)' in: \(run.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    /// gym-100 (196 devices) for 20 s stores well over 1 MB; under a 1 MB quota the gateway keeps
    /// running, evicts (raw payloads first), logs each eviction, and exits 0 with the
    /// database within the quota (pages in use; the WAL is the store's, see the README).
    @Test(.timeLimit(.minutes(5))) func aRunUnderAQuotaEvictsAndSaysSo() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("gateway.db").path
        let run = try await GaitwayRun.run(["gateway", "--hci", "sim:gym-100", "--db", database, "--duration", "20", "--no-status",
                                      "--max-db-size", "1MB", "--keep-raw", "10s"], in: directory, timeout: 50)
        #expect(run.exited(0), "status \(run.status): \(run.errors)")
        let evictions = run.errors.split(separator: "\n").filter { $0.contains("retention: evicted") }
        #expect(!evictions.isEmpty, "no eviction logged: \(run.errors)")
        #expect(evictions.first?.contains("raw payloads") == true)
        #expect(run.errors.contains("gateway stopped"))
    }
}
