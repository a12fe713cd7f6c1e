/// An ATT attribute handle (Core Specification v5.4, Vol 3, Part F, §3.2.2): the 16-bit
/// address of one attribute on a server. 0x0001...0xFFFF are valid; 0x0000 is reserved
/// and never names an attribute (a request carrying it gets an Invalid Handle error).
///
/// A type of its own so that an attribute handle cannot be passed where an HCI
/// ``ConnectionHandle`` is expected (both are 16-bit little-endian fields on the wire).
@frozen
public struct AttributeHandle: WireHandle {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0x0000, reserved (§3.2.2): the value an Error Response carries when no handle is
    /// concerned, never an attribute.
    public static let reserved = AttributeHandle(0x0000)
    /// The lowest handle an attribute can have, where discovery starts (0x0001).
    public static let first = AttributeHandle(0x0001)
    /// The highest handle an attribute can have, where discovery ranges end (0xFFFF).
    public static let last = AttributeHandle(0xFFFF)

    /// Whether the handle may name an attribute (not 0x0000).
    @inlinable
    public var isValid: Bool { rawValue != 0 }

    /// The next handle, or `nil` after ``last``: a client continuing Find Information or
    /// Read By Type after the handle it last received (Vol 3, Part G, §4.6.1, §4.7.1)
    /// stops there rather than wrapping to 0x0000.
    @inlinable
    public var successor: AttributeHandle? {
        rawValue == UInt16.max ? nil : AttributeHandle(rawValue &+ 1)
    }

    /// The handle before this one, or `nil` at 0x0000: where a characteristic ends when
    /// the next declaration follows it (Vol 3, Part G, §3.3).
    @inlinable
    public var predecessor: AttributeHandle? {
        rawValue == 0 ? nil : AttributeHandle(rawValue &- 1)
    }
}

extension ByteCursor {
    /// A 16-bit little-endian attribute handle field (Vol 3, Part F, §3.2.2).
    @inlinable
    public mutating func readAttributeHandle(_ field: StaticString = "attribute handle") throws(WireError) -> AttributeHandle {
        AttributeHandle(rawValue: try readUInt16(field))
    }
}
