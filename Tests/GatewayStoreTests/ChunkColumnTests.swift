import Foundation
import GRDB
import Testing
@testable import GatewayStore

/// Round trips of chunk format 2's column encodings on seeded random data, and of whole
/// chunks through a store, including format-1 rows written as the first release did.
@Suite struct ChunkColumnTests {
    static func roundTrip(_ values: [Int64], base: Int64, channels: [Int]?) throws -> (decoded: [Int64], size: Int) {
        let bytes = IntegerColumn.encode(values, base: base, channels: channels)
        let decoded = try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            let decoded = try IntegerColumn.decode(&reader, count: values.count, base: base, channels: channels)
            try reader.expectEnd("test")
            return decoded
        }
        return (decoded, bytes.count)
    }

    static func roundTrip(_ values: [Double], channels: [Int]) throws -> (decoded: [Double], size: Int) {
        let bytes = ValueColumn.encode(values, channels: channels)
        let decoded = try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            let decoded = try ValueColumn.decode(&reader, count: values.count, channels: channels)
            try reader.expectEnd("test")
            return decoded
        }
        return (decoded, bytes.count)
    }

    /// Integer sequences of every shape: periodic, jittered, grouped, random, extremes,
    /// non-monotonic, single elements; with and without channels.
    @Test func integerColumnsRoundTripAnySequence() throws {
        var random = SeededGenerator(state: 9)
        for round in 0..<400 {
            let count = round % 7 == 0 ? 1 : Int.random(in: 1...600, using: &random)
            let base = [0, Int64.min, Int64.max, Int64.random(in: .min ... .max, using: &random)][round % 4]
            var values: [Int64] = []
            var current = Int64.random(in: .min ... .max, using: &random)
            let step = Int64.random(in: -20_000...20_000, using: &random)
            for index in 0..<count {
                switch round % 5 {
                case 0: current = current &+ step
                case 1: current = current &+ step &+ Int64.random(in: -2...2, using: &random)
                case 2: if index % 80 == 0 { current = current &+ step }
                case 3: current = Int64.random(in: .min ... .max, using: &random)
                default: current = [Int64.min, Int64.max, 0, -1, 1][Int.random(in: 0..<5, using: &random)]
                }
                values.append(current)
            }
            let channels = round % 2 == 0 ? (0..<count).map { $0 % 80 - (round % 3 == 0 ? 1 : 0) } : nil
            let (decoded, _) = try Self.roundTrip(values, base: base, channels: channels)
            #expect(decoded == values, "round \(round)")
        }
    }

    /// Periodic times cost one run, grouped ones a run per group: the compaction the
    /// encodings are for, measured rather than assumed.
    @Test func steadySequencesTakeAFewBytes() throws {
        let periodic = (0..<4096).map { 1_700_000_000_000_000 + Int64($0) * 10_000 }
        let (decodedPeriodic, periodicSize) = try Self.roundTrip(periodic, base: periodic[0], channels: nil)
        #expect(decodedPeriodic == periodic)
        #expect(periodicSize <= 8)
        // 50 notifications of 80 cells, one time each, 20 ms apart.
        let grouped = (0..<4000).map { 1_700_000_000_000_000 + Int64($0 / 80) * 20_000 }
        let (decodedGrouped, groupedSize) = try Self.roundTrip(grouped, base: grouped[0], channels: nil)
        #expect(decodedGrouped == grouped)
        #expect(groupedSize <= 50 * 6)
        let cells = (0..<4000).map { $0 % 80 }
        let (decodedCells, cellsSize) = try Self.roundTrip(cells.map(Int64.init), base: 0, channels: nil)
        #expect(decodedCells == cells.map(Int64.init))
        #expect(cellsSize <= 50 * 6)
    }

    @Test func valuesRoundTripBitForBit() throws {
        var random = SeededGenerator(state: 33)
        let specials: [Double] = [
            .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF8_0000_0000_1234), 0, -0.0, .infinity, -.infinity,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 9_007_199_254_740_993,
            0.1, 1e-9, 123.456_789_012, -9.806_65,
        ]
        for round in 0..<300 {
            let count = round % 9 == 0 ? 1 : Int.random(in: 1...500, using: &random)
            let decimals = Int.random(in: 0...4, using: &random)
            let scale = pow(10, Double(decimals))
            let channels = (0..<count).map { round % 2 == 0 ? -1 : $0 % 16 }
            var values: [Double] = []
            var integer = Int64.random(in: -100_000...100_000, using: &random)
            for _ in 0..<count {
                integer += Int64.random(in: -50...50, using: &random)
                switch round % 4 {
                case 0: values.append(Double(integer) / scale)
                case 1: values.append(Double(integer) / scale + (Bool.random(using: &random) ? 0 : 1e-7))
                case 2: values.append(Double(bitPattern: random.next()))
                default: values.append(specials[Int.random(in: 0..<specials.count, using: &random)])
                }
            }
            let (decoded, _) = try Self.roundTrip(values, channels: channels)
            #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern), "round \(round)")
        }
    }

    @Test func decimalValuesAreStoredAsSmallIntegers() throws {
        // A pressure cell sampled at 0.1 kPa resolution changing slowly: about a byte each.
        let values: [Double] = (0..<4000).map { (index: Int) -> Double in
            let tenths: Int = 1000 + (index / 80) % 7 + index % 80
            return Double(tenths) / 10
        }
        let channels = (0..<4000).map { $0 % 80 }
        let (decoded, size) = try Self.roundTrip(values, channels: channels)
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(size <= 4000 + 16)
        #expect(ValueColumn.decimalForm(values)?.decimals == 1)
        #expect(ValueColumn.decimalForm([-0.0]) == nil)
        #expect(ValueColumn.decimalForm([0.5, 3]).map(\.decimals) == 1)
    }

    @Test func damagedColumnsAreErrors() throws {
        // A run longer than the chunk; an unknown tag; a truncated varint.
        let cases: [[UInt8]] = [[4, 0, 10], [0x30, 0], [0, 0x80]]
        for bytes in cases {
            #expect(throws: MalformedChunk.self) {
                try bytes.withUnsafeBytes { raw in
                    var reader = ByteReader(raw)
                    _ = try IntegerColumn.decode(&reader, count: 3, base: 0, channels: nil)
                }
            }
        }
    }

    /// Random batches through a store: the rows come back exactly, chunks are format 2.
    @Test func randomChunksRoundTripThroughAStore() throws {
        var random = SeededGenerator(state: 77)
        let store = try GatewayStore.inMemory()
        var expected: [StoredSample] = []
        for commit in 0..<4 {
            var samples: [StoredSample] = []
            for index in 0..<3000 {
                let address = TestAddress.all[index % 3]
                let grouped = Int64(index / 60) * 20_000 + Int64(commit) * 100_000_000
                let time = index % 5 == 0 ? Int64.random(in: -1_000_000...Int64.max / 2, using: &random) : grouped
                let device: Int64? = index % 7 == 0 ? nil : (index % 11 == 0 ? .min : time / 3 + 17)
                let value = index % 13 == 0 ? [Double.infinity, -0.0, 1e300][index % 3] : Double(index % 97) / 100
                samples.append(StoredSample(
                    gatewayTimeMicros: time, deviceTimeMicros: device, address: address,
                    quantity: index % 2 == 0 ? "plantar_pressure" : "heart_rate", unit: nil,
                    channel: index % 2 == 0 ? index % 60 : -1, value: value))
            }
            try store.commit(Dataset.batch(samples))
            expected += samples
        }
        expected = ChunkLayoutTests.referenceOrdered(expected)
        #expect(try store.samples(SampleQuery()) == expected)
        let formats = try store.writer.read { db in
            try Data.fetchAll(db, sql: "SELECT gateway_times FROM sample_chunk").map { $0.first }
        }
        #expect(!formats.isEmpty && formats.allSatisfy { $0 == ChunkFormat.compact })
    }

    /// A chunk written by the first release (format 1, no tags) still reads.
    @Test func formatOneChunksStayReadable() throws {
        let store = try GatewayStore.inMemory()
        func float(_ value: Double) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        try store.writer.write { db in
            try db.execute(sql: "INSERT INTO device (id, address) VALUES (1, ?)", arguments: [TestAddress.a])
            try db.execute(sql: "INSERT INTO quantity (id, name, unit) VALUES (1, 'heart_rate', 'bpm')")
            // Times 1_000_000 and +300 (varint 0xAC 0x02); device times 7 and 9 (zigzag 14, 4);
            // channels -1, -1 (zigzag 1); values 72.5 and 73.
            try db.execute(sql: """
                INSERT INTO sample_chunk (device_id, quantity_id, start_us, end_us, count,
                                          gateway_times, device_times, channels, sample_values)
                VALUES (1, 1, 1000000, 1000300, 2, ?, ?, ?, ?)
                """, arguments: [Data([0, 0xAC, 0x02]), Data([0, 14, 4]), Data([1, 1]), Data(float(72.5) + float(73))])
        }
        let samples = try store.samples(SampleQuery())
        #expect(samples.map(\.gatewayTimeMicros) == [1_000_000, 1_000_300])
        #expect(samples.map(\.deviceTimeMicros) == [7, 9])
        #expect(samples.map(\.channel) == [-1, -1])
        #expect(samples.map(\.value) == [72.5, 73])
    }
}
