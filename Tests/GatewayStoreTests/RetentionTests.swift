import GRDB
import Foundation
import GaitwayTestSupport
import Testing
@testable import GatewayStore

/// Retention and the quota: raw payloads past `keepRaw` go, and above the quota the oldest
/// data goes by class (raw, then samples, events last), every eviction counted.
@Suite struct RetentionTests {
    static let second: Int64 = 1_000_000

    static func rawTimes(_ store: GatewayStore) throws -> [Int64] {
        var times: [Int64] = []
        try store.forEachRawPayload { times.append($0.gatewayTimeMicros) }
        return times
    }

    /// One commit per simulated second for `seconds` seconds: per second 50 raw payloads of
    /// 20 pseudo-random bytes, 50 samples with pseudo-random values and one device event.
    static func fill(_ store: GatewayStore, seconds: Int, seed: UInt64 = 7) throws {
        var random = SeededGenerator(seed: seed)
        for second in 0..<seconds {
            var batch = StoreBatch()
            let base = Int64(second) * Self.second
            for index in 0..<50 {
                let time = base + Int64(index) * 20_000
                let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &random) }
                batch.appendRaw(gatewayTimeMicros: time, address: TestAddress.a, source: "notification",
                                uuid: "2a37", bytes: bytes)
                batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: nil, address: TestAddress.a,
                                   quantity: "heart_rate", unit: "bpm", channel: -1,
                                   value: Double.random(in: 0..<1, using: &random))
            }
            batch.appendEvent(gatewayTimeMicros: base, address: TestAddress.a, kind: "connected", detail: nil)
            try store.commit(batch)
        }
    }

    @Test func rawPayloadsPastKeepRawAreEvictedAndCounted() throws {
        let store = try GatewayStore.inMemory()
        try Self.fill(store, seconds: 20)
        let before = try store.counts()
        #expect(before.rawPayloads == 1000 && before.samples == 1000)
        // At 20 s, keep 5 s of raw payloads: chunks that end before 15 s go.
        let report = try store.enforceRetention(.init(keepRaw: 5), now: 20 * Self.second)
        let after = try store.counts()
        #expect(report.expiredRawChunks > 0)
        #expect(after.rawPayloads == before.rawPayloads - report.expiredRawPayloads)
        let oldest = try Self.rawTimes(store).min()
        #expect(try #require(oldest) >= 14 * Self.second, "raw payloads older than the period remain")
        // Samples and events are not touched by keepRaw.
        #expect(after.samples == before.samples && after.events == before.events)
        #expect(report.quotaRawChunks == 0 && report.quotaSampleChunks == 0)
        // Nothing more to evict a second time.
        #expect(try store.enforceRetention(.init(keepRaw: 5), now: 20 * Self.second).isEmpty)
    }

    @Test func quotaEvictsRawFirstThenSamplesThenEvents() throws {
        let folder = try TemporaryFolder()
        let store = try GatewayStore(path: folder.path("quota.db"))
        defer { try? store.close() }
        try Self.fill(store, seconds: 200)
        let used = try store.bytesInUse()
        let counts = try store.counts()

        // A quota a little under what is used: only raw payloads go, oldest first.
        let mild = try store.enforceRetention(.init(maximumBytes: used * 9 / 10), now: 200 * Self.second)
        #expect(mild.quotaRawChunks > 0 && mild.quotaSampleChunks == 0 && mild.quotaEvents == 0)
        #expect(mild.bytesAfter <= Int64(Double(used * 9 / 10) * GatewayStore.RetentionPolicy.quotaTarget))
        #expect(try store.bytesInUse() == mild.bytesAfter)
        #expect(try store.counts().rawPayloads == counts.rawPayloads - mild.quotaRawPayloads)
        #expect(try store.counts().samples == counts.samples)
        let remainingRaw = try Self.rawTimes(store)
        let evictedNewest = Int64(mild.quotaRawPayloads / 50) * Self.second
        #expect(remainingRaw.allSatisfy { $0 >= evictedNewest - Self.second }, "a newer raw payload went before an older one")

        // A quota far below: all raw payloads, then the oldest samples; events stay
        // while there are samples to evict (all but the newest chunk: its id would be
        // reused by the next commit, under the uplink's cursor).
        let hard = try store.enforceRetention(.init(maximumBytes: used / 8), now: 200 * Self.second)
        #expect(try store.counts().rawPayloads == 0)
        #expect(hard.quotaSampleChunks > 0)
        let after = try store.counts()
        #expect(after.samples == counts.samples - hard.quotaSamples)
        if after.samples > 50 { #expect(hard.quotaEvents == 0 && after.events == counts.events) }
        #expect(after.samples >= 50)
        let samples = try store.samples(SampleQuery())
        #expect(samples.count == after.samples)
        #expect(samples.first.map { $0.gatewayTimeMicros >= Int64(hard.quotaSamples / 50 - 1) * Self.second } ?? true,
                "the oldest samples were not the ones evicted")
        #expect(hard.description.contains("samples"))
    }

    /// Freed pages are reused: a database at its quota that keeps receiving stops growing
    /// (its page count, free pages included, stays where the first eviction left it).
    @Test func theFileStopsGrowingUnderAQuota() throws {
        let folder = try TemporaryFolder()
        let store = try GatewayStore(path: folder.path("steady.db"))
        defer { try? store.close() }
        try Self.fill(store, seconds: 50)
        let quota = try store.bytesInUse()
        var inUse: [Int64] = [], pages: [Int64] = []
        for round in 1...6 {
            try Self.fill(store, seconds: 25, seed: UInt64(round))
            _ = try store.enforceRetention(.init(maximumBytes: quota), now: 0)
            inUse.append(try store.bytesInUse())
            pages.append(try store.read("count pages of") { db in try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0 })
        }
        #expect(inUse.allSatisfy { $0 <= quota }, "\(inUse) above the quota \(quota)")
        // 25 s more than the quota holds arrive each round; without reuse of the freed
        // pages the file would grow by that every round.
        #expect(pages.last! <= pages[1] + 8, "page counts \(pages): the freed pages are not reused")
    }
}
