import Foundation
import GaitwayTestSupport
import Testing
@testable import GatewayStore

/// The uplink's delivery cursor: every committed row goes into exactly one batch, whatever
/// happens between choosing a batch and its acknowledgement (a reopen, compaction,
/// eviction).
@Suite struct UplinkCursorTests {
    /// A sample key that tells every sample of ``CompactionTests/fill(_:seed:jitter:)`` apart
    /// from the others except true duplicates, which the multiset comparison keeps.
    static func key(_ sample: StoredSample) -> String {
        "\(sample.gatewayTimeMicros)|\(sample.address)|\(sample.quantity)|\(sample.channel)|\(sample.value)"
    }

    /// Sends everything above the cursor in batches of at most `maximumSamples`, returning
    /// the samples, events and records sent, as a collector would receive them.
    static func drain(_ store: GatewayStore, maximumSamples: Int = 500, maximumRows: Int = 7,
                      between: (Int) throws -> Void = { _ in }) throws
        -> (samples: [String], events: Int, records: Int, batches: [String])
    {
        var samples: [String] = [], events = 0, records = 0, batches: [String] = []
        while let range = try store.nextUplinkRange(maximumSamples: maximumSamples, maximumRows: maximumRows) {
            // Asked again before it is acknowledged: the same range (a retry, a restart).
            #expect(try store.nextUplinkRange(maximumSamples: 1, maximumRows: 1) == range)
            var batchSamples = 0
            try store.forEachUplinkRow(in: range, sample: { samples.append(key($0)); batchSamples += 1 },
                                       event: { _ in events += 1 }, metricRecord: { _ in records += 1 })
            // Whole chunks (at most 4096 samples each) up to the maximum, or one larger chunk.
            #expect(batchSamples <= max(maximumSamples, GatewayStore.maximumChunkCount))
            batches.append(range.batchID(gateway: "gw-1"))
            try between(batches.count)
            try store.markUplinkDelivered(range)
        }
        return (samples, events, records, batches)
    }

    static func addEventsAndRecords(_ store: GatewayStore, count: Int) throws {
        var batch = StoreBatch()
        for index in 0..<count {
            batch.appendEvent(gatewayTimeMicros: Int64(index), address: TestAddress.a, kind: "connected", detail: nil)
            batch.appendMetricRecord(timeMicros: Int64(index), endMicros: nil, subject: .wearer(name: "w"),
                                     metric: "stride_time", unit: "s", value: 1, quality: nil)
        }
        try store.commit(batch)
    }

    @Test func everyRowIsSentOnceInBatchesOfBoundedSize() throws {
        let store = try GatewayStore.inMemory()
        try CompactionTests.fill(store, seed: 4)
        try Self.addEventsAndRecords(store, count: 20)
        let all = try store.samples(SampleQuery()).map(Self.key)
        let sent = try Self.drain(store)
        #expect(sent.samples.sorted() == all.sorted())
        #expect(sent.events == 20 && sent.records == 20)
        #expect(Set(sent.batches).count == sent.batches.count)
        #expect(sent.batches.allSatisfy { $0.utf8.count <= 64 })
        #expect(try store.uplinkBacklog().isEmpty)
        #expect(try store.nextUplinkRange(maximumSamples: 500, maximumRows: 7) == nil)
        // New commits after a full delivery are the next batch, and only they.
        try Self.addEventsAndRecords(store, count: 3)
        let more = try Self.drain(store)
        #expect(more.samples.isEmpty && more.events == 3 && more.records == 3)
    }

