/// One upload from a gateway to the collector: the rows the gateway committed after its
/// delivery cursor, under a batch id that makes a retried POST harmless.
///
/// The gateway's uplink fills one and sends ``encoded()`` (compressed with
/// ``ContentCoding/gzip``) to `POST /v1/ingest`; the collector decodes it with
/// ``init(decoding:)`` and stores it once per ``id``, however often it arrives.
///
/// Rows name devices, quantities, units, metrics and event kinds by a ``StringRef`` into the
/// batch's string table (``strings``), each distinct string once per batch: a sample row is
/// then six scalars on the wire and in memory, and the collector resolves each name to a
/// database id once per batch instead of once per row. The wire layout is in
/// `UploadBatch+Wire.swift` and in the collector's OpenAPI document (`/openapi.yaml`,
/// `components.schemas.UploadBatch`).
///
/// ```swift
/// var batch = try UploadBatch(id: "gw1-000000000042", gatewayID: "gw1")
/// batch.appendSample(address: "C0:11:22:33:44:55", quantity: "heart_rate", unit: "bpm",
///                    channel: -1, timeMicros: 1_764_000_000_000_000, value: 72)
/// let body = try ContentCoding.gzip.encode(batch.encoded())   // Content-Encoding: gzip
/// ```
public struct UploadBatch: Sendable {
    /// The idempotency key: 1 to ``maximumIDLength`` characters of `A-Z a-z 0-9 . _ : -`.
    /// The collector stores a batch id once per tenant; a second batch with the same id is
    /// acknowledged and ignored, whatever it holds.
    public let id: String
    /// Which gateway sent it: 1 to ``maximumStringLength`` bytes of UTF-8.
    public let gatewayID: String

    /// Every distinct name the rows refer to, in order of first use.
    public private(set) var strings: [String] = []
    public private(set) var samples: [Sample] = []
    public private(set) var events: [DeviceEvent] = []
    public private(set) var metricRecords: [MetricRecordRow] = []

    /// `strings` inverted, for appending; empty in a decoded batch until the first append.
    private var stringIndex: [String: UInt32] = [:]

    /// Longest batch id, in bytes (all ASCII).
    public static let maximumIDLength = 64
    /// Longest string of the table (and gateway id), in UTF-8 bytes: a u16 length on the wire.
    public static let maximumStringLength = Int(UInt16.max)
    /// Most rows of one kind (and most strings) in one batch: 4 Mi, so that a batch's decoded
    /// form stays near 128 MiB (a sample row is 32 bytes) however the counts are set.
    public static let maximumRowCount = 1 << 22

    /// An empty batch.
    ///
    /// - Throws: ``UploadFormatError/invalidBatchID(_:)`` or
    ///   ``UploadFormatError/invalidGatewayID(_:)`` when an id breaks the rules above.
    public init(id: String, gatewayID: String) throws(UploadFormatError) {
        guard Self.isValidID(id) else { throw .invalidBatchID(id) }
        guard !gatewayID.isEmpty, gatewayID.utf8.count <= Self.maximumStringLength else {
            throw .invalidGatewayID(gatewayID)
        }
        self.id = id
        self.gatewayID = gatewayID
    }

    /// Whether `id` is a valid batch id: 1 to 64 of `A-Z a-z 0-9 . _ : -`, so that it can be
    /// logged, put in a URL or a header, and compared byte for byte without normalisation.
    public static func isValidID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard (1...maximumIDLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy(isIDByte)
    }

    static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// Assembles a batch from decoded parts; the decoder has checked every reference.
    init(id: String, gatewayID: String, strings: [String], samples: [Sample], events: [DeviceEvent],
         metricRecords: [MetricRecordRow]) {
        self.id = id
        self.gatewayID = gatewayID
        self.strings = strings
        self.samples = samples
        self.events = events
        self.metricRecords = metricRecords
    }

    // MARK: Rows

    /// A reference to one entry of ``strings``.
    public struct StringRef: Hashable, Sendable {
        public let index: UInt32
        /// "No string" on the wire (an optional unit or detail that is absent).
        static let absent: UInt32 = .max
    }

    /// One decoded sample, as the gateway store holds it.
    public struct Sample: Sendable, Equatable {
        /// Gateway time, µs since the Unix epoch.
        public var timeMicros: Int64
        /// Finite (NaN and infinities are refused on both sides).
        public var value: Double
        /// The device's Bluetooth address.
        public var address: StringRef
        /// What was measured, as the Protocols specs name it (`heart_rate`, `plantar_force`).
        public var quantity: StringRef
        /// Its unit, or nil when the spec gives none.
        public var unit: StringRef?
        /// Index within the quantity (insole cell, n-th RR interval of a packet); -1 for a scalar.
        public var channel: Int32
    }

