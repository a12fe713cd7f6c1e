import Foundation
import GRDB
import Testing
@testable import GatewayStore

@Suite struct StoreRoundTripTests {
    /// Payloads of every awkward shape: empty, all byte values, a NUL, a long one.
    static let payloads: [[UInt8]] = [
        [0x16, 0x48, 0x00, 0x04, 0x20, 0x03],  // HRM: flags 0x16, 72 bpm, RR 1024/1024 s, 800/1024 s
        [],
        [0x00],
        Array(0...255),
        Array(repeating: 0xFF, count: 244),
    ]

    @Test func samplesAndRawPayloadsSurviveAFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        var batch = StoreBatch()
        // 30 rounds, with empty payloads inside one chunk.
        let payloads = Array((0..<30).map { _ in Self.payloads }.joined())
        for (index, payload) in payloads.enumerated() {
            batch.appendRaw(gatewayTimeMicros: 1_700_000_000_000_000 + Int64(index), address: TestAddress.a,
                            source: RawPayloadSource.notification, uuid: "00002a37-0000-1000-8000-00805f9b34fb", bytes: payload)
        }
        batch.appendRaw(gatewayTimeMicros: 1_700_000_000_001_000, address: TestAddress.b,
                        source: RawPayloadSource.advertisement, uuid: "0xFFFF", bytes: [0xFF, 0xFF, 0x01])
        let samples = [
            StoredSample(gatewayTimeMicros: 1_700_000_000_000_000, deviceTimeMicros: nil, address: TestAddress.a,
                         quantity: "heart_rate", unit: "bpm", channel: -1, value: 72),
            StoredSample(gatewayTimeMicros: 1_700_000_000_000_000, deviceTimeMicros: -5, address: TestAddress.a,
                         quantity: "rr_interval", unit: "s", channel: 0, value: 1.0),
            StoredSample(gatewayTimeMicros: 1_700_000_000_000_000, deviceTimeMicros: Int64.max, address: TestAddress.a,
                         quantity: "rr_interval", unit: "s", channel: 1, value: 0.78125),
            StoredSample(gatewayTimeMicros: 1_700_000_000_000_001, deviceTimeMicros: 0, address: TestAddress.b,
                         quantity: "accel_x", unit: "m/s²", channel: -1, value: -9.806_65),
            StoredSample(gatewayTimeMicros: 1_700_000_000_000_002, deviceTimeMicros: nil, address: TestAddress.b,
                         quantity: "accel_x", unit: "m/s²", channel: -1, value: .infinity),
            StoredSample(gatewayTimeMicros: 1_700_000_000_000_003, deviceTimeMicros: nil, address: TestAddress.b,
                         quantity: "accel_x", unit: "m/s²", channel: -1, value: Double.leastNonzeroMagnitude),
        ]
        for sample in samples {
            batch.appendSample(gatewayTimeMicros: sample.gatewayTimeMicros, deviceTimeMicros: sample.deviceTimeMicros,
                               address: sample.address, quantity: sample.quantity, unit: sample.unit,
                               channel: sample.channel, value: sample.value)
        }
        do {
            let store = try GatewayStore(path: path)
            try store.commit(batch)
            try store.close()
        }

