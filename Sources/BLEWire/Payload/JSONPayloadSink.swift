/// Writes the decoded fields as one JSON object, e.g. for Heart Rate
/// `{"heart_rate":75,"sensor_contact":true,"energy_expended":10,"rr_intervals":[0.8,0.78125]}`.
///
/// Repeated fields become arrays, repeated groups arrays of objects, absent fields are
/// omitted or `null` as the spec says, and numbers print in their shortest exact form
/// (`75`, `0.78125`, `36.6`). IEEE 11073 specials print as strings (`"NaN"`, `"NRes"`,
/// `"+INF"`), which JSON numbers cannot carry; bytes as lowercase hex strings.
///
/// Reuse one sink across payloads: ``reset()`` keeps the buffer's capacity, so after the
/// first few payloads rendering allocates nothing but the occasional `name_2` key.
public struct JSONPayloadSink: PayloadSink {
    let fields: [PayloadFieldInfo]
    let labels: [PayloadLabel]
    /// The JSON text so far (UTF-8).
    public private(set) var output: [UInt8] = []
    /// Bit d set: the container at depth d already has a member (a comma is due).
    var hasMember: UInt64 = 0
    /// Bit d set: the container at depth d is an array (members have no keys).
    var isArray: UInt64 = 0
    var depth = 0

    public init(program: PayloadProgram, capacity: Int = 256) {
        fields = program.fields
        labels = program.labels
        output.reserveCapacity(capacity)
        reset()
    }

    /// Starts a new root object, keeping the buffer.
    public mutating func reset() {
        output.removeAll(keepingCapacity: true)
        output.append(UInt8(ascii: "{"))
        hasMember = 0
        isArray = 0
        depth = 0
    }

    /// Closes the root object and returns the text.
    public mutating func finish() -> String {
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes `bytes` with `program` and returns the JSON object text.
    public static func render(_ program: PayloadProgram, _ bytes: RawSpan) throws(WireError) -> String {
        var sink = JSONPayloadSink(program: program)
        try program.decode(bytes, into: &sink)
        return sink.finish()
    }

    @inline(__always)
    mutating func prefix(_ field: PayloadFieldRef) {
        let bit: UInt64 = 1 << UInt64(depth & 63)
        if hasMember & bit != 0 { output.append(UInt8(ascii: ",")) }
        hasMember |= bit
        guard isArray & bit == 0 else { return }
        let info = fields[Int(field.id)]
        if field.occurrence > 0 {
            JSONText.appendQuoted("\(info.name)_\(field.occurrence + 1)".utf8, to: &output)
            output.append(UInt8(ascii: ":"))
        } else {
            output.append(contentsOf: info.jsonKey)
        }
    }

    mutating func open(_ bracket: UInt8, array: Bool) {
        output.append(bracket)
        depth &+= 1
        let bit: UInt64 = 1 << UInt64(depth & 63)
        hasMember &= ~bit
        if array { isArray |= bit } else { isArray &= ~bit }
    }

    mutating func close(_ bracket: UInt8) {
        output.append(bracket)
        if depth > 0 { depth &-= 1 }
    }

    public mutating func integer(_ value: Int64, field: PayloadFieldRef) {
        prefix(field)
        JSONText.appendInteger(value, to: &output)
    }

    public mutating func number(_ value: Double, field: PayloadFieldRef) {
        prefix(field)
        JSONText.appendNumber(value, to: &output)
    }

    public mutating func special(_ value: IEEE11073Special, field: PayloadFieldRef) {
        prefix(field)
        JSONText.appendQuoted(value.description.utf8, to: &output)
    }

    public mutating func bool(_ value: Bool, field: PayloadFieldRef) {
        prefix(field)
        output.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    public mutating func label(_ label: Int, raw: Int64, field: PayloadFieldRef) {
        prefix(field)
        JSONText.appendQuoted(labels[label].label.utf8, to: &output)
    }

    public mutating func text(_ utf8: RawSpan, field: PayloadFieldRef) {
        prefix(field)
        utf8.withUnsafeBytes { JSONText.appendQuoted($0, to: &output) }
    }

    public mutating func bytes(_ bytes: RawSpan, field: PayloadFieldRef) {
        prefix(field)
        let digits: StaticString = "0123456789abcdef"
        output.append(UInt8(ascii: "\""))
        bytes.withUnsafeBytes { buffer in
            digits.withUTF8Buffer { hex in
                for byte in buffer {
                    output.append(hex[Int(byte >> 4)])
                    output.append(hex[Int(byte & 0xF)])
                }
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    public mutating func null(field: PayloadFieldRef) {
        prefix(field)
        output.append(contentsOf: "null".utf8)
    }

    public mutating func beginArray(field: PayloadFieldRef) {
        prefix(field)
        open(UInt8(ascii: "["), array: true)
    }

    public mutating func endArray(field: PayloadFieldRef) { close(UInt8(ascii: "]")) }

    public mutating func beginObject(field: PayloadFieldRef) {
        prefix(field)
        open(UInt8(ascii: "{"), array: false)
    }

    public mutating func endObject(field: PayloadFieldRef) { close(UInt8(ascii: "}")) }
}
