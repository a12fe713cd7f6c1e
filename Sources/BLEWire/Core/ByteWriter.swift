/// Appends little-endian fields to a byte array: the encoding side (HCI commands a host
/// sends, ATT PDUs a server sends, btsnoop records). Encoding is not on the per-packet
/// hot path of the gateway, but callers that care can reuse one array with
/// `removeAll(keepingCapacity: true)`.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    // Multi-byte fields by shifts, with no intermediate array: the simulator writes a
    // btsnoop record header per notification.

    public mutating func write(_ value: UInt16) { appendLittleEndian(value, octets: 2) }

    public mutating func writeUInt24(_ value: UInt32) { appendLittleEndian(value, octets: 3) }

    public mutating func write(_ value: UInt32) { appendLittleEndian(value, octets: 4) }

    public mutating func write(_ value: UInt64) { appendLittleEndian(value, octets: 8) }

    public mutating func writeBigEndian(_ value: UInt32) { appendBigEndian(value, octets: 4) }

    public mutating func writeBigEndian(_ value: UInt64) { appendBigEndian(value, octets: 8) }

    @inline(__always)
    mutating func appendLittleEndian(_ value: some FixedWidthInteger & UnsignedInteger, octets: Int) {
        for octet in 0..<octets { bytes.append(UInt8(truncatingIfNeeded: value >> (octet * 8))) }
    }

    @inline(__always)
    mutating func appendBigEndian(_ value: some FixedWidthInteger & UnsignedInteger, octets: Int) {
        for octet in (0..<octets).reversed() { bytes.append(UInt8(truncatingIfNeeded: value >> (octet * 8))) }
    }

    public mutating func write(_ address: BDAddress) { bytes.append(contentsOf: address.littleEndianBytes) }

    /// A UUID in its shortest form: 2 bytes for 16-bit aliases, otherwise 16.
    /// (32-bit UUIDs must be sent as 128-bit in ATT, Vol 3, Part F, §3.2.1.)
    public mutating func writeShortest(_ uuid: BluetoothUUID) {
        if let short = uuid.uuid16 { write(short) } else { bytes.append(contentsOf: uuid.littleEndianBytes) }
    }

    public mutating func write(contentsOf other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// ``write(contentsOf:)`` for an array: one copy, where the generic version, called
    /// from another module, goes element by element.
    public mutating func write(contentsOf other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Writes a placeholder byte and returns its index, for lengths known only later.
    public mutating func reserveByte() -> Int {
        bytes.append(0)
        return bytes.count - 1
    }

    public mutating func patch(_ index: Int, _ value: UInt8) { bytes[index] = value }
}

extension Array where Element == UInt8 {
    /// Parses hex text, ignoring spaces, colons and line breaks (`"1e 4b"`, `"1e:4b"`).
    public init?(hex text: some StringProtocol) {
        var result: [UInt8] = []
        var pending: UInt8?
        for character in text.unicodeScalars {
            if character == " " || character == ":" || character == "\n" || character == "\t" || character == "-" { continue }
            guard let nibble = UInt8(String(character), radix: 16) else { return nil }
            if let high = pending {
                result.append(high << 4 | nibble)
                pending = nil
            } else {
                pending = nibble
            }
        }
        guard pending == nil else { return nil }
        self = result
    }

    /// Lowercase hex without separators.
    public var hexString: String {
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(ASCIIHex.digit(byte >> 4))
            text.append(ASCIIHex.digit(byte & 0xF))
        }
        return String(decoding: text, as: UTF8.self)
    }
}
