/// A parse failure anywhere in the wire stack: which layer, what was wrong, and the byte
/// offset (from the start of the buffer handed to the outermost parser) where it was found.
///
/// It carries only integers and static strings, so throwing it allocates nothing and the
/// decode path stays allocation-free even on malformed input.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The protocol layer whose rules the input broke.
    public enum Layer: String, Sendable {
        case h4 = "H4"
        case hci = "HCI"
        case acl = "ACL"
        case l2cap = "L2CAP"
        case att = "ATT"
        case advertising = "AD"
        case btsnoop = "btsnoop"
        case payload = "payload"
    }

    /// What was wrong.
    public enum Reason: Equatable, Sendable {
        /// `field` needed `needed` bytes but only `available` were left.
        case truncated(field: StaticString, needed: Int, available: Int)
        /// A length field (`field`) disagrees with the bytes actually present.
        case lengthMismatch(field: StaticString, declared: Int, actual: Int)
        /// `field` holds a value the specification does not allow.
        case invalidValue(field: StaticString, value: Int)
        /// A type/opcode/code this parser does not know how to frame.
        case unknownType(field: StaticString, value: Int)
        /// Input larger than the configured bound (reassembly buffers, MTU, ...).
        case oversize(field: StaticString, limit: Int, actual: Int)
        /// Bytes left over after a structure that must fill its container.
        case trailingBytes(count: Int)

        public static func == (lhs: Reason, rhs: Reason) -> Bool {
            switch (lhs, rhs) {
            case let (.truncated(a, b, c), .truncated(x, y, z)):
                return a.description == x.description && b == y && c == z
            case let (.lengthMismatch(a, b, c), .lengthMismatch(x, y, z)):
                return a.description == x.description && b == y && c == z
            case let (.invalidValue(a, b), .invalidValue(x, y)):
                return a.description == x.description && b == y
            case let (.unknownType(a, b), .unknownType(x, y)):
                return a.description == x.description && b == y
            case let (.oversize(a, b, c), .oversize(x, y, z)):
                return a.description == x.description && b == y && c == z
            case let (.trailingBytes(a), .trailingBytes(x)):
                return a == x
            default:
                return false
            }
        }
    }

    public var layer: Layer
    public var reason: Reason
    /// Byte offset of the failure from the start of the outermost buffer.
    public var offset: Int

    public init(_ layer: Layer, _ reason: Reason, at offset: Int) {
        self.layer = layer
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case let .truncated(field, needed, available):
            what = "truncated \(field): needs \(needed) bytes, \(available) left"
        case let .lengthMismatch(field, declared, actual):
            what = "\(field) says \(declared) bytes but \(actual) are present"
        case let .invalidValue(field, value):
            what = "invalid \(field) 0x\(String(value, radix: 16))"
        case let .unknownType(field, value):
            what = "unknown \(field) 0x\(String(value, radix: 16))"
        case let .oversize(field, limit, actual):
            what = "\(field) of \(actual) bytes exceeds the limit of \(limit)"
        case let .trailingBytes(count):
            what = "\(count) unexpected trailing bytes"
        }
        return "\(layer.rawValue): \(what) at byte offset \(offset)"
    }
}
