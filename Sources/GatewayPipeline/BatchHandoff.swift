import GatewayStore
import Synchronization

/// Where the ingest stage hands a finished ``StoreBatch``: straight into the store
/// (``DirectCommit``: capture replay, tests) or over a bounded queue to the store service
/// (``StoreQueue``: the running gateway, whose BLE thread must never wait on the disk).
public protocol BatchHandoff: AnyObject {
    /// Takes the batch's rows and leaves `batch` empty, or returns false and leaves it as it
    /// is when the store is behind (the caller keeps appending to it, within its bound).
    func take(_ batch: inout StoreBatch) throws(GatewayStoreError) -> Bool
    /// What reached the store so far.
    var progress: StoreProgress { get }
}

/// What the store committed, read by the status display, the logs and the tests from any thread.
public final class StoreProgress: Sendable {
    let committedSampleCount = Atomic<Int>(0)
    let commitCount = Atomic<Int>(0)
    let failedCommitCount = Atomic<Int>(0)
    let pendingBatchCount = Atomic<Int>(0)
    let lastErrorText = Mutex<String?>(nil)

    public init() {}

    public var committedSamples: Int { committedSampleCount.load(ordering: .relaxed) }
    public var commits: Int { commitCount.load(ordering: .relaxed) }
    /// Commits that failed (and were retried: a full disk) since the start.
    public var failedCommits: Int { failedCommitCount.load(ordering: .relaxed) }
    /// Batches handed over and not yet committed.
    public var pendingBatches: Int { pendingBatchCount.load(ordering: .relaxed) }
    /// The last commit failure, while the store has not recovered from it.
    public var lastError: String? { lastErrorText.withLock { $0 } }

    func committed(samples: Int) {
        committedSampleCount.add(samples, ordering: .relaxed)
        commitCount.add(1, ordering: .relaxed)
        lastErrorText.withLock { $0 = nil }
    }

    func failed(_ error: GatewayStoreError) {
        failedCommitCount.add(1, ordering: .relaxed)
        lastErrorText.withLock { $0 = error.description }
    }
}

/// Commits on the caller's thread: for capture replay, benchmarks and tests.
public final class DirectCommit: BatchHandoff {
    public let store: GatewayStore
    public let progress = StoreProgress()

    public init(store: GatewayStore) { self.store = store }

    public func take(_ batch: inout StoreBatch) throws(GatewayStoreError) -> Bool {
        do throws(GatewayStoreError) {
            try store.commit(batch)
        } catch {
            progress.failed(error)
            throw error
        }
        progress.committed(samples: batch.sampleCount)
        batch.removeAll()
        return true
    }
}

/// The bounded hand-over from the BLE thread to the store service.
///
/// ``take(_:)`` never blocks: it enqueues the batch (swapping in an emptied one the store
/// service gave back, so that steady state allocates no new buffers) unless `capacity`
/// batches already wait, and then says no; the ingest stage keeps the rows and sheds
/// payloads beyond its own bound, counted. ``finish(with:)`` hands over the last batch
/// whatever the queue holds and ends ``batches``.
public final class StoreQueue: BatchHandoff, Sendable {
    public let capacity: Int
    public let progress = StoreProgress()
    /// The store service's side: batches in the order they were taken.
    public let batches: AsyncStream<StoreBatch>
    let continuation: AsyncStream<StoreBatch>.Continuation
    /// Committed batches, emptied, for the BLE thread to fill again.
    let spare = Mutex<[StoreBatch]>([])

    public init(capacity: Int = 4) {
        self.capacity = max(1, capacity)
        (batches, continuation) = AsyncStream.makeStream(of: StoreBatch.self, bufferingPolicy: .unbounded)
    }

    public func take(_ batch: inout StoreBatch) -> Bool {
        guard progress.pendingBatches < capacity else { return false }
        hand(&batch)
        return true
    }

    /// The last batch of a run, taken whatever the queue holds; then the stream ends.
    public func finish(with batch: inout StoreBatch) {
        if !batch.isEmpty { hand(&batch) }
        continuation.finish()
    }

    /// Samples of the batches handed over recently, as an exponential average (weight
    /// 1/16): what one commit interval usually brings.
    let typicalSamples = Mutex<Double>(0)

    /// The store service is done with a batch: empty it and keep it for reuse, unless it
    /// grew well beyond a usual commit interval's (the store was behind and the BLE side
    /// held rows for several intervals): keeping such a buffer would pin that peak in
    /// resident memory for the rest of the run, so it is freed.
    public func recycle(_ batch: consuming StoreBatch) {
        progress.pendingBatchCount.subtract(1, ordering: .relaxed)
        var batch = batch
        let typical = typicalSamples.withLock { $0 }
        guard Double(batch.sampleCount) <= max(2 * typical, Double(Self.alwaysKept)) else { return }
        batch.removeAll()
        spare.withLock { spare in
            if spare.count < capacity { spare.append(batch) }
        }
    }

    /// Batches this small are always kept for reuse (a quiet gateway's).
    static let alwaysKept = 4096

    private func hand(_ batch: inout StoreBatch) {
        let samples = Double(batch.sampleCount)
        typicalSamples.withLock { $0 = $0 == 0 ? samples : $0 + (samples - $0) / 16 }
        var next = spare.withLock { $0.popLast() } ?? StoreBatch()
        swap(&batch, &next)
        progress.pendingBatchCount.add(1, ordering: .relaxed)
        continuation.yield(next)
    }
}
