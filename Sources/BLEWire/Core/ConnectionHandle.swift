/// An HCI connection handle (Core Specification v5.4, Vol 4, Part E, §5.4.2): the
/// identifier a controller assigns to a link, carried in 12 bits of the ACL header and
/// in every connection event and command. 0x0000...0x0EFF are valid; 0x0F00...0x0FFF
/// are reserved for future use.
///
/// A type of its own so that a connection handle cannot be passed where an ATT
/// ``AttributeHandle`` is expected (both are 16-bit little-endian fields on the wire).
/// It holds the 16 bits as received: a parser that must drop the ACL flag bits
/// (§5.4.2) masks them before wrapping, as it did before this type existed.
@frozen
public struct ConnectionHandle: WireHandle {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The highest valid handle (§5.4.2: 0x0EFF; 0x0F00-0x0FFF are reserved).
    public static let maximum = ConnectionHandle(0x0EFF)

    /// Whether the handle lies in the range a controller may assign (0x0000...0x0EFF).
    @inlinable
    public var isValid: Bool { rawValue <= Self.maximum.rawValue }
}

extension ByteCursor {
    /// A Connection_Handle field (Vol 4, Part E, §5.4.2), 16 bits little-endian, kept as
    /// sent.
    @inlinable
    public mutating func readConnectionHandle(_ field: StaticString = "Connection_Handle") throws(WireError) -> ConnectionHandle {
        ConnectionHandle(rawValue: try readUInt16(field))
    }
}
