import NIOCore
import PostgresNIO

/// A one-dimensional PostgreSQL array of 4- or 8-byte numbers in the binary format of
/// `array_send` (PostgreSQL 15, src/backend/utils/adt/arrayfuncs.c), written in one pass into
/// bytes reserved once: the sample columns of an ingest, hundreds of thousands of elements a
/// statement.
///
///     int32 ndim = 1 | int32 has_nulls = 0 | uint32 element type OID
///     int32 length   | int32 lower bound = 1
///     length × (int32 byte count | the value, big-endian)
///
/// postgres-nio's own `Array` encoding writes each element through `ByteBuffer.writeInteger`
/// with its capacity check: 76% of the CPU time of a million-sample ingest in a debug build
/// (perf record on `PostgresStorageTests/bulkIngest`).
struct PostgresNumberArray<Element: PostgresNumberArrayElement>: PostgresNonThrowingEncodable {
    var elements: [Element]

    init(_ elements: [Element]) { self.elements = elements }

    static var psqlType: PostgresDataType { Element.arrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer,
                                                  context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeMultipleIntegers(Int32(1), Int32(0), Element.elementType.rawValue, Int32(elements.count), Int32(1))
        let width = MemoryLayout<Element.Bits>.size
        let stride = 4 + width
        let byteCount = UInt32(width).bigEndian
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: elements.count * stride) { bytes in
            elements.withUnsafeBufferPointer { elements in
                var offset = 0
                for element in elements {
                    bytes.storeBytes(of: byteCount, toByteOffset: offset, as: UInt32.self)
                    bytes.storeBytes(of: element.bits.bigEndian, toByteOffset: offset + 4, as: Element.Bits.self)
                    offset += stride
                }
            }
            return elements.count * stride
        }
    }
}

/// A number that ``PostgresNumberArray`` can carry: its bits, and the PostgreSQL types.
protocol PostgresNumberArrayElement: Sendable {
    associatedtype Bits: FixedWidthInteger
    var bits: Bits { get }
    static var elementType: PostgresDataType { get }
    static var arrayType: PostgresDataType { get }
}

extension Int64: PostgresNumberArrayElement {
    var bits: Int64 { self }
    static var elementType: PostgresDataType { .int8 }
    static var arrayType: PostgresDataType { .int8Array }
}

extension Int32: PostgresNumberArrayElement {
    var bits: Int32 { self }
    static var elementType: PostgresDataType { .int4 }
    static var arrayType: PostgresDataType { .int4Array }
}

/// float8's binary form is the IEEE 754 bits, big-endian (float8send).
extension Double: PostgresNumberArrayElement {
    var bits: UInt64 { bitPattern }
    static var elementType: PostgresDataType { .float8 }
    static var arrayType: PostgresDataType { .float8Array }
}
