// The repeated structures inside ATT responses and notifications.
//
// Each list is framed once, when its PDU is parsed: every length is checked then, so a
// list that parsed can be walked later without surprises. The lists record only a
// `Range<Int>` into the PDU (offset 0 = the opcode) and walk it with a non-escaping
// closure over the same bytes, never copying a value. Walking throws only when handed
// bytes other than the ones that were parsed.

extension ATTPDU {
    // MARK: Find Information Response

    /// The Information Data of a Find Information Response (Vol 3, Part F, §3.4.3.2).
    ///
    /// ```
    /// Format 0x01:  +-----------+------------+      Format 0x02:  +-----------+-------------+
    ///               | Handle(2) | UUID16 (2) | ...                | Handle(2) | UUID128(16) | ...
    ///               +-----------+------------+                    +-----------+-------------+
    /// ```
    public struct InformationList: Equatable, Hashable, Sendable {
        /// The Format octet: 0x01 for 16-bit UUIDs, 0x02 for 128-bit UUIDs.
        public var format: UInt8
        /// The Information Data, within the PDU.
        public var entries: Range<Int>

        public init(format: UInt8, entries: Range<Int>) {
            self.format = format
            self.entries = entries
        }

        /// Bytes per UUID: 2 for format 1, 16 for format 2.
        public var uuidWidth: Int { format == 0x01 ? 2 : 16 }
        /// Bytes per (handle, UUID) entry.
        public var entrySize: Int { 2 + uuidWidth }
        public var count: Int { entries.count / entrySize }

        /// Calls `body` with each (handle, UUID) pair in order.
        public func forEach(in pdu: RawSpan, _ body: (_ handle: UInt16, _ uuid: BluetoothUUID) throws(WireError) -> Void) throws(WireError) {
            var cursor = try listCursor(pdu, entries)
            while !cursor.isAtEnd {
                let handle = try cursor.readUInt16("handle")
                let uuid = try BluetoothUUID(reading: &cursor, width: uuidWidth)
                try body(handle, uuid)
            }
        }
    }

    // MARK: Find By Type Value Response

    /// The Handles Information List of a Find By Type Value Response (§3.4.3.4).
    ///
    /// ```
    /// +------------------+------------------------+
    /// | Found Handle (2) | Group End Handle (2)   | ...
    /// +------------------+------------------------+
    /// ```
    public struct HandlesInformationList: Equatable, Hashable, Sendable {
        public var entries: Range<Int>

        public init(entries: Range<Int>) { self.entries = entries }

        public var count: Int { entries.count / 4 }

        /// Calls `body` with each (found handle ... group end handle) range.
        public func forEach(in pdu: RawSpan, _ body: (ATTHandleRange) throws(WireError) -> Void) throws(WireError) {
            var cursor = try listCursor(pdu, entries)
            while !cursor.isAtEnd {
                let found = try cursor.readUInt16("found handle")
                let end = try cursor.readUInt16("group end handle")
                try body(ATTHandleRange(start: found, end: end))
            }
        }
    }

    // MARK: Read By Type and Read By Group Type Responses

    /// The Attribute Data List of a Read By Type Response (§3.4.4.2): entries of one
    /// size, stated once by the Length octet; each a handle and a (possibly truncated) value.
    ///
    /// ```
    /// +--------+------------------------------------------+
    /// | Length | Handle (2) | Value (Length - 2) | ...   |
    /// +--------+------------------------------------------+
    /// ```
    public typealias AttributeDataList = AttributeDataEntries<ReadByTypeEntry>

    /// The Attribute Data List of a Read By Group Type Response (§3.4.4.10); the value of a
    /// service group is its UUID.
    ///
    /// ```
    /// +--------+--------------------------------------------------------------+
    /// | Length | Handle (2) | End Group Handle (2) | Value (Length - 4) | ... |
    /// +--------+--------------------------------------------------------------+
    /// ```
    public typealias GroupDataList = AttributeDataEntries<ReadByGroupTypeEntry>

    /// An Attribute Data List: entries of `Length` octets each, the `Entry.Key` (handles) first
    /// and the value after it. Read By Type and Read By Group Type Responses differ only in
    /// their key, so one type frames and walks both.
    public struct AttributeDataEntries<Entry: AttributeDataEntryFormat>: Equatable, Hashable, Sendable {
        /// The Length octet: bytes per entry, key included.
        public var entrySize: Int
        public var entries: Range<Int>

        public init(entrySize: Int, entries: Range<Int>) {
            self.entrySize = entrySize
            self.entries = entries
        }

        public var count: Int { entrySize > 0 ? entries.count / entrySize : 0 }

        /// Calls `body` with each entry's key (a handle, or a group's handle range) and its
        /// value (possibly truncated, §3.4.4.2; for services, the UUID).
        public func forEach(in pdu: RawSpan, _ body: (_ key: Entry.Key, _ value: RawSpan) throws(WireError) -> Void) throws(WireError) {
            var cursor = try listCursor(pdu, entries)
            while !cursor.isAtEnd {
                let key = try Entry.readKey(&cursor)
                let value = try cursor.readSpan(entrySize &- Entry.keySize, "attribute value")
                try body(key, value)
            }
        }
    }

