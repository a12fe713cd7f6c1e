/// A Bluetooth UUID: 16-, 32- or 128-bit (Core Specification v5.4, Vol 3, Part B, §2.5.1).
///
/// 16- and 32-bit UUIDs are shorthands for `0000xxxx-0000-1000-8000-00805F9B34FB`
/// (the Bluetooth Base UUID); every value is kept as its full 128 bits so that the same
/// UUID compares equal whatever width it arrived in.
public struct BluetoothUUID: Hashable, Sendable, CustomStringConvertible {
    /// The 128 bits, most significant half first as written in text.
    public var high: UInt64
    public var low: UInt64

    /// Low 64 bits and the constant part of the high 64 bits of the Base UUID.
    static let baseLow: UInt64 = 0x8000_0080_5F9B_34FB
    static let baseHighLow32: UInt64 = 0x0000_1000

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(_ short: UInt16) { self.init(uuid32: UInt32(short)) }

    public init(uuid32: UInt32) {
        self.init(high: UInt64(uuid32) << 32 | Self.baseHighLow32, low: Self.baseLow)
    }

    /// The 16- or 32-bit alias when this UUID is built on the Base UUID.
    public var shortValue: UInt32? {
        guard low == Self.baseLow, high & 0xFFFF_FFFF == Self.baseHighLow32 else { return nil }
        return UInt32(truncatingIfNeeded: high >> 32)
    }

    /// The 16-bit alias when there is one.
    public var uuid16: UInt16? {
        guard let short = shortValue, short <= 0xFFFF else { return nil }
        return UInt16(short)
    }

    /// Reads a UUID of `width` bytes (2, 4 or 16), little-endian as on the air
    /// (Vol 3, Part F, §3.2.1 for ATT; Vol 3, Part C, §11 for AD structures).
    @inlinable
    public init(reading cursor: inout ByteCursor, width: Int) throws(WireError) {
        switch width {
        case 2: self.init(try cursor.readUInt16("uuid16"))
        case 4: self.init(uuid32: try cursor.readUInt32("uuid32"))
        case 16:
            let low = try cursor.readUInt64("uuid128")
            let high = try cursor.readUInt64("uuid128")
            self.init(high: high, low: low)
        default:
            throw cursor.error(.invalidValue(field: "uuid width", value: width))
        }
    }

    /// Parses `2a37`, `0x2A37`, `0000180d` or `0000180d-0000-1000-8000-00805f9b34fb`.
    public init?(_ text: some StringProtocol) {
        var digits = Substring(text).lowercased()
        if digits.hasPrefix("0x") { digits.removeFirst(2) }
        let isDashedFull = digits.count == 36
        digits.removeAll { $0 == "-" }
        guard digits.allSatisfy(\.isHexDigit) else { return nil }
        switch digits.count {
        case 4 where !isDashedFull:
            guard let value = UInt16(digits, radix: 16) else { return nil }
            self.init(value)
        case 8 where !isDashedFull:
            guard let value = UInt32(digits, radix: 16) else { return nil }
            self.init(uuid32: value)
        case 32:
            guard let high = UInt64(digits.prefix(16), radix: 16),
                  let low = UInt64(digits.suffix(16), radix: 16) else { return nil }
            self.init(high: high, low: low)
        default:
            return nil
        }
    }

    /// The 128 bits in transmission order (least significant octet first).
    public var littleEndianBytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: low >> (8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: high >> (8 * UInt64($0))) }
    }

    /// `2a37` for 16-bit aliases, `0000fe95`-style 8 digits for 32-bit ones, otherwise the
    /// dashed lowercase form. Lowercase, as tshark and Bumble print UUIDs.
    public var description: String {
        if let short = shortValue {
            return short <= 0xFFFF ? hexDigits(UInt64(short), count: 4) : hexDigits(UInt64(short), count: 8)
        }
        let h = hexDigits(high, count: 16), l = hexDigits(low, count: 16)
        return "\(h.prefix(8))-\(h.dropFirst(8).prefix(4))-\(h.suffix(4))-\(l.prefix(4))-\(l.suffix(12))"
    }

    private func hexDigits(_ value: UInt64, count: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, count - text.count)) + text
    }
}
