import Foundation
import GaitwayTestSupport
import Testing
@testable import GatewayStore

/// Merging small sample chunks changes the layout, never the rows: every query returns the
/// same samples in the same order, ties and out-of-order arrivals included.
@Suite struct CompactionTests {
    /// 60 commits of 3 devices × (a scalar and a 4-cell array), times jittered so that
    /// chunks of one commit overlap the next and some samples tie on time and channel
    /// across commits (the order of arrival must survive the merge).
    static func fill(_ store: GatewayStore, seed: UInt64, jitter: Int64 = 60_000) throws {
        var random = SeededGenerator(seed: seed)
        for commit in 0..<60 {
            var batch = StoreBatch()
            for index in 0..<40 {
                for (rank, address) in TestAddress.all.enumerated() {
                    let base = Int64(commit) * 40_000 + Int64(index) * 1000
                    let time = base + Int64.random(in: -jitter...jitter, using: &random) / 1000 * 1000
                    let deviceTime: Int64? = rank == 1 ? time / 2 : nil
                    batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: deviceTime, address: address,
                                       quantity: "heart_rate", unit: "bpm", channel: -1,
                                       value: Double(Int.random(in: 40...200, using: &random)))
                    for cell in 0..<4 {
                        batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: deviceTime, address: address,
                                           quantity: "plantar_force", unit: "N", channel: cell,
                                           value: Double.random(in: 0..<900, using: &random).rounded() / 10)
                    }
                }
            }
            try store.commit(batch)
        }
    }

    static func everything(_ store: GatewayStore) throws -> [StoredSample] {
        try store.samples(SampleQuery())
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func mergedChunksReturnTheSameRows(seed: UInt64) throws {
        let store = try GatewayStore.inMemory()
        try Self.fill(store, seed: seed)
        let before = try Self.everything(store)
        let byDevice = try store.samples(SampleQuery(address: TestAddress.a, quantity: "plantar_force"))
        let window = try store.samples(SampleQuery(from: 500_000, to: 1_500_000))
        let report = try store.compactSamples()
        #expect(report.chunksRead == 60 * 6 && report.chunksWritten < report.chunksRead)
        #expect(report.samples == before.count)
        #expect(try Self.everything(store) == before)
        #expect(try store.samples(SampleQuery(address: TestAddress.a, quantity: "plantar_force")) == byDevice)
        #expect(try store.samples(SampleQuery(from: 500_000, to: 1_500_000)) == window)
        #expect(try store.counts().samples == before.count)
        // A second pass has nothing to merge.
        #expect(try store.compactSamples().chunksRead == 0)
    }

    /// Only chunks that end before the bound, and before every chunk left alone starts,
    /// move; the rows are still the same. (With the default jitter each commit's chunks
    /// overlap the ones before, all the way back, so a bound leaves everything alone.)
    @Test func aBoundLeavesTheLatestChunksAlone() throws {
        let overlapping = try GatewayStore.inMemory()
        try Self.fill(overlapping, seed: 9)
        let all = try Self.everything(overlapping)
        #expect(try overlapping.compactSamples(endingBefore: 1_200_000).chunksRead == 0)
        #expect(try Self.everything(overlapping) == all)

        let store = try GatewayStore.inMemory()
        try Self.fill(store, seed: 9, jitter: 3000)
        let before = try Self.everything(store)
        let report = try store.compactSamples(endingBefore: 1_200_000)
        #expect(report.chunksRead > 0 && report.chunksRead < 60 * 6)
        #expect(try Self.everything(store) == before)
    }
}
