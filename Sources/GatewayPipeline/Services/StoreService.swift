import GatewayStore
import Logging
import Metrics
import ServiceLifecycle

/// The store service: commits the batches the BLE thread hands over (``StoreQueue``) with
/// GRDB's async write, so that an fsync never stalls HCI reads, and keeps going on a full
/// disk: the batch is retried with backoff (1 s doubling to 30 s) while the BLE side keeps
/// its own batch within its bound, and the failure shows in ``StoreProgress`` and the logs.
///
/// It stops when the queue ends (the BLE service finished it with the last batch) and does
/// not react to a graceful shutdown itself: it must drain first. At shutdown a batch that
/// still cannot be written after `shutdownAttempts` attempts is given up, and said so.
public struct StoreService: Service {
    public let store: GatewayStore
    public let queue: StoreQueue
    public let logger: Logger
    /// Called after a commit failed for a full disk, before the retry: frees room (retention
    /// and quota rules) and returns a line for the log, or nil if it freed nothing. Async: an
    /// eviction deletes and rewrites pages, which must not hold a thread of the cooperative pool.
    public var makeRoom: (@Sendable (GatewayStore) async throws -> String?)?
    public var shutdownAttempts = 3

    let commitTimer = Metrics.Timer(label: "gaitway_store_commit_seconds")
    let committedSamples = Counter(label: "gaitway_store_committed_samples_total")
    let failedCommits = Counter(label: "gaitway_store_failed_commits_total")

    public init(store: GatewayStore, queue: StoreQueue, logger: Logger) {
        self.store = store
        self.queue = queue
        self.logger = logger
    }

    public func run() async throws {
        for await batch in queue.batches {
            try await commit(batch)
            queue.recycle(batch)
        }
        logger.debug("store service drained", metadata: ["commits": "\(queue.progress.commits)"])
        // Drained because the BLE service ended the queue: the group is shutting down, and a
        // service that returns before its turn counts as finished unexpectedly.
        try? await gracefulShutdown()
    }

    func commit(_ batch: StoreBatch) async throws {
        var delay = 1.0
        var attempts = 0
        while true {
            let start = ContinuousClock.now
            guard let error = await attempt(batch) else {
                commitTimer.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
                committedSamples.increment(by: batch.sampleCount)
                queue.progress.committed(samples: batch.sampleCount)
                if attempts > 0 { logger.notice("the store commits again after \(attempts) failed attempts") }
                return
            }
            guard error.isDiskFull else { throw error }
            attempts += 1
            failedCommits.increment()
            queue.progress.failed(error)
            var eviction = ""
            if let makeRoom {
                eviction = " (" + ((try? await makeRoom(store)) ?? nil ?? "nothing could be evicted") + ")"
            }
            if attempts == 1 || attempts.isMultiple(of: 10) {
                logger.error("\(error); the batch waits in memory, retrying in \(Int(delay)) s\(eviction)")
            }
            if Task.isShuttingDownGracefully || Task.isCancelled, attempts >= shutdownAttempts {
                logger.error("stopping with a full disk: \(batch.sampleCount) samples of the last batch are not stored")
                return
            }
            try? await Task.sleep(for: .seconds(delay))
            delay = min(delay * 2, 30)
        }
    }

    /// One commit; the error if it failed.
    func attempt(_ batch: StoreBatch) async -> GatewayStoreError? {
        let result: Result<Void, GatewayStoreError>
        do {
            try await store.commit(batch)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        if case .failure(let error) = result { return error }
        return nil
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
