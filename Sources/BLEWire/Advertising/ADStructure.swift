/// One AD structure of advertising or scan response data, viewed in place
/// (Core Specification v5.4, Vol 3, Part C, §11; AD types in the Core Specification
/// Supplement v11, Part A, §1).
///
/// ```
///  1 octet   1 octet    Length - 1 octets
/// +--------+---------+--------------------------------+
/// | Length | AD type | AD data                        |
/// +--------+---------+--------------------------------+
///          |<------------- Length octets ------------>|
/// ```
/// `data` shares the caller's memory; the typed accessors below read from it without
/// copying, and their errors carry absolute offsets into the outermost buffer.
public struct ADStructure: ~Escapable {
    /// What the structure holds.
    public let type: ADType
    /// The AD data: everything after the AD type octet.
    public let data: RawSpan
    /// Absolute offset of the Length octet.
    public let offset: Int

    @_lifetime(copy data)
    public init(type: ADType, data: RawSpan, offset: Int) {
        self.type = type
        self.data = data
        self.offset = offset
    }

    /// The value of the Length field (AD type plus AD data).
    @inlinable public var length: Int { data.byteCount &+ 1 }
    /// Absolute offset of the first AD data octet.
    @inlinable public var dataOffset: Int { offset &+ 2 }

    /// A cursor over the AD data that reports absolute offsets.
    @_lifetime(copy self)
    public func dataCursor() -> ByteCursor {
        ByteCursor(data, layer: .advertising, base: dataOffset)
    }

    /// The AD data copied out, for what must outlive the parse (tests, storage).
    public func copyData() -> [UInt8] { data.copyBytes() }

    // MARK: Checks shared by the typed accessors

    @inlinable
    func requireType(_ accepted: Bool) throws(WireError) {
        guard accepted else {
            throw WireError(.advertising, .unknownType(field: "AD type for this accessor", value: Int(type.rawValue)), at: offset &+ 1)
        }
    }

    @inlinable
    func requireDataLength(_ accepted: Bool, field: StaticString) throws(WireError) {
        guard accepted else {
            throw WireError(.advertising, .lengthMismatch(field: field, declared: length, actual: data.byteCount), at: offset)
        }
    }
}

// MARK: - Typed accessors (none allocates)

extension ADStructure {
    /// The Flags octet (CSS Part A §1.3). The supplement lets Flags grow beyond one octet
    /// in future; only the first is defined, so extra octets are ignored. An empty Flags
    /// structure means no flag is set.
    public func flags() throws(WireError) -> ADFlags {
        try requireType(type == .flags)
        guard data.byteCount > 0 else { return [] }
        return ADFlags(rawValue: data.byte(at: 0))
    }

    /// The transmit power level in dBm, −127…+127 (CSS Part A §1.5): exactly one octet.
    public func txPowerLevel() throws(WireError) -> Int8 {
        try requireType(type == .txPowerLevel)
        try requireDataLength(data.byteCount == 1, field: "TX power level AD length")
        return Int8(bitPattern: data.byte(at: 0))
    }

    /// The GAP Appearance value (CSS Part A §1.12; values in Assigned Numbers §2.6):
    /// exactly two octets, little-endian.
    public func appearance() throws(WireError) -> UInt16 {
        try requireType(type == .appearance)
        try requireDataLength(data.byteCount == 2, field: "appearance AD length")
        var cursor = dataCursor()
        return try cursor.readUInt16("appearance")
    }

    /// The advertising interval in units of 0.625 ms (CSS Part A §1.15): two octets for
    /// 0x1A, three or four for 0x2F (Advertising Interval – long).
    public func advertisingInterval() throws(WireError) -> UInt32 {
        try requireType(type == .advertisingInterval || type == .advertisingIntervalLong)
        var cursor = dataCursor()
        switch (type, data.byteCount) {
        case (.advertisingInterval, 2): return UInt32(try cursor.readUInt16("advertising interval"))
        case (.advertisingIntervalLong, 3): return try cursor.readUInt24("advertising interval")
        case (.advertisingIntervalLong, 4): return try cursor.readUInt32("advertising interval")
        default:
            throw WireError(.advertising, .lengthMismatch(field: "advertising interval AD length", declared: length, actual: data.byteCount), at: offset)
        }
    }

