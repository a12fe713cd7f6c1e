import Foundation
import GatewayStore
import Logging
import Metrics
import ServiceLifecycle

/// The retention service: every `interval` it applies the gateway's retention policy
/// (`--keep-raw`, `--max-db-size`) to the store, so that a board's SD card holds the
/// newest data and never fills: raw payloads past their period go, and above the quota the
/// oldest data by class (``GatewayStore/enforceRetention(_:now:)``). Each eviction is
/// logged with what went and counted (`gaitway_store_evicted_*_total`).
///
/// A full disk between two passes is the store service's `makeRoom` hook
/// (``makeRoom(_:)``): the same rules, down to 90 % of what is in use when there is no quota.
public struct RetentionService: Service {
    public let store: GatewayStore
    public let policy: GatewayStore.RetentionPolicy
    public let interval: Duration
    public let logger: Logger
    /// Gateway time, seconds since the Unix epoch.
    public let clock: @Sendable () -> Double

    let evictedRaw = Counter(label: "gaitway_store_evicted_raw_payloads_total")
    let evictedSamples = Counter(label: "gaitway_store_evicted_samples_total")
    let evictedEvents = Counter(label: "gaitway_store_evicted_events_total")
    let evictedRecords = Counter(label: "gaitway_store_evicted_metric_records_total")
    /// Samples, events and records the quota evicted before the uplink delivered them.
    let evictedUndelivered = Counter(label: "gaitway_store_evicted_undelivered_total")

    public init(store: GatewayStore, policy: GatewayStore.RetentionPolicy, interval: Duration = .seconds(60),
                logger: Logger, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.store = store
        self.policy = policy
        self.interval = interval
        self.logger = logger
        self.clock = clock
    }

    public func run() async throws {
        // Sleeps end at a graceful shutdown (cancelled), and the service returns: nothing is
        // left half done, each pass being one transaction.
        try? await cancelWhenGracefulShutdown {
            var lastPass: ContinuousClock.Instant?
            while !Task.isCancelled {
                if lastPass.map({ ContinuousClock.now - $0 >= interval }) ?? true || overQuota() {
                    await enforce()
                    lastPass = .now
                }
                try await Task.sleep(for: quotaCheckInterval)
            }
        }
    }

    /// How often the pages in use are compared with the quota between passes (three
    /// PRAGMAs in a read: cheap), so that a busy gateway evicts before the hard cap turns
    /// commits into full-disk errors.
    public var quotaCheckInterval: Duration = .seconds(1)

    /// Whether the pages in use are above the level a pass evicts from: 95 % of the quota,
    /// above the 90 % a pass leaves, so that passes do not follow every commit.
    func overQuota() -> Bool {
        guard let maximum = policy.maximumBytes, let inUse = try? store.bytesInUse() else { return false }
        return Double(inUse) > Double(maximum) * 0.95
    }

    /// One pass; a failed pass is logged and the next one tried at the next interval.
    func enforce() async {
        do {
            let report = try await store.enforceRetention(policy, now: Int64((clock() * 1_000_000).rounded()))
            note(report)
        } catch {
            logger.error("retention: \(error)")
        }
    }

    /// For ``StoreService/makeRoom``: after a commit failed for a full disk, evicts by the
    /// quota rules (to the quota, or to 90 % of what is in use when there is none, or the
    /// quota is not what filled up) and returns the line for the log.
    public func makeRoom(_ store: GatewayStore) async throws -> String? {
        var policy = self.policy
        let inUse = try store.bytesInUse()
        policy.maximumBytes = min(policy.maximumBytes ?? inUse, inUse)
        let report = try await store.enforceRetention(policy, now: Int64((clock() * 1_000_000).rounded()))
        note(report)
        return report.isEmpty ? nil : report.description
    }

    func note(_ report: GatewayStore.RetentionReport) {
        guard !report.isEmpty else { return }
        evictedRaw.increment(by: report.expiredRawPayloads + report.quotaRawPayloads)
        evictedSamples.increment(by: report.quotaSamples)
        evictedEvents.increment(by: report.quotaEvents)
        evictedRecords.increment(by: report.quotaMetricRecords)
        evictedUndelivered.increment(by: report.quotaUndelivered)
        // Losing what the collector never got is worth more than a notice.
        if report.quotaUndelivered > 0 {
            logger.warning("retention: \(report)")
        } else {
            logger.notice("retention: \(report)")
        }
    }
}
