import BLEHost
import Collector
import Foundation
import GaitwayTestSupport
import Testing
import UploadFormat

/// What only the PostgreSQL backend has: several collector processes on one database (here two
/// pools, each its own set of connections, as two replicas would have), its URL, and its
/// errors when the server is not there.
@Suite struct PostgresStorageTests {
    /// Two replicas start at once on an empty database (both migrate), then receive the same
    /// batch four times each, all at once: it is stored once, the seven others are duplicates,
    /// and its rows are there once.
    @Test func twoReplicasStoreARacedBatchOnce() async throws {
        guard let url = try await Harness.newPostgresDatabase() else { return }
        let replicas = try [PostgresCollectorStorage(url: url), PostgresCollectorStorage(url: url)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for replica in replicas { group.addTask { try await replica.migrate() } }
            try await group.waitForAll()
        }
        let batch = try Harness.heartRateBatch(id: "replicated", count: 2000)
        let outcomes = try await withThrowingTaskGroup(of: IngestOutcome?.self) { group in
            for replica in replicas { group.addTask { await replica.client.run(); return nil } }
            var outcomes: [IngestOutcome] = []
            try await withThrowingTaskGroup(of: IngestOutcome.self) { copies in
                for copy in 0..<8 {
                    copies.addTask { try await replicas[copy % 2].ingest(batch, tenant: "clinic-a", receivedMicros: 0) }
                }
                for try await outcome in copies { outcomes.append(outcome) }
            }
            let devices = try await replicas[1].devices(tenant: "clinic-a")
            #expect(devices.map(\.sampleCount) == [2000])
            let page = try await replicas[0].samples(SampleQuery(limit: 10_000), tenant: "clinic-a")
            #expect(page.rows.count == 2000)
            #expect(page.next == nil)
            let events = try await replicas[1].events(EventQuery(), tenant: "clinic-a")
            #expect(events.rows.count == 1)
            let records = try await replicas[0].metricRecords(MetricQuery(), tenant: "clinic-a")
            #expect(records.count == 2)
            group.cancelAll()
            return outcomes
        }
        #expect(outcomes.filter { $0 == .stored }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate }.count == 7)
    }

    /// Sixteen different batches of the same three devices, split over two replicas, all at
    /// once: every one is stored (no deadlock between their device and series upserts), and
    /// the device counts add up.
    @Test func concurrentBatchesOfTheSameDevicesAllLand() async throws {
        guard let url = try await Harness.newPostgresDatabase() else { return }
        let replicas = try [PostgresCollectorStorage(url: url), PostgresCollectorStorage(url: url)]
        try await replicas[0].migrate()
        try await replicas[1].migrate()
        let addresses = ["C0:00:00:00:00:01", "C0:00:00:00:00:02", "C0:00:00:00:00:03"]
        let batches = try (0..<16).map { index in
            var batch = try UploadBatch(id: "overlap-\(index)", gatewayID: "gw-\(index % 2)")
            // Each batch names the devices in another order, so that upserts in batch order
            // would lock them in different orders.
            for step in 0..<300 {
                let address = addresses[(step + index) % 3]
                batch.appendSample(address: address, quantity: "heart_rate", unit: "bpm", channel: -1,
                                   timeMicros: Int64(index * 1_000_000 + step), value: Double(step))
            }
            return batch
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for replica in replicas { group.addTask { await replica.client.run() } }
            let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { ingests in
                for (index, batch) in batches.enumerated() {
                    ingests.addTask { try await replicas[index % 2].ingest(batch, tenant: "t", receivedMicros: 0) }
                }
                return try await ingests.reduce(into: [IngestOutcome]()) { $0.append($1) }
            }
            #expect(outcomes == Array(repeating: .stored, count: 16))
            let devices = try await replicas[0].devices(tenant: "t")
            #expect(devices.map(\.address) == addresses)
            #expect(devices.map(\.sampleCount) == [1600, 1600, 1600])
            #expect(devices.first?.firstSeenMicros == 0)
            #expect(devices.last?.lastSeenMicros == 15_000_299)
            group.cancelAll()
        }
    }

