import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import UploadFormat

/// `POST /v1/ingest`: one upload batch (UploadFormat), compressed per its `Content-Encoding`.
///
/// The body is decoded and checked whole before anything is written, so a malformed or
/// inconsistent batch gets 400 with the decoder's message and stores nothing; a valid one is
/// stored in one transaction, once per (tenant, batch id) however often it arrives.
struct IngestRoute: Sendable {
    let storage: any CollectorStorage
    let logger: Logger
    let counters: Counters

    /// `gaitway_collector_*` in the collector's registry.
    struct Counters: Sendable {
        let stored, duplicate, refused, samples: Prometheus.Counter

        init(_ registry: PrometheusCollectorRegistry) {
            let batches = "gaitway_collector_ingest_batches_total"
            stored = registry.makeCounter(name: batches, labels: [("outcome", "stored")])
            duplicate = registry.makeCounter(name: batches, labels: [("outcome", "duplicate")])
            refused = registry.makeCounter(name: batches, labels: [("outcome", "refused")])
            samples = registry.makeCounter(name: "gaitway_collector_ingest_samples_total")
        }
    }

    struct Acknowledgement: ResponseEncodable {
        var batch: String
        /// `stored` the first time, `duplicate` when the tenant already had this batch id.
        var status: String
        var samples: Int
        var events: Int
        var metric_records: Int
    }

    func register(on group: RouterGroup<CollectorRequestContext>) {
        group.post { request, context in try await ingest(request, context: context) }
    }

    func ingest(_ request: Request, context: CollectorRequestContext) async throws -> Acknowledgement {
        let caller = try context.requireCaller()
        let batch: UploadBatch
        do {
            let coding = try ContentCoding(header: request.headers[.contentEncoding])
            let body = try await request.body.collect(upTo: CollectorConfiguration.maximumBodyBytes)
            let wire = try coding.decode(Array(body.readableBytesView), limit: CollectorConfiguration.maximumInflatedBytes)
            batch = try UploadBatch(decoding: wire)
        } catch let error as UploadFormatError {
            counters.refused.increment()
            if case .unsupportedContentEncoding = error {
                throw HTTPError(.unsupportedMediaType, message: error.description)
            }
            throw HTTPError(.badRequest, message: error.description)
        }
        // The gateway also sends the batch id as its Idempotency-Key
        // (draft-ietf-httpapi-idempotency-key-header): a key that names another batch is a
        // client bug, refused before anything is stored.
        if let key = request.headers[.idempotencyKey], key != batch.id {
            throw HTTPError(.badRequest, message: "Idempotency-Key \(key) is not the body's batch id \(batch.id)")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let outcome = try await storage.ingest(batch, tenant: caller.tenant, receivedMicros: now)
        if outcome == .stored {
            counters.stored.increment()
            counters.samples.increment(by: Int64(batch.samples.count))
        } else {
            counters.duplicate.increment()
        }
        context.logger.info("ingest", metadata: [
            "tenant": .string(caller.tenant), "batch": .string(batch.id), "gateway": .string(batch.gatewayID),
            "samples": .stringConvertible(batch.samples.count), "outcome": .string("\(outcome)"),
        ])
        return Acknowledgement(batch: batch.id, status: outcome == .stored ? "stored" : "duplicate",
                               samples: batch.samples.count, events: batch.events.count,
                               metric_records: batch.metricRecords.count)
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}
