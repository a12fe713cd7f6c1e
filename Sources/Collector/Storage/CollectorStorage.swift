import UploadFormat

/// Where the collector keeps what gateways upload, scoped by tenant in every call.
///
/// Implementations deduplicate by (tenant, batch id) with a unique key inside the write
/// transaction that stores the rows (insert-or-ignore, then the rows only if the batch row was
/// new): two collectors, or two requests, racing with the same batch store it once, with no
/// read-then-write window.
public protocol CollectorStorage: Sendable {
    /// Stores a batch for `tenant` unless that tenant already has a batch with its id.
    func ingest(_ batch: UploadBatch, tenant: String, receivedMicros: Int64) async throws -> IngestOutcome
    func devices(tenant: String) async throws -> [StoredDevice]
    func samples(_ query: SampleQuery, tenant: String) async throws -> Page<StoredSample>
    func events(_ query: EventQuery, tenant: String) async throws -> Page<StoredEvent>
    func metricRecords(_ query: MetricQuery, tenant: String) async throws -> [StoredMetricRecord]
    func metricBuckets(_ query: MetricQuery, bucketMicros: Int64, tenant: String) async throws -> [MetricBucket]
    /// Whether the database answers (for `/healthz`).
    func check() async throws
}

/// What ``CollectorStorage/ingest(_:tenant:receivedMicros:)`` did.
public enum IngestOutcome: Sendable, Equatable {
    /// The batch was new and is stored whole.
    case stored
    /// The tenant already had a batch with this id; nothing was written.
    case duplicate
}

/// A position in a time-ordered listing: the last row returned (its time and its row id, which
/// breaks ties between rows of the same microsecond). Clients see it as an opaque string.
public struct PageCursor: Sendable, Equatable {
    public var timeMicros: Int64
    public var row: Int64

    public init(timeMicros: Int64, row: Int64) {
        self.timeMicros = timeMicros
        self.row = row
    }

    /// `TIME_ROW` in decimal: opaque to clients, but readable in logs.
    public var token: String { "\(timeMicros)_\(row)" }

    public init?(token: String) {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let time = Int64(parts[0]), let row = Int64(parts[1]) else { return nil }
        self.init(timeMicros: time, row: row)
    }
}

/// A page of rows in (time, row) order, and where the next page starts (nil at the end).
public struct Page<Row: Sendable>: Sendable {
    public var rows: [Row]
    public var next: PageCursor?
}

public struct SampleQuery: Sendable {
    public var device: String?
    public var quantity: String?
    /// Inclusive, µs.
    public var fromMicros: Int64?
    /// Exclusive, µs.
    public var toMicros: Int64?
    public var limit: Int
    public var after: PageCursor?

    public init(device: String? = nil, quantity: String? = nil, fromMicros: Int64? = nil, toMicros: Int64? = nil,
                limit: Int = 1000, after: PageCursor? = nil) {
        self.device = device
        self.quantity = quantity
        self.fromMicros = fromMicros
        self.toMicros = toMicros
        self.limit = limit
        self.after = after
    }
}

public struct EventQuery: Sendable {
    public var device: String?
    public var kind: String?
    public var fromMicros: Int64?
    public var toMicros: Int64?
    public var limit: Int
    public var after: PageCursor?

    public init(device: String? = nil, kind: String? = nil, fromMicros: Int64? = nil, toMicros: Int64? = nil,
                limit: Int = 1000, after: PageCursor? = nil) {
        self.device = device
        self.kind = kind
        self.fromMicros = fromMicros
        self.toMicros = toMicros
        self.limit = limit
        self.after = after
    }
}

public struct MetricQuery: Sendable {
    public var subjectKind: UploadBatch.SubjectKind?
    public var subject: String?
    public var metric: String?
    public var fromMicros: Int64?
    public var toMicros: Int64?
    public var limit: Int

    public init(subjectKind: UploadBatch.SubjectKind? = nil, subject: String? = nil, metric: String? = nil,
                fromMicros: Int64? = nil, toMicros: Int64? = nil, limit: Int = 10_000) {
        self.subjectKind = subjectKind
        self.subject = subject
        self.metric = metric
        self.fromMicros = fromMicros
        self.toMicros = toMicros
        self.limit = limit
    }
}

public struct StoredDevice: Sendable, Equatable {
    public var address: String
    public var gateway: String
    public var firstSeenMicros: Int64
    public var lastSeenMicros: Int64
    public var sampleCount: Int64
}

public struct StoredSample: Sendable, Equatable {
    public var timeMicros: Int64
    public var address: String
    public var quantity: String
    public var channel: Int32
    public var value: Double
    public var unit: String?
}

public struct StoredEvent: Sendable, Equatable {
    public var timeMicros: Int64
    public var address: String
    public var kind: String
    public var detail: String?
}

public struct StoredMetricRecord: Sendable, Equatable {
    public var timeMicros: Int64
    public var endMicros: Int64?
    public var subjectKind: UploadBatch.SubjectKind
    public var subject: String
    public var metric: String
    public var value: Double
    public var unit: String
    public var quality: Double?
}

/// Records of one subject and metric within one bucket of time.
public struct MetricBucket: Sendable, Equatable {
    public var startMicros: Int64
    public var endMicros: Int64
    public var subjectKind: UploadBatch.SubjectKind
    public var subject: String
    public var metric: String
    public var unit: String
    public var count: Int
    public var minimum: Double
    public var mean: Double
    public var maximum: Double
}