        let store = try GatewayStore(path: path, options: .init(readOnly: true))
        #expect(try store.samples(SampleQuery()) == samples)
        var raws: [StoredRawPayload] = []
        try store.forEachRawPayload { raws.append($0) }
        #expect(raws.count == 151)
        #expect(raws.map(\.bytes) == payloads + [[0xFF, 0xFF, 0x01]])
        #expect(raws.first?.uuid == "00002a37-0000-1000-8000-00805f9b34fb")
        #expect(raws.first?.source == "notification")
        #expect(raws.last?.source == "advertisement")
        #expect(raws.last?.uuid == "0xFFFF")
        #expect(raws.last?.address == TestAddress.b)
        #expect(raws.map(\.gatewayTimeMicros).first == 1_700_000_000_000_000)
        #expect(try store.counts() == StoreCounts(samples: 6, rawPayloads: 151, devices: 2, events: 0))
        #expect(try store.quantities() == [
            StoredQuantity(name: "accel_x", unit: "m/s²"),
            StoredQuantity(name: "heart_rate", unit: "bpm"),
            StoredQuantity(name: "rr_interval", unit: "s"),
        ])
    }

    @Test func reopeningKeepsDataAndMigratesOnce() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let firstHalf = Array(Dataset.samples.prefix(60))
        let secondHalf = Array(Dataset.samples.dropFirst(60))
        do {
            let store = try GatewayStore(path: path)
            try store.commit(Dataset.batch(firstHalf))
            try store.close()
        }
        do {
            // A fresh store has no cached ids: the same devices and quantities must be
            // found again, not inserted twice.
            let store = try GatewayStore(path: path)
            #expect(try store.counts().samples == 60)
            try store.commit(Dataset.batch(secondHalf))
            try store.close()
        }
        let store = try GatewayStore(path: path)
        #expect(try store.counts() == StoreCounts(samples: 120, rawPayloads: 0, devices: 3, events: 0))
        #expect(try store.quantities().count == 2)
        #expect(try store.samples(SampleQuery()) == Dataset.samples.sorted(by: referenceOrder))
        try store.close()

        let inspector = try DatabaseQueue(path: path)
        let migrations = try inspector.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations == [StoreSchema.initialMigration, StoreSchema.metricsMigration, GatewayStore.uplinkMigration])
        let journalMode = try inspector.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journalMode == "wal")
        // The tables and indexes the documentation of GatewayStore describes.
        let objects = try inspector.read { db in
            try String.fetchAll(db, sql: """
                SELECT type || ' ' || name FROM sqlite_master
                WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY type, name
                """)
        }
        #expect(objects == [
            "index device_event_by_device_time", "index metric_record_by_metric_time", "index metric_record_by_time",
            "index raw_chunk_by_device_start", "index raw_chunk_by_span", "index raw_chunk_by_start",
            "index sample_chunk_by_device_quantity_start", "index sample_chunk_by_span", "index sample_chunk_by_start",
            "table device", "table device_event", "table metric", "table metric_record", "table payload_kind",
            "table quantity", "table raw_chunk", "table sample_chunk", "table uplink", "table uplink_parked",
            "table wearer",
        ])
    }

    @Test func filesAreCreatedOwnerOnly() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path)
        try store.commit(Dataset.batch(Array(Dataset.samples.prefix(4))))
        #expect(permissions(path) == 0o600)
        // SQLite gives its write-ahead log and shared-memory index the database's mode.
        #expect(permissions(path + "-wal") == 0o600)
        #expect(permissions(path + "-shm") == 0o600)
        try store.close()
    }

    @Test func durabilityIsAppliedToTheWriter() throws {
        let folder = try TemporaryFolder()
        for (durability, expected) in [(GatewayStore.Options.Durability.full, 2), (.normal, 1)] {
            let store = try GatewayStore(path: folder.path("store-\(expected).db"), options: .init(durability: durability))
            let synchronous = try store.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(synchronous == expected)
            try store.close()
        }
    }

    @Test func readOnlyStoreReadsBesideAWriterAndRefusesToWrite() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let writer = try GatewayStore(path: path)
        try writer.commit(Dataset.batch(Array(Dataset.samples.prefix(8))))
        let reader = try GatewayStore(path: path, options: .init(readOnly: true))
        #expect(try reader.counts().samples == 8)
        // Commits of the writer become visible to the reader's next query.
        try writer.commit(Dataset.batch(Array(Dataset.samples.dropFirst(8).prefix(8))))
        #expect(try reader.counts().samples == 16)
        #expect {
            try reader.commit(Dataset.batch(Array(Dataset.samples.prefix(1))))
        } throws: { error in
            (error as? GatewayStoreError)?.sqliteCode == 8 && (error as? GatewayStoreError)?.path == path
        }
        try reader.close()
        try writer.close()
    }
}