    /// A million insole samples (two devices, 8 force cells at 100 Hz) in four batches: all of
    /// them land, and the rate is printed (`swift test --filter PostgresStorageTests/bulkIngest`;
    /// a debug build and the test cluster's fsync=off: an indication, not the benchmark).
    @Test func bulkIngest() async throws {
        guard let url = try await Harness.newPostgresDatabase() else { return }
        let batches = try (0..<4).map { index in
            var batch = try UploadBatch(id: "bulk-\(index)", gatewayID: "gw-1")
            let start = Int64(index) * 625_000_000
            for step in 0..<62_500 {
                for address in ["C0:00:00:00:01:01", "C0:00:00:00:01:02"] {
                    for cell in 0..<Int32(2) {
                        batch.appendSample(address: address, quantity: "plantar_force", unit: "N", channel: cell,
                                           timeMicros: start + Int64(step) * 10_000, value: Double(step % 900) / 3)
                    }
                }
            }
            return batch
        }
        let total = batches.reduce(0) { $0 + $1.samples.count }
        try await Harness.withPostgres(url: url) { storage in
            let started = ContinuousClock.now
            for batch in batches {
                #expect(try await storage.ingest(batch, tenant: "bulk", receivedMicros: 0) == .stored)
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("PostgresCollectorStorage.ingest: \(total) samples in \(elapsed): \(Int(Double(total) / seconds)) samples/s")
            let devices = try await storage.devices(tenant: "bulk")
            #expect(devices.map(\.sampleCount) == [Int64(total / 2), Int64(total / 2)])
            let last = try await storage.samples(SampleQuery(fromMicros: 4 * 625_000_000 - 10_000, limit: 10), tenant: "bulk")
            #expect(last.rows.count == 4)
        }
    }

    @Test func urls() throws {
        let full = try PostgresEndpoint(url: "postgresql://collector:p%40ss:w@db.example:6543/health?sslmode=require&connect_timeout=3")
        #expect(full.username == "collector")
        #expect(full.password == "p@ss:w")
        #expect(full.host == "db.example")
        #expect(full.port == 6543)
        #expect(full.database == "health")
        #expect(full.tlsMode == .require)
        #expect(full.connectTimeout == .seconds(3))
        #expect(full.redacted == "postgres://collector@db.example:6543/health")

        let defaults = try PostgresEndpoint(url: "postgres://me@[::1]")
        #expect(defaults.host == "::1")
        #expect(defaults.port == 5432)
        #expect(defaults.database == "me")
        #expect(defaults.password == nil)
        #expect(defaults.tlsMode == .prefer)
        #expect(defaults.redacted == "postgres://me@[::1]:5432/me")

        let socket = try PostgresEndpoint(url: "postgres://me@localhost:5433/db?host=/run/postgresql")
        #expect(socket.unixSocketPath == "/run/postgresql/.s.PGSQL.5433")
        #expect(socket.host == nil)

        for bad in ["mysql://me@host/db", "postgres://host/db", "not a url", "postgres://me:secret@host/db/extra",
                    "postgres://me:secret@host/db?sslmode=verify-full", "postgres://me@host/db?connect_timeout=0",
                    "postgres://me@host/db?application_name=x", "postgres://me@host:0/db", "postgres://me@/db",
                    "postgres://me@host/db?host=relative"] {
            #expect(throws: PostgresURLError.self, "\(bad)") { try PostgresEndpoint(url: bad) }
            do {
                _ = try PostgresEndpoint(url: bad)
            } catch {
                #expect(!error.description.contains("secret"), "\(error)")
            }
        }
    }

    /// Nothing listens on the port: refused at once, said so.
    @Test func refusedConnectionIsReported() async throws {
        let port = try Loopback.freePort()
        let storage = try PostgresCollectorStorage(url: "postgres://me:pw@127.0.0.1:\(port)/db?sslmode=disable")
        let started = ContinuousClock.now
        await #expect {
            try await storage.migrate(timeout: .seconds(20))
        } throws: { error in
            guard case .unreachable(let endpoint, let reason) = error as? PostgresStorageError else { return false }
            return endpoint == "postgres://me@127.0.0.1:\(port)/db" && !reason.isEmpty && !"\(error)".contains("pw")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    /// The server goes away under a running collector: `/healthz`'s check fails within its
    /// timeout rather than waiting on the pool.
    @Test func healthCheckFailsInTimeWithoutAServer() async throws {
        let port = try Loopback.freePort()
        let storage = try PostgresCollectorStorage(url: "postgres://me@127.0.0.1:\(port)/db?sslmode=disable")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await storage.client.run() }
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) { try await storage.check() }
            // 5 s and a loaded machine's delay; the pool alone would wait 60 s (its circuit breaker).
            #expect(ContinuousClock.now - started < .seconds(15))
            group.cancelAll()
        }
    }

    /// Something accepts TCP connections but never answers the startup message: the timeout
    /// ends the wait.
    @Test func silentServerTimesOut() async throws {
        let silent = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        defer { silent.close() }
        let port = try #require(silent.boundPort)
        let storage = try PostgresCollectorStorage(url: "postgres://me@127.0.0.1:\(port)/db?sslmode=disable")
        let started = ContinuousClock.now
        await #expect {
            try await storage.migrate(timeout: .seconds(1))
        } throws: { error in
            guard case .timedOut = error as? PostgresStorageError else { return false }
            return true
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// The server refuses the password: its own message comes through.
    @Test func wrongPasswordIsReported() async throws {
        guard let url = try await Harness.newPostgresDatabase() else { return }
        let wrong = url.replacingOccurrences(of: ":\(PostgresCluster.password)@", with: ":not-the-password@")
        let storage = try PostgresCollectorStorage(url: wrong)
        await #expect {
            try await storage.migrate(timeout: .seconds(20))
        } throws: { error in
            guard case .unreachable(_, let reason) = error as? PostgresStorageError else { return false }
            return reason.contains("password authentication failed")
        }
    }
}
