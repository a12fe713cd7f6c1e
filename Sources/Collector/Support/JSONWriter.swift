import Hummingbird
import NIOCore

/// A JSON text (RFC 8259) written straight into the bytes of a response body: the reader
/// API's pages of up to 10,000 rows, where Foundation's `JSONEncoder` (a `Codable` tree of
/// boxed values, dynamic casts per value) took 81 K allocations and most of 120 ms for one
/// 10,000-record page (CollectorBenchmarks, `GET /v1/metrics`).
///
/// Each row is written through a ``Row`` cursor into one run of the buffer reserved for it
/// (its size bounded beforehand from its strings' lengths), so a row costs one capacity check,
/// not one per key and value. Keys are written as literals (`row.raw(",\"unit\":")`).
struct JSONWriter {
    private(set) var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Bytes already valid JSON: punctuation and `"key":` literals.
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { _ = buffer.writeBytes(UnsafeRawBufferPointer($0)) }
    }

    mutating func string(_ text: String?) {
        row(bound: Row.bound(text)) { $0.string(text) }
    }

    /// Writes through `write` at most `bound` bytes (see ``Row/bound(_:)``) in one run.
    mutating func row(bound: Int, _ write: (inout Row) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { bytes in
            var row = Row(bytes: bytes)
            write(&row)
            precondition(row.offset <= bound, "a JSON row outgrew its bound")
            return row.offset
        }
    }

    /// Elements separated by commas, each written as a ``row(bound:_:)``.
    mutating func array<Element>(_ elements: some Sequence<Element>, bound: (Element) -> Int,
                                 _ write: (inout Row, Element) -> Void) {
        raw("[")
        var first = true
        for element in elements {
            if !first { raw(",") }
            first = false
            row(bound: bound(element)) { write(&$0, element) }
        }
        raw("]")
    }

    /// A cursor over bytes reserved for one row.
    struct Row {
        let bytes: UnsafeMutableRawBufferPointer
        var offset = 0

        /// The bytes a row of `strings` (each escaped, at most 6 bytes a byte: `\u00XX`) and
        /// up to 16 other keys and values (numbers of 32 bytes at most, times of
        /// ``RFC3339/maximumBytes``, key literals up to 24) can take.
        static func bound(_ strings: String?...) -> Int {
            var total = 16 * 64
            for text in strings { total += 2 + 6 * (text?.utf8.count ?? 4) }
            return total
        }

        mutating func raw(_ text: StaticString) {
            text.withUTF8Buffer { copy(UnsafeRawBufferPointer($0)) }
        }

        private mutating func copy(_ source: UnsafeRawBufferPointer) {
            guard let base = source.baseAddress, source.count > 0 else { return }
            (bytes.baseAddress! + offset).copyMemory(from: base, byteCount: source.count)
            offset += source.count
        }

        private mutating func put(_ byte: UInt8) {
            bytes[offset] = byte
            offset += 1
        }

        /// A string, escaped as RFC 8259 section 7 requires: `"` and `\`, and every control
        /// character below U+0020 (the short forms where there is one, `\u00XX` otherwise).
        mutating func string(_ text: String) {
            put(UInt8(ascii: "\""))
            var text = text
            text.withUTF8 { source in
                for byte in source {
                    switch byte {
                    case 0x22: raw("\\\"")
                    case 0x5C: raw("\\\\")
                    case 0x0A: raw("\\n")
                    case 0x0D: raw("\\r")
                    case 0x09: raw("\\t")
                    case 0x08: raw("\\b")
                    case 0x0C: raw("\\f")
                    case ..<0x20:
                        raw("\\u00")
                        put(Self.hexDigits[Int(byte >> 4)])
                        put(Self.hexDigits[Int(byte & 0xF)])
                    default:
                        put(byte)
                    }
                }
            }
            put(UInt8(ascii: "\""))
        }

        mutating func string(_ text: String?) {
            if let text { string(text) } else { raw("null") }
        }

        /// A number in Swift's shortest round-trip form (`1.1`, `60.0`, `1e-05`: all JSON
        /// numbers, 24 bytes at most); JSON has no infinity or NaN, so those are null.
        mutating func number(_ value: Double) {
            guard value.isFinite else { return raw("null") }
            var text = value.description  // 15 bytes or fewer mostly: a small string, no allocation
            text.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
        }

        mutating func number(_ value: Double?) {
            if let value { number(value) } else { raw("null") }
        }

        mutating func number(_ value: Int64) {
            var text = String(value)
            text.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
        }

        /// A time as an RFC 3339 string (``RFC3339/format(micros:)``), written in place.
        mutating func time(micros: Int64) {
            put(UInt8(ascii: "\""))
            offset = RFC3339.write(micros: micros, into: bytes, at: offset)
            put(UInt8(ascii: "\""))
        }

        mutating func time(micros: Int64?) {
            if let micros { time(micros: micros) } else { raw("null") }
        }

        private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    }

    /// `{"<key>": [rows...]}` as a response; `opening` is `{"<key>":`, `bound` a row's
    /// ``Row/bound(_:)``.
    static func list<Element>(_ opening: StaticString, _ rows: [Element], bound: (Element) -> Int,
                              _ write: (inout Row, Element) -> Void) -> Response {
        var json = JSONWriter(capacity: 64 + rows.count * 200)
        json.raw(opening)
        json.array(rows, bound: bound, write)
        json.raw("}")
        return json.response()
    }

    /// A page: `{"<key>": [rows...], "next": cursor or null}` as a response.
    static func page<Element>(_ opening: StaticString, _ rows: [Element], next: String?, bound: (Element) -> Int,
                              _ write: (inout Row, Element) -> Void) -> Response {
        var json = JSONWriter(capacity: 64 + rows.count * 200)
        json.raw(opening)
        json.array(rows, bound: bound, write)
        json.raw(",\"next\":")
        json.string(next)
        json.raw("}")
        return json.response()
    }

    /// The response: 200, `application/json; charset=utf-8` (RFC 8259 section 11), as
    /// Hummingbird's JSON encoder answers.
    func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }
}
