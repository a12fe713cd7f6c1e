import AsyncHTTPClient
import Foundation
import GatewayStore
import Logging
import Metrics
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UploadFormat

/// The uplink (issue 13): sends what the store committed to the collector's
/// `POST /v1/ingest`, batch after batch, and moves the store's delivery cursor only on a 2xx.
///
/// Each batch is a range of row ids the store writes down before the first POST
/// (``GatewayStore/nextUplinkRange(maximumSamples:maximumRows:)``); until it is acknowledged
/// the same range goes again under the same batch id, across retries, restarts and
/// SIGKILLs, and the collector stores a batch id once: nothing committed is lost on the way
/// or stored twice. What an answer means is ``UplinkOutcome``'s business; the waits are
/// ``UplinkBackoff``'s.
///
/// Bodies are gzip (`Content-Encoding: gzip`) of the UploadFormat wire form, sent with
/// `Authorization: Bearer TOKEN` and the batch id in `Idempotency-Key`
/// (draft-ietf-httpapi-idempotency-key-header), over HTTP or HTTPS (the system's trust
/// store, or only the CA certificates of `caFile`) with AsyncHTTPClient.
///
/// The store's reads and writes and the building of a batch (a 100,000-sample batch is read,
/// encoded and gzipped in tens of ms) run on a serial queue of the uplink's own
/// (``offPool(_:)``): they never hold a thread of the cooperative pool, which the other
/// services' tasks and the HTTP client's callbacks need (issue 9: nothing blocks the pool).
public struct UplinkService: Service {
    public struct Configuration: Sendable {
        /// The collector's ingest URL (`https://collector.example/v1/ingest`).
        public var url: String
        public var token: String
        /// Names this gateway in its batches (and their ids).
        public var gateway: String
        /// PEM file of the CA certificates to trust instead of the system's.
        public var caFile: String?
        /// A batch holds whole sample chunks up to this many samples ...
        public var maximumSamples = 100_000
        /// ... and at most this many device events and as many metric records.
        public var maximumRows = 10_000
        /// How often the store is looked at when everything is delivered.
        public var pollInterval: Duration = .seconds(1)
        public var backoff = UplinkBackoff()
        /// For one POST, connection included (AsyncHTTPClient tries to connect again until
        /// then: a collector that is down shows as a failed attempt after this long).
        public var requestTimeout: Duration = .seconds(30)
        /// At a graceful shutdown (after the store's last commit), how long the uplink goes
        /// on sending what is left before it stops; the rest goes at the next start.
        public var finalDrain: Duration = .seconds(5)

        public init(url: String, token: String, gateway: String, caFile: String? = nil) {
            self.url = url
            self.token = token
            self.gateway = gateway
            self.caFile = caFile
        }
    }

    public let store: GatewayStore
    public var configuration: Configuration
    public let progress: UplinkProgress
    public let logger: Logger

    let batches = Counter(label: "gaitway_uplink_batches_total")
    let sentSamples = Counter(label: "gaitway_uplink_samples_total")
    let failures = Counter(label: "gaitway_uplink_failures_total")
    let parked = Counter(label: "gaitway_uplink_parked_batches_total")
    let backlogSamples = Gauge(label: "gaitway_uplink_backlog_samples")
    let lagSeconds = Gauge(label: "gaitway_uplink_lag_seconds")
    let blockingWork = DispatchQueue(label: "gaitway.uplink.store")

    public init(store: GatewayStore, configuration: Configuration, progress: UplinkProgress = UplinkProgress(),
                logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.progress = progress
        self.logger = logger
    }

    /// Checks that `url` is an absolute http or https URL with a host.
    public static func problem(url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              parsed.host?.isEmpty == false else {
            return "must be an http:// or https:// URL with a host, like https://collector.example/v1/ingest"
        }
        return nil
    }

