/// A non-escapable reading cursor over bytes it does not own.
///
/// Every Bluetooth field is little-endian and unaligned (Core Specification v5.4,
/// Vol 1, Part E, §2.9), so each read checks the remaining count once and then does an
/// unchecked unaligned load. Errors carry the absolute byte offset: `base` is where
/// `bytes` starts within the outermost buffer, so a parser nested three layers deep
/// still reports the offset the user sees in the capture.
public struct ByteCursor: ~Escapable {
    public let bytes: RawSpan
    /// Read position, relative to `bytes`.
    public var position: Int
    /// Offset of `bytes[0]` within the outermost buffer, for error messages.
    public let base: Int
    /// The layer named in errors thrown by this cursor.
    public let layer: WireError.Layer

    @_lifetime(copy bytes)
    public init(_ bytes: RawSpan, layer: WireError.Layer, base: Int = 0) {
        self.bytes = bytes
        self.position = 0
        self.base = base
        self.layer = layer
    }

    /// Bytes not yet read.
    @inlinable public var remaining: Int { bytes.byteCount &- position }
    @inlinable public var isAtEnd: Bool { position >= bytes.byteCount }
    /// Absolute offset of the read position, for errors and for recording frame offsets.
    @inlinable public var absoluteOffset: Int { base &+ position }

    @inlinable
    public func error(_ reason: WireError.Reason) -> WireError {
        WireError(layer, reason, at: absoluteOffset)
    }

    @inlinable
    public func require(_ count: Int, for field: StaticString) throws(WireError) {
        guard count >= 0, count <= remaining else {
            throw error(.truncated(field: field, needed: count, available: remaining))
        }
    }

    // MARK: Fixed-width little-endian integers

    @inlinable
    public mutating func readUInt8(_ field: StaticString = "u8") throws(WireError) -> UInt8 {
        try require(1, for: field)
        let value = bytes.unsafeLoad(fromUncheckedByteOffset: position, as: UInt8.self)
        position &+= 1
        return value
    }

    @inlinable
    public mutating func readUInt16(_ field: StaticString = "u16") throws(WireError) -> UInt16 {
        UInt16(littleEndian: try readRaw(UInt16.self, field))
    }

    /// A 24-bit little-endian integer (e.g. Class of Device, PLX Device and Sensor Status).
    @inlinable
    public mutating func readUInt24(_ field: StaticString = "u24") throws(WireError) -> UInt32 {
        try require(3, for: field)
        let low = UInt16(littleEndian: bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: UInt16.self))
        let high = bytes.unsafeLoad(fromUncheckedByteOffset: position &+ 2, as: UInt8.self)
        position &+= 3
        return UInt32(low) | UInt32(high) << 16
    }

    @inlinable
    public mutating func readUInt32(_ field: StaticString = "u32") throws(WireError) -> UInt32 {
        UInt32(littleEndian: try readRaw(UInt32.self, field))
    }

    @inlinable
    public mutating func readUInt64(_ field: StaticString = "u64") throws(WireError) -> UInt64 {
        UInt64(littleEndian: try readRaw(UInt64.self, field))
    }

    /// A big-endian 32-bit integer (btsnoop headers are big-endian, unlike Bluetooth).
    @inlinable
    public mutating func readUInt32BE(_ field: StaticString = "u32be") throws(WireError) -> UInt32 {
        UInt32(bigEndian: try readRaw(UInt32.self, field))
    }

    @inlinable
    public mutating func readUInt64BE(_ field: StaticString = "u64be") throws(WireError) -> UInt64 {
        UInt64(bigEndian: try readRaw(UInt64.self, field))
    }

    /// The next `MemoryLayout<T>.size` bytes as they lie in memory (byte order still to be
    /// fixed by the caller): one bounds check, then an unchecked unaligned load.
    @inlinable @inline(__always)
    mutating func readRaw<T: FixedWidthInteger & BitwiseCopyable>(_ type: T.Type, _ field: StaticString) throws(WireError) -> T {
        try require(MemoryLayout<T>.size, for: field)
        let value = bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: T.self)
        position &+= MemoryLayout<T>.size
        return value
    }

    @inlinable
    public mutating func readInt8(_ field: StaticString = "i8") throws(WireError) -> Int8 {
        Int8(bitPattern: try readUInt8(field))
    }

    @inlinable
    public mutating func readInt16(_ field: StaticString = "i16") throws(WireError) -> Int16 {
        Int16(bitPattern: try readUInt16(field))
    }

    /// A device address, transmitted least significant octet first (Vol 6, Part B, §1.3).
    @inlinable
    public mutating func readAddress(_ field: StaticString = "address") throws(WireError) -> BDAddress {
        try require(6, for: field)
        let low = UInt32(littleEndian: bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position, as: UInt32.self))
        let high = UInt16(littleEndian: bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: position &+ 4, as: UInt16.self))
        position &+= 6
        return BDAddress(rawValue: UInt64(low) | UInt64(high) << 32)
    }

    // MARK: Sub-ranges

    /// Skips `count` bytes.
    @inlinable
    public mutating func skip(_ count: Int, _ field: StaticString = "bytes") throws(WireError) {
        try require(count, for: field)
        position &+= count
    }

    /// The next `count` bytes as a range relative to `bytes`, consumed. Records where a
    /// nested structure lives without copying it (framing phase, as swift-asn1 does).
    @inlinable
    public mutating func readRange(_ count: Int, _ field: StaticString = "bytes") throws(WireError) -> Range<Int> {
        try require(count, for: field)
        let start = position
        position &+= count
        return start..<position
    }

    /// The next `count` bytes, consumed, as a span sharing the same memory.
    @_lifetime(copy self)
    public mutating func readSpan(_ count: Int, _ field: StaticString = "bytes") throws(WireError) -> RawSpan {
        let range = try readRange(count, field)
        return bytes.extracting(range)
    }

    /// Everything not yet read, consumed.
    @_lifetime(copy self)
    public mutating func readRest() -> RawSpan {
        let rest = bytes.extracting(position..<bytes.byteCount)
        position = bytes.byteCount
        return rest
    }

    /// A cursor over the next `count` bytes (consumed here) that reports absolute offsets.
    @_lifetime(copy self)
    public mutating func readCursor(_ count: Int, _ field: StaticString = "bytes", layer: WireError.Layer? = nil) throws(WireError) -> ByteCursor {
        let start = absoluteOffset
        let range = try readRange(count, field)
        return ByteCursor(bytes.extracting(range), layer: layer ?? self.layer, base: start)
    }

    /// Throws unless every byte has been consumed.
    @inlinable
    public func expectEnd() throws(WireError) {
        guard isAtEnd else { throw error(.trailingBytes(count: remaining)) }
    }
}

extension RawSpan {
    /// The byte at `offset` (bounds-checked).
    @inlinable
    public func byte(at offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < byteCount, "byte offset out of range")
        return unsafeLoad(fromUncheckedByteOffset: offset, as: UInt8.self)
    }

    /// Copies the bytes into an array: for what must outlive the parse (tests, storage).
    public func copyBytes() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}
