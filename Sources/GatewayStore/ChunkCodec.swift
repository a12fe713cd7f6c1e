import Foundation

/// The byte encodings of a chunk's column BLOBs (see "Schema" in ``GatewayStore``).
///
/// - Unsigned LEB128 varints (7 bits a byte, low group first, high bit = more follows).
/// - Signed integers as zigzag varints (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...), so small
///   magnitudes of either sign take one byte.
/// - Times as differences from the previous element (the first from the chunk's
///   `start_us`), computed with wrapping arithmetic so that any Int64 round-trips.
/// - Float64 values as their IEEE 754 bit patterns, little-endian, 8 bytes each.
enum ChunkCodec {
    /// Longest LEB128 encoding of a 64-bit value.
    static let maximumVarintBytes = 10

    /// A buffer of `capacity` bytes that `body` fills front to back; the result is cut to
    /// what was written. One allocation per column of a chunk, never per element.
    static func data(capacity: Int, _ body: (inout ByteWriter) -> Void) -> Data {
        guard capacity > 0 else { return Data() }
        var data = Data(count: capacity)
        let written = data.withUnsafeMutableBytes { raw in
            var writer = ByteWriter(base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), capacity: capacity)
            body(&writer)
            return writer.count
        }
        data.count = written
        return data
    }

    @inline(__always)
    static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    @inline(__always)
    static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }
}

/// Writes into a buffer sized by the caller for the worst case, with no bounds checks
/// beyond a debug assertion (the capacity is computed from element counts).
struct ByteWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0

    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        assert(count < capacity, "chunk column buffer overflow")
        base[count] = value
        count += 1
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            byte(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        byte(UInt8(value))
    }

    @inline(__always)
    mutating func signedVarint(_ value: Int64) {
        varint(ChunkCodec.zigzag(value))
    }

    @inline(__always)
    mutating func float64(_ value: Double) {
        assert(count + 8 <= capacity, "chunk column buffer overflow")
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
        count += 8
    }

    mutating func bytes(_ source: UnsafeBufferPointer<UInt8>) {
        guard let address = source.baseAddress, !source.isEmpty else { return }
        assert(count + source.count <= capacity, "chunk column buffer overflow")
        (base + count).update(from: address, count: source.count)
        count += source.count
    }
}

/// A column BLOB that does not decode as the schema says: a damaged file, or a row
/// written by another program.
struct MalformedChunk: Error {
    var detail: String
}

/// Reads a column BLOB front to back, checking every length before trusting it.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    @inline(__always)
    mutating func byte() throws(MalformedChunk) -> UInt8 {
        guard offset < bytes.count else { throw MalformedChunk(detail: "a chunk column ends early") }
        let value = bytes[offset]
        offset += 1
        return value
    }

    @inline(__always)
    mutating func varint() throws(MalformedChunk) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            guard shift < 64 else { throw MalformedChunk(detail: "a varint in a chunk column is too long") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    @inline(__always)
    mutating func signedVarint() throws(MalformedChunk) -> Int64 {
        ChunkCodec.unzigzag(try varint())
    }

    @inline(__always)
    mutating func float64() throws(MalformedChunk) -> Double {
        guard remaining >= 8 else { throw MalformedChunk(detail: "a chunk's values column ends early") }
        let bits = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return Double(bitPattern: UInt64(littleEndian: bits))
    }

    /// The next `count` bytes, without copying.
    mutating func bytes(_ count: Int) throws(MalformedChunk) -> UnsafeRawBufferPointer {
        guard count >= 0, remaining >= count else { throw MalformedChunk(detail: "a chunk's bytes column ends early") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    /// Fails unless every byte was read: trailing bytes mean the count is wrong.
    func expectEnd(_ column: String) throws(MalformedChunk) {
        guard isAtEnd else { throw MalformedChunk(detail: "the \(column) column of a chunk is longer than its count") }
    }
}

/// The format of a chunk row, told by the first byte of its `gateway_times` column.
///
/// Format 1 (the "v1-chunks" migration) had no tag, but its `gateway_times` always begins
/// with the varint 0: the first time is `start_us`, so its difference is zero. Format 2
/// starts the column with the byte 2; its columns are those of ``IntegerColumn`` and
/// ``ValueColumn``, each with its own tag byte. Both are read; commits write format 2.
enum ChunkFormat {
    static let original: UInt8 = 0
    static let compact: UInt8 = 2

    /// The format of a chunk of `count` elements whose `gateway_times` is `bytes`.
    static func of(_ bytes: UnsafeRawBufferPointer, count: Int) throws(MalformedChunk) -> UInt8 {
        guard count > 0, let tag = bytes.first else {
            throw MalformedChunk(detail: "a chunk's count (\(count)) does not match its times")
        }
        switch tag {
        case original:
            // Every time takes at least one byte: a larger count is damage, not data.
            guard count <= bytes.count else {
                throw MalformedChunk(detail: "a chunk's count (\(count)) does not match its times")
            }
        case compact:
            // Runs let a few bytes stand for many times: the commit's bound is the check.
            guard count <= GatewayStore.maximumChunkCount else {
                throw MalformedChunk(detail: "a chunk's count (\(count)) exceeds \(GatewayStore.maximumChunkCount)")
            }
        default:
            throw MalformedChunk(detail: "a chunk has an unknown format (\(tag))")
        }
        return tag
    }
}
