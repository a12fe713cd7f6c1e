import Collector
import Foundation
import GaitwayTestSupport
import Testing
import UploadFormat

/// Samples stored as chunks (SQLite) or rows (PostgreSQL) come back alike: every sample once, in time
/// order, whatever the page size, filters, overlaps between batches and ties.
@Suite struct SampleChunkTests {
    struct Expected: Hashable, Comparable {
        var time: Int64
        var address: String
        var quantity: String
        var channel: Int32
        var value: Double

        static func < (lhs: Expected, rhs: Expected) -> Bool {
            (lhs.time, lhs.address, lhs.quantity, lhs.channel, lhs.value) < (rhs.time, rhs.address, rhs.quantity, rhs.channel, rhs.value)
        }
    }

    /// Three batches whose times overlap, of three devices (one with 8 channels, more than a
    /// chunk's 4,096 samples per batch), some samples out of order and some on the same time.
    static func batches(seed: UInt64) throws -> (batches: [UploadBatch], expected: [Expected]) {
        var random = SeededGenerator(seed: seed)
        var expected: [Expected] = []
        var batches: [UploadBatch] = []
        for number in 0..<3 {
            var batch = try UploadBatch(id: "chunks-\(number)", gatewayID: "g")
            for step in 0..<700 {
                let time = 1_000_000 + Int64(step) * 10_000 + Int64(number) * 2_000_000 + Int64.random(in: -30_000...30_000, using: &random) / 10_000 * 10_000
                for (address, quantity, channels) in [("A", "plantar_force", 8), ("B", "heart_rate", 1), ("C", "spo2", 1)]
                where channels == 8 || step % 7 == 0 {
                    for channel in 0..<channels {
                        let value = Double(Int.random(in: 0..<1000, using: &random))
                        let channelValue = Int32(channels == 1 ? -1 : channel)
                        batch.appendSample(address: address, quantity: quantity, unit: nil, channel: channelValue,
                                           timeMicros: time, value: value)
                        expected.append(Expected(time: time, address: address, quantity: quantity, channel: channelValue,
                                                 value: value))
                    }
                }
            }
            batches.append(batch)
        }
        return (batches, expected)
    }

    static func page(_ storage: any CollectorStorage, _ query: SampleQuery) async throws -> [Expected] {
        var query = query
        var all: [Expected] = []
        repeat {
            let page = try await storage.samples(query, tenant: "t")
            #expect(page.rows.count <= query.limit)
            all += page.rows.map { Expected(time: $0.timeMicros, address: $0.address, quantity: $0.quantity,
                                            channel: $0.channel, value: $0.value) }
            query.after = page.next
        } while query.after != nil
        return all
    }

    @Test(arguments: Harness.Backend.allCases, [1, 2] as [UInt64])
    func pagesAreTheRowsInTimeOrder(backend: Harness.Backend, seed: UInt64) async throws {
        try await Harness.withStorage(backend) { storage in try await Self.check(storage, seed: seed) }
    }

    static func check(_ storage: any CollectorStorage, seed: UInt64) async throws {
        let (batches, expected) = try Self.batches(seed: seed)
        for batch in batches { #expect(try await storage.ingest(batch, tenant: "t", receivedMicros: 0) == .stored) }
        #expect(try await storage.ingest(batches[1], tenant: "t", receivedMicros: 0) == .duplicate)
        for limit in [333, 10_000] {
            let all = try await Self.page(storage, SampleQuery(limit: limit))
            #expect(all.count == expected.count, "limit \(limit)")
            // Time, then arrival: the batches in the order stored, each in its own order (as
            // the PostgreSQL storage numbers its rows).
            let arrival = expected.indices.sorted { expected[$0].time != expected[$1].time
                ? expected[$0].time < expected[$1].time : $0 < $1 }.map { expected[$0] }
            #expect(all == arrival, "limit \(limit)")
            if limit == 333 {
                // A window and a device: the same as filtering everything.
                let window = try await Self.page(storage, SampleQuery(device: "A", fromMicros: 3_000_000, toMicros: 4_500_000,
                                                                       limit: limit))
                #expect(window == all.filter { $0.address == "A" && $0.time >= 3_000_000 && $0.time < 4_500_000 })
                // Pages of one: every cursor lands between two samples.
                let quantity = try await Self.page(storage, SampleQuery(quantity: "spo2", limit: 1))
                #expect(quantity == all.filter { $0.quantity == "spo2" })
            }
        }
        // Another tenant sees none of it.
        #expect(try await storage.samples(SampleQuery(), tenant: "other").rows.isEmpty)
    }
}