    /// A device event: connected, disconnected, rebooted, quarantined, ...
    public struct DeviceEvent: Sendable, Equatable {
        public var timeMicros: Int64
        public var address: StringRef
        public var kind: StringRef
        public var detail: StringRef?
    }

    /// Whom a metric record is about.
    public enum SubjectKind: UInt8, Sendable, Equatable {
        /// A device, named by its address.
        case device = 0
        /// A wearer (a person), named by the gateway's wearer id.
        case wearer = 1
    }

    /// One computed metric (WearMetrics' `MetricRecord` with its subject), times in µs.
    public struct MetricRecordRow: Sendable, Equatable {
        /// The event's time or the window's start, µs since the Unix epoch.
        public var timeMicros: Int64
        /// The window's end (not before ``timeMicros``), or nil for an instant.
        public var endMicros: Int64?
        /// Finite, in ``unit``.
        public var value: Double
        /// 0 to 1, or nil when the method has none.
        public var quality: Double?
        public var subjectKind: SubjectKind
        public var subject: StringRef
        /// snake_case metric name (`rmssd`, `stride_time`).
        public var metric: StringRef
        /// UCUM code (`ms`, `/min`, `%`).
        public var unit: StringRef
    }

    /// The string a reference names.
    public func string(_ reference: StringRef) -> String { strings[Int(reference.index)] }

    /// Whether the batch holds no rows.
    public var isEmpty: Bool { samples.isEmpty && events.isEmpty && metricRecords.isEmpty }

    // MARK: Appending

    /// Interns `string` into the table. Strings longer than ``maximumStringLength`` bytes are
    /// cut there (at a character boundary), as the wire cannot carry them, and a U+0000 (which
    /// the collector refuses) becomes U+FFFD.
    public mutating func reference(_ string: String) -> StringRef {
        if stringIndex.isEmpty, !strings.isEmpty {
            for (index, existing) in strings.enumerated() { stringIndex[existing] = UInt32(index) }
        }
        let string = Self.fitted(string)
        if let index = stringIndex[string] { return StringRef(index: index) }
        let index = UInt32(strings.count)
        strings.append(string)
        stringIndex[string] = index
        return StringRef(index: index)
    }

    private static func fitted(_ string: String) -> String {
        var string = string
        if string.utf8.contains(0) {
            var scalars = String.UnicodeScalarView()
            for scalar in string.unicodeScalars { scalars.append(scalar == "\u{0}" ? "\u{FFFD}" : scalar) }
            string = String(scalars)
        }
        guard string.utf8.count > maximumStringLength else { return string }
        var cut = ""
        for character in string {
            guard cut.utf8.count + character.utf8.count <= maximumStringLength else { break }
            cut.append(character)
        }
        return cut
    }

    /// Appends one sample.
    ///
    /// - Returns: false, appending nothing, when `value` is not finite: the collector refuses
    ///   a batch holding one (a NaN is no measurement, and the gateway store keeps none).
    @discardableResult
    public mutating func appendSample(address: String, quantity: String, unit: String?, channel: Int32,
                                      timeMicros: Int64, value: Double) -> Bool {
        guard value.isFinite else { return false }
        samples.append(Sample(timeMicros: timeMicros, value: value, address: reference(address),
                              quantity: reference(quantity), unit: unit.map { reference($0) }, channel: channel))
        return true
    }

    /// Appends one device event.
    public mutating func appendEvent(address: String, kind: String, detail: String?, timeMicros: Int64) {
        events.append(DeviceEvent(timeMicros: timeMicros, address: reference(address), kind: reference(kind),
                                  detail: detail.map { reference($0) }))
    }

    /// Appends one metric record.
    ///
    /// - Returns: false, appending nothing, when the record would make the batch inconsistent:
    ///   a value that is not finite, an end before its time, or a quality outside 0...1.
    @discardableResult
    public mutating func appendMetricRecord(
        subjectKind: SubjectKind, subject: String, metric: String, unit: String,
        timeMicros: Int64, endMicros: Int64?, value: Double, quality: Double?
    ) -> Bool {
        guard value.isFinite, endMicros.map({ $0 >= timeMicros }) ?? true,
              quality.map({ (0...1).contains($0) }) ?? true else { return false }
        metricRecords.append(MetricRecordRow(
            timeMicros: timeMicros, endMicros: endMicros, value: value, quality: quality,
            subjectKind: subjectKind, subject: reference(subject), metric: reference(metric), unit: reference(unit)))
        return true
    }
}

extension UploadBatch: Equatable {
    /// Equal when they would encode to the same bytes (the string index is only a cache).
    public static func == (lhs: UploadBatch, rhs: UploadBatch) -> Bool {
        lhs.id == rhs.id && lhs.gatewayID == rhs.gatewayID && lhs.strings == rhs.strings
            && lhs.samples == rhs.samples && lhs.events == rhs.events && lhs.metricRecords == rhs.metricRecords
    }
}
