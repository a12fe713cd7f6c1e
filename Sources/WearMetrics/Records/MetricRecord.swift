/// One computed value: a per-event record (a stride, a beat, a desaturation) or the summary
/// of a window (5 min of HRV, a 60 s epoch, a walking bout).
///
/// Every metric stage of ``WearMetrics`` emits these; the gateway stores them as metric
/// records (wearer or device, metric, time, end, value, unit, quality) and `gaitway query
/// --metric NAME` prints them. The subject (which device or wearer) is not part of the record:
/// a stage runs for one subject, and whoever runs it knows which.
///
/// Times are seconds on whatever clock the stage was fed: the gateway's clock (Unix seconds,
/// after the device clock fit) live, the file's own time axis in `gaitway analyze`.
public struct MetricRecord: Sendable, Equatable {
    public var metric: Metric
    /// The event's time (a stride's initial contact, a beat) or the window's start, s.
    public var time: Double
    /// The window's end, s; `nil` for an instant.
    public var end: Double?
    /// In ``Metric/unit``.
    public var value: Double
    /// How far to trust the value, 0 (not at all) to 1; `nil` when the method has no measure.
    /// Each metric's documentation says what its quality means.
    public var quality: Double?

    public init(_ metric: Metric, time: Double, end: Double? = nil, value: Double, quality: Double? = nil) {
        self.metric = metric
        self.time = time
        self.end = end
        self.value = value
        self.quality = quality
    }
}

/// What a record measures: a stable name (`stride_time`, `rmssd`) and its unit as a UCUM code
/// (`s`, `ms`, `/min`, `%`, `N`), so that stored records, queries and FHIR output agree.
///
/// Define each metric once, as a static constant next to the stage that computes it
/// (`extension Metric { public static let strideTime = Metric("stride_time", unit: "s") }`),
/// and add it to its domain's list (`Metric.gait`, `Metric.cardio`, `Metric.activity`: one
/// `public static let` array each), so that queries can name every metric there is.
public struct Metric: Sendable, Hashable, CustomStringConvertible {
    /// snake_case, unique across WearMetrics.
    public let name: String
    /// UCUM case-sensitive code (https://ucum.org/ucum): `s`, `ms`, `ms2`, `/min`, `%`, `N`, `N.s`,
    /// `m`, `m/s`, `1` for a dimensionless ratio or index.
    public let unit: String

    public init(_ name: String, unit: String) {
        self.name = name
        self.unit = unit
    }

    public var description: String { name }
}

/// Where a stage puts its records: a stage calls ``record(_:)`` as each one is finished, in
/// time order for its subject. An array collects them in tests and in `gaitway analyze`;
/// the gateway's metric consumer appends them to its store batch.
public protocol MetricRecordSink {
    mutating func record(_ record: MetricRecord)
}

extension Array: MetricRecordSink where Element == MetricRecord {
    public mutating func record(_ record: MetricRecord) { append(record) }
}