    // MARK: Set of handles

    /// A Set Of Handles, as Read Multiple (Variable) Requests carry it (§3.4.4.7, §3.4.4.11).
    public struct HandleSet: Equatable, Hashable, Sendable {
        public var entries: Range<Int>

        public init(entries: Range<Int>) { self.entries = entries }

        public var count: Int { entries.count / 2 }

        public func forEach(in pdu: RawSpan, _ body: (_ handle: UInt16) throws(WireError) -> Void) throws(WireError) {
            var cursor = try listCursor(pdu, entries)
            while !cursor.isAtEnd {
                try body(try cursor.readUInt16("handle"))
            }
        }
    }

    // MARK: Multiple Handle Value Notification

    /// The Handle Length Value Tuple List of a Multiple Handle Value Notification
    /// (§3.4.7.4), each tuple sized by its own Length field.
    ///
    /// ```
    /// +------------+------------+----------------+
    /// | Handle (2) | Length (2) | Value (Length) | ...
    /// +------------+------------+----------------+
    /// ```
    public struct HandleLengthValueList: Equatable, Hashable, Sendable {
        public var entries: Range<Int>
        /// Number of tuples, counted when the PDU was parsed.
        public var count: Int

        public init(entries: Range<Int>, count: Int) {
            self.entries = entries
            self.count = count
        }

        /// Calls `body` with each handle and its value.
        public func forEach(in pdu: RawSpan, _ body: (_ handle: UInt16, _ value: RawSpan) throws(WireError) -> Void) throws(WireError) {
            var cursor = try listCursor(pdu, entries)
            while !cursor.isAtEnd {
                let handle = try cursor.readUInt16("handle")
                let length = Int(try cursor.readUInt16("value length"))
                let value = try cursor.readSpan(length, "attribute value")
                try body(handle, value)
            }
        }
    }

    // MARK: Read Multiple Variable Response

    /// The Length Value Tuple List of a Read Multiple Variable Response (§3.4.4.12).
    /// The last value may be cut short by the MTU, so a short final tuple is accepted.
    ///
    /// ```
    /// +------------+----------------+
    /// | Length (2) | Value (Length) | ...
    /// +------------+----------------+
    /// ```
    public struct LengthValueList: Equatable, Hashable, Sendable {
        public var entries: Range<Int>

        public init(entries: Range<Int>) { self.entries = entries }

        /// Calls `body` with each value's declared length and the bytes present.
        public func forEach(in pdu: RawSpan, _ body: (_ declaredLength: Int, _ value: RawSpan) throws(WireError) -> Void) throws(WireError) {
            var cursor = try listCursor(pdu, entries)
            while !cursor.isAtEnd {
                let length = Int(try cursor.readUInt16("value length"))
                let value = try cursor.readSpan(min(length, cursor.remaining), "attribute value")
                try body(length, value)
            }
        }
    }
}

/// A cursor over `range` of `pdu`, failing (not trapping) when `pdu` is not the PDU the
/// range was framed in.
@_lifetime(copy pdu)
@usableFromInline
func listCursor(_ pdu: RawSpan, _ range: Range<Int>) throws(WireError) -> ByteCursor {
    guard range.lowerBound >= 0, range.upperBound <= pdu.byteCount else {
        throw WireError(.att, .truncated(field: "ATT list", needed: range.upperBound, available: pdu.byteCount), at: 0)
    }
    return ByteCursor(pdu.extracting(range), layer: .att, base: range.lowerBound)
}

/// What precedes the value in each entry of an Attribute Data List (Vol 3, Part F, §3.4.4.2,
/// §3.4.4.10).
public protocol AttributeDataEntryFormat: Sendable {
    associatedtype Key: Equatable, Sendable
    /// Octets of the key: the smallest Length an entry can have.
    static var keySize: Int { get }
    static func readKey(_ cursor: inout ByteCursor) throws(WireError) -> Key
}

/// A Read By Type Response entry: the attribute handle, then the value.
public enum ReadByTypeEntry: AttributeDataEntryFormat {
    public static var keySize: Int { 2 }
    public static func readKey(_ cursor: inout ByteCursor) throws(WireError) -> UInt16 {
        try cursor.readUInt16("handle")
    }
}

/// A Read By Group Type Response entry: the attribute handle and the end group handle, then the value.
public enum ReadByGroupTypeEntry: AttributeDataEntryFormat {
    public static var keySize: Int { 4 }
    public static func readKey(_ cursor: inout ByteCursor) throws(WireError) -> ATTHandleRange {
        let start = try cursor.readUInt16("attribute handle")
        let end = try cursor.readUInt16("end group handle")
        return ATTHandleRange(start: start, end: end)
    }
}
