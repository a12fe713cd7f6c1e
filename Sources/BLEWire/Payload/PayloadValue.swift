/// A decoded or to-be-encoded payload as a tree: what tests compare, what the simulator
/// hands to ``PayloadEncoder``, and what ``PayloadTreeSink`` builds. Allocates freely;
/// the allocation-free path is a ``PayloadSink``.
public indirect enum PayloadValue: Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case special(IEEE11073Special)
    case text(String)
    case bytes([UInt8])
    case array([PayloadValue])
    case object(PayloadObject)

    /// The value as a Double when it is numeric.
    public var doubleValue: Double? {
        switch self {
        case let .integer(value): Double(value)
        case let .number(value): value
        case let .special(special): special.doubleValue
        default: nil
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Compact JSON, keys in stored order.
    public var description: String {
        var out: [UInt8] = []
        appendJSON(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func appendJSON(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case let .integer(value): JSONText.appendInteger(value, to: &out)
        case let .number(value): JSONText.appendNumber(value, to: &out)
        case let .special(special): JSONText.appendQuoted(special.description.utf8, to: &out)
        case let .text(text): JSONText.appendQuoted(text.utf8, to: &out)
        case let .bytes(bytes): JSONText.appendQuoted(bytes.hexString.utf8, to: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(object):
            out.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(member.key.utf8, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.appendJSON(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

extension PayloadValue: Equatable {
    /// Semantic equality, as a test vector means it: objects compare regardless of key
    /// order; `75` equals `75.0`; numbers agree to 1 part in 10⁹ (a spec author writes
    /// `0.0047884033203125`-style values rounded); a special equals its name (`"NaN"`);
    /// bytes equal their hex text.
    public static func == (lhs: PayloadValue, rhs: PayloadValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.text(a), .text(b)): return a == b
        case let (.special(a), .special(b)): return a == b
        case let (.special(a), .text(b)), let (.text(b), .special(a)): return a.description == b
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.bytes(a), .text(b)), let (.text(b), .bytes(a)): return a.hexString == b.lowercased()
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        default:
            guard let a = lhs.doubleValue, let b = rhs.doubleValue,
                  !lhs.isSpecial, !rhs.isSpecial else { return false }
            if a == b { return true }
            return abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))
        }
    }

    var isSpecial: Bool {
        if case .special = self { return true }
        return false
    }
}

/// An object whose members keep their order (BTHome objects are encoded in the order
/// given), with lookup by key.
public struct PayloadObject: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: PayloadValue

        public init(key: String, value: PayloadValue) {
            self.key = key
            self.value = value
        }
    }

    public var members: [Member]

    public init(_ members: [Member] = []) { self.members = members }

    public init(_ pairs: KeyValuePairs<String, PayloadValue>) {
        members = pairs.map { Member(key: $0.key, value: $0.value) }
    }

    public subscript(key: String) -> PayloadValue? {
        get { members.first { $0.key == key }?.value }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    public var keys: [String] { members.map(\.key) }

    /// Same keys with equal values, in any order.
    public static func == (lhs: PayloadObject, rhs: PayloadObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        return lhs.members.allSatisfy { member in rhs[member.key].map { $0 == member.value } ?? false }
    }
}
