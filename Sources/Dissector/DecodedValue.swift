import BLEWire

/// One value found in a capture: a notification, indication, read response or
/// advertisement payload, decoded with its Protocols spec, or an error saying what in the
/// capture could not be decoded and where.
public struct DecodedValue: Sendable, Equatable {
    public enum Source: String, Sendable {
        case notification
        case indication
        case readResponse = "read"
        case advertisement
        /// Not a value: a frame of the capture that could not be parsed.
        case capture
    }

    /// Capture time, microseconds since 1970-01-01T00:00:00Z.
    public var timeMicros: Int64
    /// 1-based frame number in the capture, as tshark and Wireshark count them.
    public var frame: Int
    /// The device the value came from (the GATT server, or the advertiser).
    public var address: BDAddress?
    public var source: Source
    public var handle: AttributeHandle?
    /// Characteristic UUID, or the service-data UUID of an advertisement.
    public var uuid: BluetoothUUID?
    /// Company identifier of manufacturer-specific advertising data.
    public var companyID: UInt16?
    /// Name of the Protocols spec that decoded it (`heart-rate-measurement`).
    public var format: String?
    /// The decoded fields as a JSON object text, when a spec decoded them.
    public var fieldsJSON: String?
    /// The measured quantities among the fields (for CSV and the gateway).
    public var samples: [Sample]
    /// The payload bytes as they arrived, when no spec decoded them.
    public var rawValue: [UInt8]?
    /// What went wrong, and at which byte offset.
    public var error: String?

    /// A measured quantity, flattened out of the fields.
    public struct Sample: Sendable, Equatable {
        public var field: String
        public var quantity: String
        /// Position in an array (cell index, n-th RR interval), nil for scalars.
        public var index: Int?
        /// Element of the repeated frame it came from, nil outside frames.
        public var frame: Int?
        public var value: Double
        public var unit: String?
    }

    public init(timeMicros: Int64, frame: Int, address: BDAddress? = nil, source: Source, handle: AttributeHandle? = nil,
                uuid: BluetoothUUID? = nil, companyID: UInt16? = nil, format: String? = nil,
                fieldsJSON: String? = nil, samples: [Sample] = [], rawValue: [UInt8]? = nil, error: String? = nil) {
        self.timeMicros = timeMicros
        self.frame = frame
        self.address = address
        self.source = source
        self.handle = handle
        self.uuid = uuid
        self.companyID = companyID
        self.format = format
        self.fieldsJSON = fieldsJSON
        self.samples = samples
        self.rawValue = rawValue
        self.error = error
    }
}