    /// The LE Role octet (CSS Part A §1.17): 0 peripheral only, 1 central only,
    /// 2 both with peripheral preferred, 3 both with central preferred.
    public func leRole() throws(WireError) -> UInt8 {
        try requireType(type == .leRole)
        try requireDataLength(data.byteCount == 1, field: "LE role AD length")
        return data.byte(at: 0)
    }

    /// Calls `body` with each UUID of a service UUID list (0x02–0x07) or solicitation list
    /// (0x14, 0x15, 0x1F) in order (CSS Part A §1.1, §1.10). The list must be a whole
    /// number of UUIDs; a ragged one is reported before `body` sees any UUID, so callers
    /// never act on half a list.
    public func forEachUUID(_ body: (BluetoothUUID) throws(WireError) -> Void) throws(WireError) {
        let count = try uuidCount()
        let width = type.uuidListWidth ?? 2  // non-nil: uuidCount() checked the type
        var cursor = dataCursor()
        for _ in 0..<count {
            try body(try BluetoothUUID(reading: &cursor, width: width))
        }
    }

    /// The number of UUIDs in a UUID list structure.
    public func uuidCount() throws(WireError) -> Int {
        guard let width = type.uuidListWidth else {
            throw WireError(.advertising, .unknownType(field: "AD type for a UUID list", value: Int(type.rawValue)), at: offset &+ 1)
        }
        try requireDataLength(data.byteCount % width == 0, field: "UUID list AD length")
        return data.byteCount / width
    }

    /// Whether a UUID list structure names `uuid` (compared across widths).
    public func containsUUID(_ uuid: BluetoothUUID) throws(WireError) -> Bool {
        var found = false
        try forEachUUID { candidate throws(WireError) in
            if candidate == uuid { found = true }
        }
        return found
    }

    /// The UUID and payload of a service data structure (0x16, 0x20, 0x21; CSS Part A §1.11).
    @_lifetime(copy self)
    public func serviceData() throws(WireError) -> ServiceData {
        guard let width = type.serviceDataUUIDWidth else {
            throw WireError(.advertising, .unknownType(field: "AD type for service data", value: Int(type.rawValue)), at: offset &+ 1)
        }
        var cursor = dataCursor()
        let uuid = try BluetoothUUID(reading: &cursor, width: width)
        let payloadOffset = cursor.absoluteOffset
        return ServiceData(uuid: uuid, data: cursor.readRest(), dataOffset: payloadOffset)
    }

    /// The company identifier and payload of manufacturer specific data (0xFF; CSS Part A §1.4).
    @_lifetime(copy self)
    public func manufacturerData() throws(WireError) -> ManufacturerData {
        try requireType(type == .manufacturerSpecificData)
        var cursor = dataCursor()
        let company = try cursor.readUInt16("company identifier")
        let payloadOffset = cursor.absoluteOffset
        return ManufacturerData(companyID: company, data: cursor.readRest(), dataOffset: payloadOffset)
    }

    /// The UTF-8 bytes of a shortened (0x08) or complete (0x09) local name, or of a
    /// Broadcast_Name (0x30), in place (CSS Part A §1.2). Not validated as UTF-8: the
    /// bytes are what the device sent.
    @_lifetime(copy self)
    public func localName() throws(WireError) -> RawSpan {
        try requireType(type == .shortenedLocalName || type == .completeLocalName || type == .broadcastName)
        return data
    }

    /// The local name as a String, for tooling and logs (allocates; invalid UTF-8 is
    /// replaced by U+FFFD).
    public func localNameString() throws(WireError) -> String {
        try requireType(type == .shortenedLocalName || type == .completeLocalName || type == .broadcastName)
        return data.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
