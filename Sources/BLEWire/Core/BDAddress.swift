/// A 48-bit Bluetooth device address (Core Specification v5.4, Vol 2, Part B, §1.2).
///
/// Stored as the integer the six little-endian octets encode, so `F6:F7:F8:F9:FA:FB`
/// (most significant octet first, as tools print it) is `0xF6F7F8F9FAFB`.
public struct BDAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue & 0xFFFF_FFFF_FFFF
    }

    /// Parses `AA:BB:CC:DD:EE:FF` (most significant octet first; `-` also accepted).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.init(rawValue: value)
    }

    /// The octets in transmission order (least significant first).
    public var littleEndianBytes: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (8 * UInt64($0))) }
    }

    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(17)
        appendText(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends ``description`` (`F6:12:…`, most significant octet first) as UTF-8.
    public func appendText(to text: inout [UInt8]) {
        for index in stride(from: 5, through: 0, by: -1) {
            let octet = UInt8(truncatingIfNeeded: rawValue >> (8 * UInt64(index)))
            text.append(ASCIIHex.digit(octet >> 4, uppercase: true))
            text.append(ASCIIHex.digit(octet & 0xF, uppercase: true))
            if index > 0 { text.append(UInt8(ascii: ":")) }
        }
    }

    public static func < (lhs: BDAddress, rhs: BDAddress) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How an address was assigned (HCI "Address_Type", Vol 4, Part E, §7.7.65.2).
public enum AddressType: UInt8, Sendable, CustomStringConvertible {
    case publicDevice = 0x00
    case randomDevice = 0x01
    case publicIdentity = 0x02
    case randomIdentity = 0x03

    public var description: String {
        switch self {
        case .publicDevice: "public"
        case .randomDevice: "random"
        case .publicIdentity: "public-identity"
        case .randomIdentity: "random-identity"
        }
    }
}