    public func run() async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile { tls.trustRoots = .file(caFile) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: HTTPClient.Configuration(tlsConfiguration: tls))
        logger.info("uploading to \(configuration.url) as \(configuration.gateway)")
        // The group stops the store service before this one (services stop in reverse
        // order), so at a graceful shutdown the last commit is in: the uplink sends what is
        // left for up to `finalDrain`, without waiting out a backoff, then stops. A batch cut
        // short stays written down in the store and goes first at the next start.
        let stopBy = StopDeadline()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Bool.self) { tasks in
                tasks.addTask {
                    await upload(with: client, stopBy: stopBy)
                    return true
                }
                // The backlog and lag once a second, also while a POST waits for a collector
                // that is down (the live table and the gauges would otherwise stand still),
                // until the upload above ends.
                tasks.addTask {
                    while !Task.isCancelled {
                        await refreshBacklog()
                        try? await Task.sleep(for: .seconds(1))
                    }
                    return false
                }
                while let uploadEnded = await tasks.next() {
                    if uploadEnded { tasks.cancelAll() }
                }
            }
        } onGracefulShutdown: { [finalDrain = configuration.finalDrain] in
            stopBy.set(.now + finalDrain)
        }
        try? await client.shutdown()
    }

    /// When a shutdown wants the uplink stopped; nil while it runs on.
    final class StopDeadline: Sendable {
        private let deadline = Mutex<ContinuousClock.Instant?>(nil)
        func set(_ instant: ContinuousClock.Instant) { deadline.withLock { $0 = $0 ?? instant } }
        var instant: ContinuousClock.Instant? { deadline.withLock { $0 } }
        var isPassed: Bool { instant.map { ContinuousClock.now >= $0 } ?? false }

        /// Sleeps `duration`, or less when a shutdown comes meanwhile.
        func nap(_ duration: Duration) async {
            let end = ContinuousClock.now + duration
            while instant == nil, !Task.isCancelled, ContinuousClock.now < end {
                try? await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
            }
        }
    }

    func upload(with client: HTTPClient, stopBy: StopDeadline) async {
        var random = SystemRandomNumberGenerator()
        var attempt = 0
        var lastProblem: String?
        var prepared: (range: UplinkRange, body: [UInt8], batch: UploadBatch)?
        // Halved at each 413 for the rest of the run (the collector's or its proxy's body limit).
        var limits = (samples: configuration.maximumSamples, rows: configuration.maximumRows)
        var refused: (range: UplinkRange, reason: String)?
        while !Task.isCancelled, !stopBy.isPassed {
            let range: UplinkRange?
            do {
                range = try await offPool { [store, limits] in
                    try store.nextUplinkRange(maximumSamples: limits.samples, maximumRows: limits.rows)
                }
            } catch {
                logger.error("uplink: \(error)")
                if stopBy.instant != nil { return }
                await stopBy.nap(configuration.backoff.delay(attempt: attempt, random: &random))
                attempt += 1
                continue
            }
            guard let range else {
                // Caught up: shown at once (while sending, the once-a-second refresh does).
                await refreshBacklog()
                progress.update { $0.state = .idle }
                if stopBy.instant != nil { return }  // everything delivered
                await stopBy.nap(configuration.pollInterval)
                continue
            }
            if let tooLarge = refused, tooLarge.range == range {
                // As small as a batch gets (one sample chunk): nothing smaller to send.
                refused = nil
                await park(range, status: 413, reason: tooLarge.reason)
                prepared = nil
                continue
            }
            refused = nil
            if prepared?.range != range {
                do {
                    prepared = try await offPool { [store, gateway = configuration.gateway] in
                        let batch = try UploadBatch.reading(range, from: store, gateway: gateway)
                        return (range, ContentCoding.gzip.encode(try batch.encoded()), batch)
                    }
                } catch {
                    // A batch that cannot be read or encoded never will be: parked (status 0).
                    await park(range, status: 0, reason: "cannot build the batch: \(error)")
                    prepared = nil
                    continue
                }
            }
            guard let (_, body, batch) = prepared else { continue }
            if batch.isEmpty {
                // Everything in the range was evicted meanwhile: nothing to send.
                await finish(range, batch: batch, sent: false)
                continue
            }
            progress.update { $0.state = .sending }
            var timeout = configuration.requestTimeout
            if let stop = stopBy.instant { timeout = min(timeout, max(.milliseconds(1), stop - ContinuousClock.now)) }
            let answer = await post(body, batchID: batch.id, timeout: timeout, with: client)
            // Cut short by the shutdown: not a failure to report; the batch goes next time.
            if Task.isCancelled || (answer.status == nil && stopBy.isPassed) { return }
            switch UplinkOutcome.of(status: answer.status, retryAfter: answer.retryAfter, reason: answer.reason,
                                    attempt: attempt, backoff: configuration.backoff, now: Date(), random: &random) {
            case .delivered:
                await finish(range, batch: batch, sent: true)
                if attempt > 0 { logger.notice("uplink: delivering again after \(attempt) failed attempts") }
                attempt = 0
                lastProblem = nil
                prepared = nil
            case .retry(let delay, let reason):
                failures.increment()
                // Logged when it changes, not at every retry of a long outage.
                if reason != lastProblem {
                    logger.warning("uplink: batch \(batch.id) not delivered (\(reason)); retrying with backoff")
                }
                lastProblem = reason
                attempt += 1
                progress.update {
                    $0.state = .waiting
                    $0.lastError = reason
                    $0.failedAttempts += 1
                }
                if stopBy.instant != nil { return }
                await stopBy.nap(delay)
            case .park(let status, let reason):
                await park(range, status: status, reason: reason)
                attempt = 0
                prepared = nil
            case .tooLarge(let reason):
                let rows = max(batch.events.count, batch.metricRecords.count)
                limits = (min(limits.samples, max(1, batch.samples.count / 2)), min(limits.rows, max(1, rows / 2)))
                logger.warning("""
                    uplink: the collector refused batch \(batch.id) of \(batch.samples.count) samples as too large \
                    (HTTP 413: \(reason)); from now on batches of at most \(limits.samples) samples and \
                    \(limits.rows) events and as many metric records
                    """)
                // A smaller batch from the same place next (413: the collector stored none of it).
                do {
                    try await offPool { [store] in try store.abandonUplinkRange(range) }
                } catch {
                    logger.error("uplink: \(error)")
                }
                refused = (range, reason)
                attempt = 0
                prepared = nil
            }
        }
    }

    /// One POST: the status, `Retry-After` and the collector's message, or no status and the
    /// transport's error.
    func post(_ body: [UInt8], batchID: String, timeout: Duration, with client: HTTPClient) async
        -> (status: Int?, retryAfter: String?, reason: String)
    {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.token)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.headers.add(name: "Idempotency-Key", value: batchID)
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(
                request, timeout: .nanoseconds(Int64(UplinkBackoff.seconds(timeout) * 1e9)))
            let text = try await response.body.collect(upTo: 64 * 1024)
            return (Int(response.status.code), response.headers.first(name: "Retry-After"),
                    Self.message(String(buffer: text), status: response.status.reasonPhrase))
        } catch {
            return (nil, nil, "\(error)")
        }
    }

    /// The collector's error message (`{"error": {"message": ...}}`, Hummingbird's), else
    /// the body's start, else the reason phrase.
    static func message(_ body: String, status: String) -> String {
        if let data = body.data(using: .utf8),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let message = (object["error"] as? [String: Any])?["message"] as? String {
            return message
        }
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? status : String(trimmed.prefix(200))
    }

    func finish(_ range: UplinkRange, batch: UploadBatch, sent: Bool) async {
        do {
            try await offPool { [store] in try store.markUplinkDelivered(range) }
        } catch {
            logger.error("uplink: \(error)")
            return
        }
        if sent {
            batches.increment()
            sentSamples.increment(by: batch.samples.count)
        }
        progress.update {
            $0.deliveredBatches += sent ? 1 : 0
            $0.deliveredSamples += batch.samples.count
            $0.lastError = nil
            $0.state = .sending
        }
    }

    func park(_ range: UplinkRange, status: Int, reason: String) async {
        logger.error("""
            uplink: the collector refused a batch for good (\(status == 0 ? "not sent" : "HTTP \(status)"): \(reason)); \
            parked (rows \(range.after) to \(range.through), kept in the store, table uplink_parked) and going on
            """)
        parked.increment()
        do {
            let time = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
            try await offPool { [store] in try store.parkUplinkBatch(range, status: status, reason: reason, at: time) }
        } catch {
            logger.error("uplink: \(error)")
        }
        progress.update {
            $0.parkedBatches += 1
            $0.lastError = "parked a batch: \(reason)"
        }
    }

    /// Runs `work` on the uplink's serial queue and waits for it without holding a thread of
    /// the cooperative pool.
    func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            blockingWork.async { continuation.resume(with: Result { try work() }) }
        }
    }

    func refreshBacklog() async {
        guard let backlog = try? await offPool({ [store] in try store.uplinkBacklog() }) else { return }
        let now = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
        let lag = backlog.oldestMicros.map { Double(max(0, now - $0)) / 1_000_000 } ?? 0
        backlogSamples.record(backlog.samples)
        lagSeconds.record(lag)
        progress.update {
            $0.backlog = backlog
            $0.lagSeconds = lag
        }
    }
}

/// Where the uplink stands, for the live table and the logs; updated by ``UplinkService``,
/// read from any thread.
public final class UplinkProgress: Sendable {
    private let status = Mutex(UplinkStatus())

    public init() {}

    public var current: UplinkStatus { status.withLock { $0 } }

    func update(_ change: (inout UplinkStatus) -> Void) { status.withLock { change(&$0) } }
}

public struct UplinkStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Not started yet.
        case starting
        /// Everything committed is delivered.
        case idle
        /// Batches are going out.
        case sending
        /// The last POST failed; waiting to send it again.
        case waiting
    }

    public var state = State.starting
    public var backlog = UplinkBacklog()
    /// Now minus the oldest undelivered row's time, seconds; 0 with no backlog.
    public var lagSeconds = 0.0
    public var deliveredBatches = 0
    public var deliveredSamples = 0
    public var failedAttempts = 0
    public var parkedBatches = 0
    /// The last failure, until a batch goes through.
    public var lastError: String?

    public init() {}
}
