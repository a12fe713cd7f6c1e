/// What ``ConnectionHandle`` and ``AttributeHandle`` share: a 16-bit identifier carried
/// little-endian on the wire, compared and printed by its value. Each kind stays a type
/// of its own (a connection handle is not an attribute handle); this protocol only holds
/// the code both would otherwise repeat. The members are `@inlinable`, so the wrappers
/// cost what the bare `UInt16` did.
public protocol WireHandle: RawRepresentable<UInt16>, Hashable, Sendable, Comparable, CustomStringConvertible {
    init(rawValue: UInt16)
}

extension WireHandle {
    @inlinable
    public init(_ rawValue: UInt16) { self.init(rawValue: rawValue) }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `0x0040`: `0x` and four lowercase hex digits, as tshark and btmon print handles.
    public var description: String {
        var text: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "x")]
        for shift in stride(from: 12, through: 0, by: -4) {
            text.append(ASCIIHex.digit(UInt8(truncatingIfNeeded: rawValue >> UInt16(shift)) & 0xF))
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension ByteWriter {
    /// Appends the handle's 16 bits, little-endian.
    @inlinable
    public mutating func write(_ handle: some WireHandle) { write(handle.rawValue) }
}
