import Foundation
import GRDB
import GaitwayTestSupport
import Testing
@testable import GatewayStore

/// The columnar layout behind the public API: samples and raw payloads stored as one
/// chunk row per (device, quantity or payload kind) and commit, merged back in order.
@Suite struct ChunkLayoutTests {
    /// `samples` sorted as the store promises: time, address, quantity, channel, then
    /// the order they were appended (across commits too).
    static func referenceOrdered(_ samples: [StoredSample]) -> [StoredSample] {
        samples.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element, rhs.element)
            return (l.gatewayTimeMicros, l.address, l.quantity, l.channel, lhs.offset)
                < (r.gatewayTimeMicros, r.address, r.quantity, r.channel, rhs.offset)
        }.map(\.element)
    }

    static func append(_ sample: StoredSample, to batch: inout StoreBatch) {
        batch.appendSample(
            gatewayTimeMicros: sample.gatewayTimeMicros, deviceTimeMicros: sample.deviceTimeMicros,
            address: sample.address, quantity: sample.quantity, unit: sample.unit,
            channel: sample.channel, value: sample.value)
    }

    @Test func overlappingCommitsInterleaveInTimeOrder() throws {
        let store = try GatewayStore.inMemory()
        // Commit 1 holds even times, commit 2 odd ones over the same span, as when a
        // device clock fit places a late packet before the previous commit's end.
        var appended: [StoredSample] = []
        for parity in 0..<2 {
            var batch = StoreBatch()
            for t in stride(from: parity, to: 40, by: 2) {
                for address in [TestAddress.a, TestAddress.b] {
                    let sample = StoredSample(
                        gatewayTimeMicros: Int64(t) * 10, deviceTimeMicros: nil, address: address,
                        quantity: "heart_rate", unit: "bpm", channel: -1, value: Double(t))
                    Self.append(sample, to: &batch)
                    appended.append(sample)
                }
            }
            try store.commit(batch)
        }
        // A third commit repeats an instant of the first: same key, later arrival.
        var batch = StoreBatch()
        let repeated = StoredSample(gatewayTimeMicros: 100, deviceTimeMicros: nil, address: TestAddress.a,
                                    quantity: "heart_rate", unit: "bpm", channel: -1, value: -1)
        Self.append(repeated, to: &batch)
        appended.append(repeated)
        try store.commit(batch)

        let all = try store.samples(SampleQuery())
        #expect(all == Self.referenceOrdered(appended))
        #expect(all.map(\.gatewayTimeMicros) == all.map(\.gatewayTimeMicros).sorted())
        #expect(all.filter { $0.gatewayTimeMicros == 100 }.map(\.value) == [10, -1, 10])
        #expect(try store.samples(SampleQuery(address: TestAddress.b)).map(\.value) == (0..<40).map(Double.init))
        #expect(try Self.chunkCount(store, "sample_chunk") == 5)
    }

    @Test func randomCommitsAnswerEveryQueryAsTheReference() throws {
        var generator = SeededGenerator(seed: 0xC4A7)
        print("ChunkLayoutTests seed 0xC4A7")
        let store = try GatewayStore.inMemory()
        var appended: [StoredSample] = []
        let quantities = ["heart_rate", "plantar_force", "rr_interval"]
        for _ in 0..<6 {
            var batch = StoreBatch()
            // Each commit covers a random window that may overlap the others; times
            // within a device's stream are not sorted either.
            let base = Int64.random(in: 0..<1_000, using: &generator)
            for _ in 0..<Int.random(in: 1..<400, using: &generator) {
                let quantity = quantities.randomElement(using: &generator)!
                let sample = StoredSample(
                    gatewayTimeMicros: base + Int64.random(in: 0..<300, using: &generator),
                    deviceTimeMicros: Bool.random(using: &generator) ? Int64.random(in: -1_000...1_000, using: &generator) : nil,
                    address: TestAddress.all.randomElement(using: &generator)!, quantity: quantity,
                    unit: quantity == "plantar_force" ? "N" : nil,
                    channel: quantity == "plantar_force" ? Int.random(in: 0..<4, using: &generator) : -1,
                    value: Double(Int.random(in: 0..<1_000_000, using: &generator)))
                Self.append(sample, to: &batch)
                appended.append(sample)
            }
            try store.commit(batch)
        }
        // Units are learnt per quantity; the reference carries what the store knows.
        let units = Dictionary(uniqueKeysWithValues: try store.quantities().map { ($0.name, $0.unit) })
        appended = appended.map { var sample = $0; sample.unit = units[sample.quantity] ?? nil; return sample }
        let ordered = Self.referenceOrdered(appended)
        #expect(try store.samples(SampleQuery()) == ordered)
        #expect(try store.counts().samples == appended.count)

        for _ in 0..<60 {
            let from = Bool.random(using: &generator) ? Int64.random(in: 0..<1_300, using: &generator) : nil
            let to = Bool.random(using: &generator) ? Int64.random(in: 0..<1_300, using: &generator) : nil
            let limit = Bool.random(using: &generator) ? Int.random(in: 0..<200, using: &generator) : nil
            let address = Bool.random(using: &generator) ? TestAddress.all.randomElement(using: &generator) : nil
            let quantity = Bool.random(using: &generator) ? quantities.randomElement(using: &generator) : nil
            let query = SampleQuery(address: address, quantity: quantity, from: from, to: to, limit: limit)
            let matching = ordered.filter { sample in
                (address.map { sample.address == $0 } ?? true) && (quantity.map { sample.quantity == $0 } ?? true)
                    && (from.map { sample.gatewayTimeMicros >= $0 } ?? true) && (to.map { sample.gatewayTimeMicros < $0 } ?? true)
            }
            let expected = limit.map { Array(matching.prefix($0)) } ?? matching
            #expect(try store.samples(query) == expected, "\(query)")
        }
    }

    @Test func limitStopsAcrossChunks() throws {
        let store = try GatewayStore.inMemory()
        for commit in 0..<5 {
            var batch = StoreBatch()
            for t in 0..<10 {
                batch.appendSample(gatewayTimeMicros: Int64(commit * 10 + t), deviceTimeMicros: nil, address: TestAddress.a,
                                   quantity: "q", unit: nil, channel: -1, value: Double(commit * 10 + t))
            }
            try store.commit(batch)
        }
        #expect(try Self.chunkCount(store, "sample_chunk") == 5)
        #expect(try store.samples(SampleQuery(limit: 25)).map(\.value) == (0..<25).map(Double.init))
        #expect(try store.samples(SampleQuery(from: 15, limit: 12)).map(\.value) == (15..<27).map(Double.init))
        #expect(try store.samples(SampleQuery(from: 45, limit: 100)).map(\.value) == (45..<50).map(Double.init))
        // The streaming form stops reading when told to, mid-chunk.
        var seen = 0
        try store.forEachSample(SampleQuery(limit: 3)) { _ in seen += 1 }
        #expect(seen == 3)
    }

    @Test func timeRangeCutsInsideAChunk() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        for t in 0..<100 {
            batch.appendSample(gatewayTimeMicros: 1_000 + Int64(t), deviceTimeMicros: nil, address: TestAddress.a,
                               quantity: "q", unit: nil, channel: -1, value: Double(t))
        }
        try store.commit(batch)
        #expect(try Self.chunkCount(store, "sample_chunk") == 1)
        #expect(try store.samples(SampleQuery(from: 1_010, to: 1_020)).map(\.value) == (10..<20).map(Double.init))
        #expect(try store.samples(SampleQuery(from: 1_099)).map(\.value) == [99])
        #expect(try store.samples(SampleQuery(to: 1_001)).map(\.value) == [0])
        #expect(try store.samples(SampleQuery(from: 1_100)).isEmpty)
        #expect(try store.samples(SampleQuery(to: 1_000)).isEmpty)
        #expect(try store.samples(SampleQuery(from: 1_050, to: 1_050)).isEmpty)
        #expect(try store.samples(SampleQuery(from: 1_060, to: 1_050)).isEmpty)
    }

    @Test func aWideChunkIsFoundByALaterRange() throws {
        // One chunk spans a long time (a device whose clock placed samples far apart);
        // narrow chunks after it must not hide it from a range starting inside it.
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        for t: Int64 in [0, 500_000, 1_000_000] {
            batch.appendSample(gatewayTimeMicros: t, deviceTimeMicros: nil, address: TestAddress.a,
                               quantity: "q", unit: nil, channel: -1, value: Double(t))
        }
        try store.commit(batch)
        for commit: Int64 in 1...5 {
            batch.removeAll()
            batch.appendSample(gatewayTimeMicros: commit * 200_000, deviceTimeMicros: nil, address: TestAddress.b,
                               quantity: "q", unit: nil, channel: -1, value: -Double(commit))
            try store.commit(batch)
        }
        #expect(try store.samples(SampleQuery(from: 400_000, to: 900_000)).map(\.value) == [-2, 500_000, -3, -4])
        #expect(try store.samples(SampleQuery(from: 999_999)).map(\.value) == [1_000_000, -5])
    }

    @Test func deviceTimesMixedWithMissingOnesInOneChunk() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        let deviceTimes: [Int64?] = [nil, 5, nil, nil, .min + 1, .max, 0, nil, -7, 12, nil]
        for (t, deviceTime) in deviceTimes.enumerated() {
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: deviceTime, address: TestAddress.a,
                               quantity: "q", unit: nil, channel: -1, value: 1)
            // Another quantity where every sample has one, and a third where none has.
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: Int64(t) * 1_000, address: TestAddress.a,
                               quantity: "r", unit: nil, channel: -1, value: 2)
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: nil, address: TestAddress.a,
                               quantity: "s", unit: nil, channel: -1, value: 3)
        }
        try store.commit(batch)
        #expect(try store.samples(SampleQuery(quantity: "q")).map(\.deviceTimeMicros) == deviceTimes)
        #expect(try store.samples(SampleQuery(quantity: "q", from: 4, to: 10)).map(\.deviceTimeMicros)
                == Array(deviceTimes[4..<10]))
        #expect(try store.samples(SampleQuery(quantity: "r")).map(\.deviceTimeMicros) == (0..<11).map { Int64($0) * 1_000 })
        #expect(try store.samples(SampleQuery(quantity: "s")).allSatisfy { $0.deviceTimeMicros == nil })
        let nulls = try store.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sample_chunk WHERE device_times IS NULL")
        }
        #expect(nulls == 1)
    }

    @Test func emptyRawPayloadsRoundTrip() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        // A chunk of only empty payloads (its bytes column is an empty BLOB), and one
        // mixing empty and non-empty ones.
        for t in 0..<3 {
            batch.appendRaw(gatewayTimeMicros: Int64(t), address: TestAddress.a, source: "read", uuid: "2A19", bytes: [UInt8]())
        }
        let mixed: [[UInt8]] = [[], [1], [], [], [2, 3], []]
        for (t, payload) in mixed.enumerated() {
            batch.appendRaw(gatewayTimeMicros: Int64(t), address: TestAddress.b, source: "notification", uuid: "2A37", bytes: payload)
        }
        try store.commit(batch)
        var a: [[UInt8]] = []
        try store.forEachRawPayload(address: TestAddress.a) { a.append($0.bytes) }
        #expect(a == [[], [], []])
        var b: [[UInt8]] = []
        try store.forEachRawPayload(address: TestAddress.b, from: 1) { b.append($0.bytes) }
        #expect(b == Array(mixed.dropFirst()))
        #expect(try store.counts().rawPayloads == 9)
    }

    @Test func rawPayloadsOfOneInstantKeepTheirArrivalAcrossChunksAndCommits() throws {
        let store = try GatewayStore.inMemory()
        var expected: [[UInt8]] = []
        for commit in 0..<3 {
            var batch = StoreBatch()
            // Out of time order within the batch, devices and kinds interleaved.
            for index in 0..<12 {
                let time = Int64((index * 7) % 4)
                let payload = [UInt8(commit), UInt8(index)]
                batch.appendRaw(gatewayTimeMicros: time, address: TestAddress.all[index % 3],
                                source: index % 2 == 0 ? "notification" : "read", uuid: "2A37", bytes: payload)
                expected.append(payload)
            }
            try store.commit(batch)
        }
        // Time, then commit, then position in the commit's batch.
        let order = expected.enumerated().sorted { lhs, rhs in
            let (l, r) = (Int(lhs.element[1]) * 7 % 4, Int(rhs.element[1]) * 7 % 4)
            return (l, lhs.offset) < (r, rhs.offset)
        }.map(\.element)
        var stored: [[UInt8]] = []
        try store.forEachRawPayload { stored.append($0.bytes) }
        #expect(stored == order)
        var limited: [[UInt8]] = []
        try store.forEachRawPayload(from: 1, to: 3, limit: 10) { limited.append($0.bytes) }
        #expect(limited == Array(order.filter { (1..<3).contains(Int($0[1]) * 7 % 4) }.prefix(10)))
    }

    @Test func aLargeBatchRoundTripsInSeveralChunks() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path, options: .init(durability: .normal))
        var batch = StoreBatch()
        let count = 100_000
        // Two quantities of one device, insole-like: 50 cells per instant.
        for index in 0..<count {
            let quantity = index % 2 == 0 ? "plantar_force" : "accel_x"
            batch.appendSample(gatewayTimeMicros: 1_700_000_000_000_000 + Int64(index / 100) * 10_000,
                               deviceTimeMicros: Int64(index / 100) * 10_000 + 3, address: TestAddress.a,
                               quantity: quantity, unit: nil, channel: (index / 2) % 50,
                               value: Double(index) * 0.001)
            if index % 100 == 0 {
                batch.appendRaw(gatewayTimeMicros: 1_700_000_000_000_000 + Int64(index / 100) * 10_000,
                                address: TestAddress.a, source: "notification", uuid: "FFF1",
                                bytes: (0..<200).map { UInt8(truncatingIfNeeded: $0 + index) })
            }
        }
        try store.commit(batch)
        let chunks = try Self.chunkCount(store, "sample_chunk")
        #expect(chunks == 2 * ((count / 2 + GatewayStore.maximumChunkCount - 1) / GatewayStore.maximumChunkCount))
        #expect(try store.counts() == StoreCounts(samples: count, rawPayloads: count / 100, devices: 1, events: 0))

        let forces = try store.samples(SampleQuery(quantity: "plantar_force"))
        #expect(forces.count == count / 2)
        #expect(forces.map(\.value) == stride(from: 0, to: count, by: 2).map { Double($0) * 0.001 })
        #expect(forces.map(\.channel) == (0..<count / 2).map { $0 % 50 })
        #expect(forces.allSatisfy { $0.deviceTimeMicros == $0.gatewayTimeMicros - 1_700_000_000_000_000 + 3 })
        let all = try store.samples(SampleQuery())
        #expect(all.count == count)
        #expect(all.prefix(100).map(\.quantity) == Array(repeating: "accel_x", count: 50) + Array(repeating: "plantar_force", count: 50))
        var raws = 0
        try store.forEachRawPayload { payload in
            #expect(payload.bytes.count == 200)
            raws += 1
        }
        #expect(raws == count / 100)
        // Compact: about 17 bytes a sample here (times and channels one byte each).
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(size + wal < 4_000_000)
        try store.close()
    }

    @Test func unsortedSamplesOfOneDeviceAreSortedAtCommit() throws {
        let store = try GatewayStore.inMemory()
        var batch = StoreBatch()
        let times: [Int64] = [5, 3, 9, 3, 1, 5]
        for (index, time) in times.enumerated() {
            batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: Int64(index), address: TestAddress.a,
                               quantity: "q", unit: nil, channel: index % 2, value: Double(index))
        }
        try store.commit(batch)
        // Time, then channel, then arrival: (1,c0,#4) (3,c1,#1) (3,c1,#3) (5,c0,#0) (5,c1,#5) (9,c0,#2).
        #expect(try store.samples(SampleQuery()).map(\.value) == [4, 1, 3, 0, 5, 2])
        #expect(try store.samples(SampleQuery()).map(\.deviceTimeMicros) == [4, 1, 3, 0, 5, 2])
    }

    @Test func aDamagedChunkIsAnErrorNotACrash() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path)
        try store.commit(Dataset.batch(Array(Dataset.samples.prefix(4))))
        // A count larger than its columns hold, a truncated varint, a short values column.
        for (count, times, values) in [(3, "000000", "000000000000F83F"), (1, "80", "000000000000F83F"), (1, "00", "0000")] {
            try DatabaseQueue(path: path).write { db in
                try db.execute(sql: "DELETE FROM sample_chunk WHERE start_us = -1")
                try db.execute(sql: """
                    INSERT INTO sample_chunk (device_id, quantity_id, start_us, end_us, count,
                                              gateway_times, channels, sample_values)
                    VALUES (1, 1, -1, -1, \(count), X'\(times)', X'01', X'\(values)')
                    """)
            }
            #expect {
                try store.forEachSample(SampleQuery()) { _ in }
            } throws: { error in
                guard case .invalidStoredData(path, "query samples from", _) = error as? GatewayStoreError else { return false }
                return true
            }
        }
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "DELETE FROM sample_chunk WHERE start_us = -1")
        }
        #expect(try store.samples(SampleQuery()).count == 4)
        // A payload length beyond the chunk's bytes.
        var batch = StoreBatch()
        batch.appendRaw(gatewayTimeMicros: 1, address: TestAddress.a, source: "read", uuid: "2A19", bytes: [1, 2])
        try store.commit(batch)
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "UPDATE raw_chunk SET lengths = X'05'") }
        #expect {
            try store.forEachRawPayload { _ in }
        } throws: { error in
            guard case .invalidStoredData(path, "read raw payloads from", _) = error as? GatewayStoreError else { return false }
            return true
        }
    }

    static func chunkCount(_ store: GatewayStore, _ table: String) throws -> Int {
        try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}
