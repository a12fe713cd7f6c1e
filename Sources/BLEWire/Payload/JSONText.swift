/// Small helpers for writing JSON text as UTF-8 bytes without Foundation.
public enum JSONText {
    /// `"text"` with the escapes RFC 8259 §7 requires.
    public static func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        appendQuoted(text.utf8, to: &out)
        return out
    }

    /// Inlinable, so that a caller's `String.UTF8View` or array is iterated directly rather
    /// than through a generic sequence (ground truth writes several strings per event).
    @inlinable
    public static func appendQuoted(_ utf8: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(ASCIIHex.digit(byte >> 4))
                out.append(ASCIIHex.digit(byte & 0xF))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A number as JSON: integers without a fraction (`75`, not `75.0`), others in the
    /// shortest form that reads back to the same double (`0.78125`, `36.6`); non-finite
    /// values (which JSON cannot carry) as `null`.
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: Array("null".utf8))
            return
        }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            appendInteger(Int64(value), to: &out)
            return
        }
        out.append(contentsOf: value.description.utf8)
    }

    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buffer in
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }
}
