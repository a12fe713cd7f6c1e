import GatewayStore
import Testing
@testable import GatewayPipeline

/// The hand-over's buffers: reused in steady state, but a batch that grew while the
/// store was behind is freed rather than kept (its peak would stay resident).
@Suite struct StoreQueueTests {
    static func batch(samples: Int) -> StoreBatch {
        var batch = StoreBatch()
        for index in 0..<samples {
            batch.appendSample(gatewayTimeMicros: Int64(index), deviceTimeMicros: nil, address: "C0:00:00:00:00:01",
                               quantity: "heart_rate", unit: "bpm", channel: -1, value: 60)
        }
        return batch
    }

    @Test func batchesOfUsualSizeAreReusedAndOversizedOnesFreed() async {
        let queue = StoreQueue(capacity: 4)
        var iterator = queue.batches.makeAsyncIterator()
        // Steady state: 10,000 samples a commit interval; each batch comes back for reuse.
        for _ in 0..<20 {
            var batch = Self.batch(samples: 10_000)
            #expect(queue.take(&batch))
            guard let committed = await iterator.next() else { Issue.record("stream ended"); return }
            queue.recycle(committed)
        }
        #expect(queue.spare.withLock { $0.count } == 1)
        // The store was behind: one batch held 100,000 samples. It is not kept.
        var big = Self.batch(samples: 100_000)
        _ = queue.spare.withLock { $0.removeAll() }
        #expect(queue.take(&big))
        guard let committed = await iterator.next() else { Issue.record("stream ended"); return }
        queue.recycle(committed)
        #expect(queue.spare.withLock { $0.isEmpty }, "the oversized batch was kept for reuse")
        // A usual one after it is kept again.
        var usual = Self.batch(samples: 10_000)
        #expect(queue.take(&usual))
        guard let next = await iterator.next() else { Issue.record("stream ended"); return }
        queue.recycle(next)
        #expect(queue.spare.withLock { $0.count } == 1)
    }
}
