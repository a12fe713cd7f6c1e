import Collector
import Foundation
import GaitwayTestSupport
import PostgresNIO
import Testing

/// A PostgreSQL collector database of schema version 1 (a row per sample) opened by this
/// version: migration 2 moves the rows into chunks, and the samples query answers what it
/// answered before, in the same order and with the same page cursors.
@Suite struct PostgresMigrationTests {
    @Test func sampleRowsOfTheFirstSchemaSurviveTheMove() async throws {
        guard let url = try await Harness.newPostgresDatabase() else { return }
        let old = try PostgresCollectorStorage(url: url)
        try await old.migrate(through: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await old.client.run() }
            defer { group.cancelAll() }
            // Two batches as version 1 stored them: sample id = batch row × 2^22 + place, two
            // series, times out of order within a batch and one time shared by two batches.
            try await old.client.query("""
                INSERT INTO batch (tenant, batch_id, gateway, received_us, sample_count, event_count, record_count)
                VALUES ('a', 'one', 'gw', 0, 3, 0, 0), ('a', 'two', 'gw', 0, 2, 0, 0), ('b', 'three', 'gw', 0, 1, 0, 0)
                """, logger: Self.logger)
            try await old.client.query("""
                INSERT INTO series (tenant, address, quantity, unit)
                VALUES ('a', 'C0:00:00:00:00:01', 'heart_rate', 'bpm'), ('a', 'C0:00:00:00:00:02', 'force', 'N'),
                       ('b', 'C0:00:00:00:00:01', 'heart_rate', 'bpm')
                """, logger: Self.logger)
            let one: Int64 = 1 << 22, two: Int64 = 2 << 22, three: Int64 = 3 << 22
            try await old.client.query("""
                INSERT INTO sample (id, series, time_us, channel, value) VALUES
                    (\(one), 1, 3000, -1, 63), (\(one + 1), 2, 1000, 4, 1.5), (\(one + 2), 1, 1000, -1, 61),
                    (\(two), 1, 2000, -1, 62), (\(two + 1), 2, 1000, 5, 2.5), (\(three), 3, 1000, -1, 99)
                """, logger: Self.logger)
        }

        // This version's storage, as a collector started after the upgrade makes it.
        let storage = try PostgresCollectorStorage(url: url)
        try await storage.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await storage.client.run() }
            defer { group.cancelAll() }
            let all = try await storage.samples(SampleQuery(limit: 100), tenant: "a")
            #expect(all.rows.map(\.timeMicros) == [1000, 1000, 1000, 2000, 3000])
            #expect(all.rows.map(\.value) == [1.5, 61, 2.5, 62, 63])
            #expect(all.rows.map(\.channel) == [4, -1, 5, -1, -1])
            #expect(all.rows.map(\.unit) == ["N", "bpm", "N", "bpm", "bpm"])
            #expect(all.next == nil)
            // Pages of two, by cursor, give the same rows.
            var paged: [Double] = []
            var after: PageCursor?
            repeat {
                let page = try await storage.samples(SampleQuery(limit: 2, after: after), tenant: "a")
                paged += page.rows.map(\.value)
                after = page.next
            } while after != nil
            #expect(paged == [1.5, 61, 2.5, 62, 63])
            let other = try await storage.samples(SampleQuery(limit: 100), tenant: "b")
            #expect(other.rows.map(\.value) == [99])
            // The rows' table is gone; new batches go into chunks beside the moved ones.
            let tables = try await storage.client.query(
                "SELECT count(*) FROM pg_tables WHERE tablename = 'sample'", logger: Self.logger)
            for try await count in tables.decode(Int64.self) { #expect(count == 0) }
        }
    }

    static let logger = Logger(label: "gaitway.test.migration")
}
