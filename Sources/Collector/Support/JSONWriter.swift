import Hummingbird
import NIOCore

/// A JSON text (RFC 8259) written straight into the bytes of a response body: the reader
/// API's pages of up to 10,000 rows, where Foundation's `JSONEncoder` (a `Codable` tree of
/// boxed values, dynamic casts per value) took 80 K allocations and most of 120 ms for one
/// 10,000-record page (CollectorBenchmarks, `GET /v1/metrics`). Keys are written as literals
/// by the caller (`writer.raw("\"time\":")`); values through the typed calls below.
struct JSONWriter {
    private(set) var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Bytes already valid JSON: punctuation and `"key":` literals.
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { _ = buffer.writeBytes($0) }
    }

    /// A string, escaped as RFC 8259 section 7 requires: `"` and `\`, and every control
    /// character below U+0020 (the short forms where there is one, `\u00XX` otherwise).
    mutating func string(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start..<index]))
                switch byte {
                case 0x22: raw("\\\"")
                case 0x5C: raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                default:
                    raw("\\u00")
                    buffer.writeInteger(Self.hexDigits[Int(byte >> 4)])
                    buffer.writeInteger(Self.hexDigits[Int(byte & 0xF)])
                }
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[start...]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func string(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    /// A number in Swift's shortest round-trip form (`1.1`, `60.0`, `1e-05`: all JSON
    /// numbers); JSON has no infinity or NaN, so those are null.
    mutating func number(_ value: Double) {
        guard value.isFinite else { return raw("null") }
        // Mostly 15 bytes or fewer: a small string, no allocation.
        buffer.writeString(value.description)
    }

    mutating func number(_ value: Double?) {
        if let value { number(value) } else { raw("null") }
    }

    mutating func number(_ value: Int64) {
        buffer.writeString(String(value))
    }

    /// A time as an RFC 3339 string (``RFC3339/format(micros:)``), written in place.
    mutating func time(micros: Int64) {
        buffer.writeInteger(UInt8(ascii: "\""))
        RFC3339.write(micros: micros, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func time(micros: Int64?) {
        if let micros { time(micros: micros) } else { raw("null") }
    }

    /// Elements separated by commas.
    mutating func array<Element>(_ elements: some Sequence<Element>, _ write: (inout JSONWriter, Element) -> Void) {
        raw("[")
        var first = true
        for element in elements {
            if !first { raw(",") }
            first = false
            write(&self, element)
        }
        raw("]")
    }

    /// `{"<key>": [rows...]}` as a response; `opening` is `{"<key>":`, `rowBytes` a guess
    /// of one row's size.
    static func list<Row>(_ opening: StaticString, _ rows: [Row], rowBytes: Int,
                          _ write: (inout JSONWriter, Row) -> Void) -> Response {
        var json = JSONWriter(capacity: 64 + rows.count * rowBytes)
        json.raw(opening)
        json.array(rows, write)
        json.raw("}")
        return json.response()
    }

    /// A page: `{"<key>": [rows...], "next": cursor or null}` as a response.
    static func page<Row>(_ opening: StaticString, _ rows: [Row], rowBytes: Int, next: String?,
                          _ write: (inout JSONWriter, Row) -> Void) -> Response {
        var json = JSONWriter(capacity: 64 + rows.count * rowBytes)
        json.raw(opening)
        json.array(rows, write)
        json.raw(",\"next\":")
        json.string(next)
        json.raw("}")
        return json.response()
    }

    /// The response: 200, `application/json; charset=utf-8` (RFC 8259 section 11), as
    /// Hummingbird's JSON encoder answers.
    func response() -> Response { Self.response(buffer) }

    static func response(_ body: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
