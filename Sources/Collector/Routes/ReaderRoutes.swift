import Hummingbird
import UploadFormat

/// The reader API (JSON): devices, samples, events and metric records of the caller's tenant.
/// Times are RFC 3339 strings with microseconds; listings page with an opaque `next` cursor.
struct ReaderRoutes: Sendable {
    let storage: any CollectorStorage

    static let maximumLimit = 10_000

    func register(on group: RouterGroup<CollectorRequestContext>) {
        group.get("devices") { _, context in try await devices(context: context) }
        group.get("samples") { request, context in try await samples(request, context: context) }
        group.get("events") { request, context in try await events(request, context: context) }
        group.get("metrics") { request, context in try await metrics(request, context: context) }
    }

    // MARK: Devices

    struct DeviceList: ResponseEncodable {
        struct Device: Encodable {
            var address: String
            var gateway: String
            var first_seen: String
            var last_seen: String
            var samples: Int64
        }

        var devices: [Device]
    }

    func devices(context: CollectorRequestContext) async throws -> DeviceList {
        let caller = try context.requireCaller()
        return DeviceList(devices: try await storage.devices(tenant: caller.tenant).map { device in
            .init(address: device.address, gateway: device.gateway,
                  first_seen: RFC3339.format(micros: device.firstSeenMicros),
                  last_seen: RFC3339.format(micros: device.lastSeenMicros), samples: device.sampleCount)
        })
    }

    // MARK: Samples

    struct SampleList: ResponseEncodable {
        struct Sample: Encodable {
            var time: String
            var address: String
            var quantity: String
            var channel: Int32
            var value: Double
            var unit: String?

            enum CodingKeys: String, CodingKey { case time, address, quantity, channel, value, unit }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(time, forKey: .time)
                try container.encode(address, forKey: .address)
                try container.encode(quantity, forKey: .quantity)
                try container.encode(channel, forKey: .channel)
                try container.encode(value, forKey: .value)
                try container.encode(unit, forKey: .unit)  // null, not absent, when there is none
            }
        }

        var samples: [Sample]
        var next: String?

        enum CodingKeys: String, CodingKey { case samples, next }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(samples, forKey: .samples)
            try container.encode(next, forKey: .next)
        }
    }

    func samples(_ request: Request, context: CollectorRequestContext) async throws -> SampleList {
        let caller = try context.requireCaller()
        let parameters = QueryParameters(request)
        let (from, to) = try parameters.timeRange()
        let query = SampleQuery(
            device: try parameters.string("device"), quantity: try parameters.string("quantity"), fromMicros: from,
            toMicros: to, limit: try parameters.integer("limit", in: 1...Self.maximumLimit, default: 1000),
            after: try parameters.cursor())
        let page = try await storage.samples(query, tenant: caller.tenant)
        return SampleList(samples: page.rows.map { sample in
            .init(time: RFC3339.format(micros: sample.timeMicros), address: sample.address, quantity: sample.quantity,
                  channel: sample.channel, value: sample.value, unit: sample.unit)
        }, next: page.next?.token)
    }

    // MARK: Events

    struct EventList: ResponseEncodable {
        struct Event: Encodable {
            var time: String
            var address: String
            var kind: String
            var detail: String?

            enum CodingKeys: String, CodingKey { case time, address, kind, detail }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(time, forKey: .time)
                try container.encode(address, forKey: .address)
                try container.encode(kind, forKey: .kind)
                try container.encode(detail, forKey: .detail)
            }
        }

        var events: [Event]
        var next: String?

        enum CodingKeys: String, CodingKey { case events, next }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(events, forKey: .events)
            try container.encode(next, forKey: .next)
        }
    }

    func events(_ request: Request, context: CollectorRequestContext) async throws -> EventList {
        let caller = try context.requireCaller()
        let parameters = QueryParameters(request)
        let (from, to) = try parameters.timeRange()
        let query = EventQuery(
            device: try parameters.string("device"), kind: try parameters.string("kind"), fromMicros: from,
            toMicros: to, limit: try parameters.integer("limit", in: 1...Self.maximumLimit, default: 1000),
            after: try parameters.cursor())
        let page = try await storage.events(query, tenant: caller.tenant)
        return EventList(events: page.rows.map { event in
            .init(time: RFC3339.format(micros: event.timeMicros), address: event.address, kind: event.kind,
                  detail: event.detail)
        }, next: page.next?.token)
    }

    // MARK: Metrics

    struct MetricList: ResponseEncodable {
        struct Record: Encodable {
            var time: String
            var end: String?
            var subject_kind: String
            var subject: String
            var metric: String
            var value: Double
            var unit: String
            var quality: Double?

            enum CodingKeys: String, CodingKey { case time, end, subject_kind, subject, metric, value, unit, quality }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(time, forKey: .time)
                try container.encode(end, forKey: .end)
                try container.encode(subject_kind, forKey: .subject_kind)
                try container.encode(subject, forKey: .subject)
                try container.encode(metric, forKey: .metric)
                try container.encode(value, forKey: .value)
                try container.encode(unit, forKey: .unit)
                try container.encode(quality, forKey: .quality)
            }
        }

        struct Bucket: Encodable {
            var time: String
            var end: String
            var subject_kind: String
            var subject: String
            var metric: String
            var unit: String
            var count: Int
            var min: Double
            var mean: Double
            var max: Double
        }

        var records: [Record]?
        var buckets: [Bucket]?
    }

    static func name(_ kind: UploadBatch.SubjectKind) -> String { kind == .device ? "device" : "wearer" }

    func metrics(_ request: Request, context: CollectorRequestContext) async throws -> MetricList {
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
            return MetricList(records: nil, buckets: buckets.map { bucket in
                .init(time: RFC3339.format(micros: bucket.startMicros), end: RFC3339.format(micros: bucket.endMicros),
                      subject_kind: Self.name(bucket.subjectKind), subject: bucket.subject, metric: bucket.metric,
                      unit: bucket.unit, count: bucket.count, min: bucket.minimum, mean: bucket.mean,
                      max: bucket.maximum)
            })
        }
        let records = try await storage.metricRecords(query, tenant: caller.tenant)
        return MetricList(records: records.map { record in
            .init(time: RFC3339.format(micros: record.timeMicros), end: record.endMicros.map(RFC3339.format(micros:)),
                  subject_kind: Self.name(record.subjectKind), subject: record.subject, metric: record.metric,
                  value: record.value, unit: record.unit, quality: record.quality)
        }, buckets: nil)
    }
}
