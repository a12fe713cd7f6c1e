/// ASCII hex digits, computed rather than looked up in a table: callers write them per
/// byte (JSON escapes, Bluetooth addresses, payloads as hex).
@usableFromInline
enum ASCIIHex {
    /// The digit of a nibble (0...15): `0-9`, then `a-f`, or `A-F` when `uppercase`.
    @inlinable
    static func digit(_ nibble: UInt8, uppercase: Bool = false) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : (uppercase ? UInt8(ascii: "A") : UInt8(ascii: "a")) + nibble - 10
    }
}
