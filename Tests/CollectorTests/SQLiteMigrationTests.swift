import Collector
import Foundation
import GRDB
import Testing

/// A collector database of the first schema (metric records with their strings in each row)
/// opened by this version: migration "v2-metric-series" moves every record under its series,
/// and the queries answer what they answered before.
@Suite struct SQLiteMigrationTests {
    @Test func metricRecordsOfTheFirstSchemaSurviveTheMove() async throws {
        let path = NSTemporaryDirectory() + "gaitway-migration-\(UInt64.random(in: 0...UInt64.max)).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        // The v1 table as that migration made it, and GRDB's record that v1 ran.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1');
                CREATE TABLE metric_record (
                    id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, subject_kind INTEGER NOT NULL, subject TEXT NOT NULL,
                    metric TEXT NOT NULL, unit TEXT NOT NULL, time_us INTEGER NOT NULL, end_us INTEGER,
                    value REAL NOT NULL, quality REAL);
                INSERT INTO metric_record (tenant, subject_kind, subject, metric, unit, time_us, end_us, value, quality) VALUES
                    ('a', 0, 'C0:00:00:00:00:01', 'stride_time', 's', 2000, NULL, 1.1, 0.9),
                    ('a', 0, 'C0:00:00:00:00:01', 'stride_time', 's', 1000, NULL, 1.0, NULL),
                    ('a', 1, 'runner', 'rmssd', 'ms', 1000, 301000, 42, NULL),
                    ('b', 0, 'C0:00:00:00:00:01', 'stride_time', 's', 1500, NULL, 9.9, NULL);
                """)
        }
        try old.close()

        let storage = try SQLiteCollectorStorage(path: path)
        let strides = try await storage.metricRecords(MetricQuery(metric: "stride_time"), tenant: "a")
        #expect(strides.map(\.timeMicros) == [1000, 2000])
        #expect(strides.map(\.value) == [1.0, 1.1])
        #expect(strides.map(\.quality) == [nil, 0.9])
        #expect(strides.allSatisfy { $0.subject == "C0:00:00:00:00:01" && $0.unit == "s" && $0.subjectKind == .device })
        let runner = try await storage.metricRecords(MetricQuery(subjectKind: .wearer), tenant: "a")
        #expect(runner.map(\.endMicros) == [301000])
        #expect(runner.map(\.metric) == ["rmssd"])
        let other = try await storage.metricRecords(MetricQuery(), tenant: "b")
        #expect(other.map(\.value) == [9.9])
        let buckets = try await storage.metricBuckets(MetricQuery(), bucketMicros: 1_000_000, tenant: "a")
        #expect(buckets.map(\.metric) == ["stride_time", "rmssd"])
        #expect(buckets.map(\.count) == [2, 1])
    }
}
