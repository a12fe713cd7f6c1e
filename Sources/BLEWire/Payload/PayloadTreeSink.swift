/// Builds a ``PayloadValue`` tree from a decode: for tests, the encoder round trip, and
/// tools. Allocates (it builds arrays and strings); use ``JSONPayloadSink`` or
/// ``PayloadSampleSink`` on hot paths.
public struct PayloadTreeSink: PayloadSink {
    let fields: [PayloadFieldInfo]
    let labels: [PayloadLabel]
    /// Open containers; the first is the root object.
    var stack: [(key: String?, value: PayloadValue)]

    public init(program: PayloadProgram) {
        fields = program.fields
        labels = program.labels
        stack = [(nil, .object(PayloadObject()))]
    }

    /// The decoded fields (valid after a successful decode).
    public var result: PayloadObject {
        if case let .object(object) = stack.first?.value { return object }
        return PayloadObject()
    }

    func key(_ field: PayloadFieldRef) -> String {
        let name = fields[Int(field.id)].name
        return field.occurrence > 0 ? "\(name)_\(field.occurrence + 1)" : name
    }

    mutating func add(_ value: PayloadValue, field: PayloadFieldRef) {
        guard var top = stack.popLast() else { return }
        switch top.value {
        case var .array(elements):
            elements.append(value)
            top.value = .array(elements)
        case var .object(object):
            object.members.append(.init(key: key(field), value: value))
            top.value = .object(object)
        default: break
        }
        stack.append(top)
    }

    public mutating func integer(_ value: Int64, field: PayloadFieldRef) { add(.integer(value), field: field) }
    public mutating func number(_ value: Double, field: PayloadFieldRef) { add(.number(value), field: field) }
    public mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef) { add(.special(value), field: field) }
    public mutating func bool(_ value: Bool, field: PayloadFieldRef) { add(.bool(value), field: field) }
    public mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef) {
        add(.text(labels[label].label), field: field)
    }
    public mutating func text(_ utf8: RawSpan, field: PayloadFieldRef) {
        add(.text(String(decoding: utf8.copyBytes(), as: UTF8.self)), field: field)
    }
    public mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef) { add(.bytes(bytes.copyBytes()), field: field) }
    public mutating func null(field: PayloadFieldRef) { add(.null, field: field) }
    public mutating func beginArray(field: PayloadFieldRef) { stack.append((key(field), .array([]))) }
    public mutating func endArray(field: PayloadFieldRef) { close(field) }
    public mutating func beginObject(field: PayloadFieldRef) { stack.append((key(field), .object(PayloadObject()))) }
    public mutating func endObject(field: PayloadFieldRef) { close(field) }

    mutating func close(_ field: PayloadFieldRef) {
        guard stack.count > 1, let top = stack.popLast() else { return }
        add(top.value, field: field)
    }
}
