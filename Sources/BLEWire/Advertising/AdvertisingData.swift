/// Advertising or scan response data viewed in place: a sequence of AD structures
/// (Core Specification v5.4, Vol 3, Part C, §11).
///
/// ```
/// |<----------------- significant part ----------------->|<- non-significant ->|
/// +---------------+---------------+-----+----------------+---+-----------------+
/// | AD structure 1| AD structure 2| ... | AD structure N | 0 | 0 0 0 ...       |
/// +---------------+---------------+-----+----------------+---+-----------------+
/// ```
/// A Length octet of zero "shall only occur to allow an early termination" (§11), so the
/// first zero Length ends the significant part and iteration stops there; what follows
/// (zero padding up to 31 octets from controllers that report the whole buffer) is not
/// examined. A Length that runs past the end of the data is an error at the offset of
/// that Length octet.
///
/// Nothing is copied and nothing allocates: structures are yielded as spans of the
/// caller's buffer. Typical use, straight from an LE Advertising Report:
///
/// ```swift
/// let advert = AdvertisingData(report.data, base: report.dataOffset)
/// try advert.forEach { structure throws(WireError) in
///     if structure.type == .serviceData16 { let sd = try structure.serviceData() ... }
/// }
/// ```
public struct AdvertisingData: ~Escapable {
    public let bytes: RawSpan
    /// Offset of `bytes[0]` within the outermost buffer, for error messages.
    public let base: Int

    /// Legacy advertising and scan response data hold at most 31 octets (Vol 6, Part B, §2.3.1).
    public static let legacyMaximumLength = 31
    /// The most host advertising data an extended advertising set can carry, over a
    /// chain of AUX_CHAIN_IND PDUs (Vol 6, Part B, §2.3.4.9).
    public static let extendedMaximumLength = 1650

    @_lifetime(copy bytes)
    public init(_ bytes: RawSpan, base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    /// An iterator over the AD structures, in order.
    @_lifetime(copy self)
    public func makeIterator() -> ADStructureIterator {
        ADStructureIterator(bytes, base: base)
    }

    /// Calls `body` with each AD structure in order. Throws the first framing error; the
    /// structures before it have been passed to `body` already.
    public func forEach(_ body: (borrowing ADStructure) throws(WireError) -> Void) throws(WireError) {
        var iterator = makeIterator()
        while let structure = try iterator.next() {
            try body(structure)
        }
    }

    /// Frames the whole significant part and returns how many AD structures it holds;
    /// throws where the framing breaks.
    public func validate() throws(WireError) -> Int {
        var count = 0
        var iterator = makeIterator()
        while try iterator.next() != nil { count &+= 1 }
        return count
    }

    /// The first structure of `type`, or nil if there is none.
    @_lifetime(copy self)
    public func first(_ type: ADType) throws(WireError) -> ADStructure? {
        var iterator = makeIterator()
        while let structure = try iterator.next() {
            if structure.type == type { return structure }
        }
        return nil
    }

    // MARK: Lookups by type (first occurrence; nil when absent)

    /// The Flags, or nil when the advert has no Flags structure.
    public func flags() throws(WireError) -> ADFlags? {
        guard let structure = try first(.flags) else { return nil }
        return try structure.flags()
    }

    /// The TX Power Level in dBm, or nil.
    public func txPowerLevel() throws(WireError) -> Int8? {
        guard let structure = try first(.txPowerLevel) else { return nil }
        return try structure.txPowerLevel()
    }

    /// The Appearance value, or nil.
    public func appearance() throws(WireError) -> UInt16? {
        guard let structure = try first(.appearance) else { return nil }
        return try structure.appearance()
    }

    /// The local name bytes: the complete name if present, else the shortened one.
    @_lifetime(copy self)
    public func localName() throws(WireError) -> RawSpan? {
        if let complete = try first(.completeLocalName) { return complete.data }
        if let shortened = try first(.shortenedLocalName) { return shortened.data }
        return nil
    }

    /// The local name as a String, for tooling and logs (allocates).
    public func localNameString() throws(WireError) -> String? {
        guard let name = try localName() else { return nil }
        return name.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The first Manufacturer Specific Data structure, or nil.
    @_lifetime(copy self)
    public func manufacturerData() throws(WireError) -> ManufacturerData? {
        guard let structure = try first(.manufacturerSpecificData) else { return nil }
        return try structure.manufacturerData()
    }

    /// The first Service Data structure (of any UUID width) for `uuid`, or nil.
    @_lifetime(copy self)
    public func serviceData(for uuid: BluetoothUUID) throws(WireError) -> ServiceData? {
        var iterator = makeIterator()
        while let structure = try iterator.next() {
            guard structure.type.serviceDataUUIDWidth != nil else { continue }
            let serviceData = try structure.serviceData()
            if serviceData.uuid == uuid { return serviceData }
        }
        return nil
    }

    /// Calls `body` with every UUID of every service UUID list (complete or incomplete,
    /// any width; solicitation lists excluded), in order.
    public func forEachServiceUUID(_ body: (BluetoothUUID) throws(WireError) -> Void) throws(WireError) {
        var iterator = makeIterator()
        while let structure = try iterator.next() {
            guard (0x02...0x07).contains(structure.type.rawValue) else { continue }
            try structure.forEachUUID(body)
        }
    }

    /// Whether any service UUID list names `uuid`.
    public func advertisesService(_ uuid: BluetoothUUID) throws(WireError) -> Bool {
        var found = false
        try forEachServiceUUID { candidate throws(WireError) in
            if candidate == uuid { found = true }
        }
        return found
    }
}

/// Walks the AD structures of advertising data one at a time (Vol 3, Part C, §11).
///
/// Not an `IteratorProtocol`: its elements borrow the input and `next()` throws.
/// After an error or the terminating zero Length, `next()` returns nil.
public struct ADStructureIterator: ~Escapable {
    @usableFromInline var cursor: ByteCursor
    @usableFromInline var finished = false

    @_lifetime(copy bytes)
    public init(_ bytes: RawSpan, base: Int = 0) {
        cursor = ByteCursor(bytes, layer: .advertising, base: base)
    }

    /// Absolute offset of the next Length octet (or of the end of the significant part
    /// once iteration has finished).
    public var offset: Int { cursor.absoluteOffset }

    /// The next AD structure, nil at the end of the significant part.
    @_lifetime(copy self)
    public mutating func next() throws(WireError) -> ADStructure? {
        guard !finished, !cursor.isAtEnd else {
            finished = true
            return nil
        }
        let lengthOffset = cursor.absoluteOffset
        let length = Int(try cursor.readUInt8("AD length"))
        guard length > 0 else {
            // Early termination: the rest is the non-significant part.
            finished = true
            return nil
        }
        guard length <= cursor.remaining else {
            finished = true
            throw WireError(.advertising, .lengthMismatch(field: "AD length", declared: length, actual: cursor.remaining), at: lengthOffset)
        }
        let type = ADType(try cursor.readUInt8("AD type"))
        let data = try cursor.readSpan(length &- 1, "AD data")
        return ADStructure(type: type, data: data, offset: lengthOffset)
    }
}