    /// The batch in flight is written down: a store opened again sends the same range
    /// under the same batch id, and the cursor survives.
    @Test func theBatchInFlightSurvivesAReopen() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("uplink.db")
        let first: UplinkRange
        do {
            let store = try GatewayStore(path: path)
            try CompactionTests.fill(store, seed: 5)
            let delivered = try #require(try store.nextUplinkRange(maximumSamples: 300, maximumRows: 10))
            try store.markUplinkDelivered(delivered)
            first = try #require(try store.nextUplinkRange(maximumSamples: 300, maximumRows: 10))
            #expect(first.after == delivered.through)
        }
        let reopened = try GatewayStore(path: path)
        let state = try reopened.uplinkState()
        #expect(state.delivered == first.after)
        #expect(state.pending == first)
        #expect(try reopened.nextUplinkRange(maximumSamples: 5000, maximumRows: 100) == first)
        // A stale acknowledgement (not the batch in flight) changes nothing.
        try reopened.markUplinkDelivered(UplinkRange(after: first.after, through: first.after))
        #expect(try reopened.uplinkState().pending == first)
    }

    /// Compaction between batches merges chunks on each side of the cursor but never
    /// across it, nor the batch in flight: still every sample once.
    @Test(arguments: [6, 7] as [UInt64])
    func compactionBetweenBatchesNeitherRepeatsNorSkips(seed: UInt64) throws {
        let store = try GatewayStore.inMemory()
        try CompactionTests.fill(store, seed: seed, jitter: 0)
        let all = try store.samples(SampleQuery()).map(Self.key)
        var merged = 0
        let sent = try Self.drain(store, maximumSamples: 2000) { batch in
            if batch % 2 == 1 { merged += try store.compactSamples().chunksRead }
        }
        #expect(merged > 0)
        #expect(sent.samples.sorted() == all.sorted())
        // And the store's own queries still return every sample once.
        #expect(try store.samples(SampleQuery()).map(Self.key).sorted() == all.sorted())
    }

    /// The quota evicts what the collector has before what it has not, counts what it
    /// evicts undelivered, and never the newest row (whose id the next row would reuse).
    @Test func theQuotaEvictsDeliveredRowsFirst() throws {
        let folder = try TemporaryFolder()
        let store = try GatewayStore(path: folder.path("quota.db"))
        try CompactionTests.fill(store, seed: 8, jitter: 0)
        let total = try store.counts().samples
        let range = try #require(try store.nextUplinkRange(maximumSamples: total / 2, maximumRows: 10))
        try store.markUplinkDelivered(range)
        let backlogBefore = try store.uplinkBacklog()
        let size = try store.bytesInUse()
        // Room for all but a few percent: only delivered samples go.
        let gentle = try store.enforceRetention(.init(maximumBytes: size * 19 / 20), now: 0)
        #expect(gentle.quotaSamples > 0 && gentle.quotaUndelivered == 0)
        #expect(try store.uplinkBacklog() == backlogBefore)
        // No room at all: undelivered samples go too, counted, but the newest chunk stays.
        let harsh = try store.enforceRetention(.init(maximumBytes: 1), now: 0)
        #expect(harsh.quotaUndelivered > 0)
        #expect(harsh.description.contains("never uploaded"))
        let left = try store.uplinkBacklog()
        #expect(left.samples > 0 && left.samples < backlogBefore.samples)
        // What is left is still sent, and only once.
        let sent = try Self.drain(store)
        #expect(sent.samples.count == left.samples)
    }

    @Test func aParkedBatchIsSkippedAndKept() throws {
        let store = try GatewayStore.inMemory()
        try Self.addEventsAndRecords(store, count: 4)
        let range = try #require(try store.nextUplinkRange(maximumSamples: 10, maximumRows: 2))
        try store.parkUplinkBatch(range, status: 413, reason: "batch too large", at: 42)
        let parked = try store.parkedUploads()
        #expect(parked == [ParkedUpload(range: range, status: 413, reason: "batch too large", parkedAtMicros: 42)])
        let next = try #require(try store.nextUplinkRange(maximumSamples: 10, maximumRows: 2))
        #expect(next.after == range.through)
        #expect(try store.uplinkBacklog().events == 2)
    }

    @Test func batchIDsAreValidUploadIDs() {
        let range = UplinkRange(after: UplinkPosition(sampleChunk: 12, event: 3, metricRecord: 0),
                                through: UplinkPosition(sampleChunk: 4_000_000_000, event: 99, metricRecord: 7))
        #expect(range.batchID(gateway: "gw 1/ü") == "gw1:s12.e3.m0-s4000000000.e99.m7")
        let long = range.batchID(gateway: String(repeating: "g", count: 100))
        #expect(long.utf8.count <= 64 && long.hasSuffix(":s12.e3.m0-s4000000000.e99.m7"))
    }
}
