/// An L2CAP channel identifier (Core Specification v5.4, Vol 3, Part A, §2.1).
///
/// LE links use fixed channels for the protocols every device speaks, so a gateway can
/// route a PDU by its CID alone without any channel set-up:
///
/// | CID    | LE use                               |
/// |--------|--------------------------------------|
/// | 0x0004 | Attribute protocol (ATT)             |
/// | 0x0005 | LE L2CAP signalling                  |
/// | 0x0006 | Security Manager protocol (SMP)      |
/// | 0x0040…0x007F | dynamically allocated (credit-based channels) |
///
/// A struct rather than an enum: any 16-bit value can arrive on the wire.
public struct L2CAPChannelID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// The Attribute protocol's fixed channel (ATT, and GATT above it).
    public static let att = L2CAPChannelID(0x0004)
    /// The LE signalling channel (connection parameter updates, credit-based channels).
    public static let leSignaling = L2CAPChannelID(0x0005)
    /// The Security Manager protocol's fixed channel.
    public static let securityManager = L2CAPChannelID(0x0006)

    /// Whether this CID lies in the LE dynamically allocated range (Vol 3, Part A, Table 2.3).
    public var isDynamic: Bool { rawValue >= 0x0040 && rawValue <= 0x007F }

    public var description: String {
        switch self {
        case .att: "ATT"
        case .leSignaling: "LE signalling"
        case .securityManager: "SMP"
        default: "CID 0x" + String(rawValue, radix: 16)
        }
    }
}
