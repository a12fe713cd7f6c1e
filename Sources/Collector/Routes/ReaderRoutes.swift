import Hummingbird
import UploadFormat

/// The reader API (JSON): devices, samples, events and metric records of the caller's tenant.
/// Times are RFC 3339 strings with microseconds; listings page with an opaque `next` cursor.
/// The bodies are written with ``JSONWriter`` in one pass over the storage's rows, in the
/// shapes of openapi.yaml (an absent value is `null`, never a missing key).
struct ReaderRoutes: Sendable {
    let storage: any CollectorStorage

    static let maximumLimit = 10_000

    func register(on group: RouterGroup<CollectorRequestContext>) {
        group.get("devices") { _, context in try await devices(context: context) }
        group.get("samples") { request, context in try await samples(request, context: context) }
        group.get("events") { request, context in try await events(request, context: context) }
        group.get("metrics") { request, context in try await metrics(request, context: context) }
    }

    static func name(_ kind: UploadBatch.SubjectKind) -> String { kind == .device ? "device" : "wearer" }

    // MARK: Devices

    /// `{"devices": [{"address", "gateway", "first_seen", "last_seen", "samples"}, ...]}`
    func devices(context: CollectorRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let devices = try await storage.devices(tenant: caller.tenant)
        return JSONWriter.list("{\"devices\":", devices, bound: { JSONWriter.Row.bound($0.address, $0.gateway) }) { json, device in
            json.raw("{\"address\":")
            json.string(device.address)
            json.raw(",\"gateway\":")
            json.string(device.gateway)
            json.raw(",\"first_seen\":")
            json.time(micros: device.firstSeenMicros)
            json.raw(",\"last_seen\":")
            json.time(micros: device.lastSeenMicros)
            json.raw(",\"samples\":")
            json.number(device.sampleCount)
            json.raw("}")
        }
    }

    // MARK: Samples

    /// `{"samples": [{"time", "address", "quantity", "channel", "value", "unit"}, ...], "next"}`
    func samples(_ request: Request, context: CollectorRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let parameters = QueryParameters(request)
        let (from, to) = try parameters.timeRange()
        let query = SampleQuery(
            device: try parameters.string("device"), quantity: try parameters.string("quantity"), fromMicros: from,
            toMicros: to, limit: try parameters.integer("limit", in: 1...Self.maximumLimit, default: 1000),
            after: try parameters.cursor())
        let page = try await storage.samples(query, tenant: caller.tenant)
        return JSONWriter.page("{\"samples\":", page.rows, next: page.next?.token,
                               bound: { JSONWriter.Row.bound($0.address, $0.quantity, $0.unit) }) { json, sample in
            json.raw("{\"time\":")
            json.time(micros: sample.timeMicros)
            json.raw(",\"address\":")
            json.string(sample.address)
            json.raw(",\"quantity\":")
            json.string(sample.quantity)
            json.raw(",\"channel\":")
            json.number(Int64(sample.channel))
            json.raw(",\"value\":")
            json.number(sample.value)
            json.raw(",\"unit\":")
            json.string(sample.unit)
            json.raw("}")
        }
    }

    // MARK: Events

    /// `{"events": [{"time", "address", "kind", "detail"}, ...], "next"}`
    func events(_ request: Request, context: CollectorRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let parameters = QueryParameters(request)
        let (from, to) = try parameters.timeRange()
        let query = EventQuery(
            device: try parameters.string("device"), kind: try parameters.string("kind"), fromMicros: from,
            toMicros: to, limit: try parameters.integer("limit", in: 1...Self.maximumLimit, default: 1000),
            after: try parameters.cursor())
        let page = try await storage.events(query, tenant: caller.tenant)
        return JSONWriter.page("{\"events\":", page.rows, next: page.next?.token,
                               bound: { JSONWriter.Row.bound($0.address, $0.kind, $0.detail) }) { json, event in
            json.raw("{\"time\":")
            json.time(micros: event.timeMicros)
            json.raw(",\"address\":")
            json.string(event.address)
            json.raw(",\"kind\":")
            json.string(event.kind)
            json.raw(",\"detail\":")
            json.string(event.detail)
            json.raw("}")
        }
    }

    // MARK: Metrics

    /// `{"records": [{"time", "end", "subject_kind", "subject", "metric", "value", "unit",
    /// "quality"}, ...]}`, or with `bucket`: `{"buckets": [{"time", "end", "subject_kind",
    /// "subject", "metric", "unit", "count", "min", "mean", "max"}, ...]}`.
    func metrics(_ request: Request, context: CollectorRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let parameters = QueryParameters(request)
        let (from, to) = try parameters.timeRange()
        let device = try parameters.string("device"), wearer = try parameters.string("wearer")
        if device != nil, wearer != nil { throw HTTPError(.badRequest, message: "give device or wearer, not both") }
        let query = MetricQuery(
            subjectKind: device != nil ? .device : wearer != nil ? .wearer : nil, subject: device ?? wearer,
            metric: try parameters.string("metric"), fromMicros: from, toMicros: to,
            limit: try parameters.integer("limit", in: 1...Self.maximumLimit, default: Self.maximumLimit))
        // A bucket from a second to a year, in seconds.
        if let bucketText = try parameters.string("bucket") {
            guard let seconds = Int64(bucketText), (1...31_536_000).contains(seconds) else {
                throw HTTPError(.badRequest, message: "bucket must be a whole number of seconds in 1...31536000")
            }
            let buckets = try await storage.metricBuckets(query, bucketMicros: seconds * RFC3339.microsPerSecond,
                                                          tenant: caller.tenant)
            return JSONWriter.list("{\"buckets\":", buckets, bound: { JSONWriter.Row.bound($0.subject, $0.metric, $0.unit) }) { json, bucket in
                json.raw("{\"time\":")
                json.time(micros: bucket.startMicros)
                json.raw(",\"end\":")
                json.time(micros: bucket.endMicros)
                json.raw(",\"subject_kind\":")
                json.string(Self.name(bucket.subjectKind))
                json.raw(",\"subject\":")
                json.string(bucket.subject)
                json.raw(",\"metric\":")
                json.string(bucket.metric)
                json.raw(",\"unit\":")
                json.string(bucket.unit)
                json.raw(",\"count\":")
                json.number(Int64(bucket.count))
                json.raw(",\"min\":")
                json.number(bucket.minimum)
                json.raw(",\"mean\":")
                json.number(bucket.mean)
                json.raw(",\"max\":")
                json.number(bucket.maximum)
                json.raw("}")
            }
        }
        let records = try await storage.metricRecords(query, tenant: caller.tenant)
        return JSONWriter.list("{\"records\":", records, bound: { JSONWriter.Row.bound($0.subject, $0.metric, $0.unit) }) { json, record in
            json.raw("{\"time\":")
            json.time(micros: record.timeMicros)
            json.raw(",\"end\":")
            json.time(micros: record.endMicros)
            json.raw(",\"subject_kind\":")
            json.string(Self.name(record.subjectKind))
            json.raw(",\"subject\":")
            json.string(record.subject)
            json.raw(",\"metric\":")
            json.string(record.metric)
            json.raw(",\"value\":")
            json.number(record.value)
            json.raw(",\"unit\":")
            json.string(record.unit)
            json.raw(",\"quality\":")
            json.number(record.quality)
            json.raw("}")
        }
    }
}
