/// The header of an L2CAP basic information frame (B-frame), the only frame format the
/// LE fixed channels use (Core Specification v5.4, Vol 3, Part A, §3.1).
///
/// ```
///  0        16        32
/// +---------+---------+---------------------------+
/// | Length  | Channel | Information payload       |
/// |  (LE)   | ID (LE) | (Length bytes)            |
/// +---------+---------+---------------------------+
/// ```
/// `Length` counts the payload only, not the 4-byte header. A basic frame can span
/// several ACL packets; `L2CAPReassembler` joins them, and this type parses one whole
/// PDU in place: `payload` is a range into the bytes it was given, not a copy.
public struct L2CAPBasicHeader: Equatable, Sendable {
    /// Size of the header in bytes.
    public static let size = 4

    /// The declared payload length.
    public var length: UInt16
    public var channelID: L2CAPChannelID
    /// Where the payload lies within the PDU passed to `init(parsing:base:)`.
    public var payload: Range<Int>

    public init(length: UInt16, channelID: L2CAPChannelID, payload: Range<Int>) {
        self.length = length
        self.channelID = channelID
        self.payload = payload
    }

    /// Parses one complete L2CAP PDU. The declared length must match the bytes present
    /// exactly: a shorter PDU was cut off, a longer one mixes two PDUs.
    ///
    /// - Parameter base: absolute offset of `pdu[0]` in the outermost buffer, for errors.
    @inlinable
    public init(parsing pdu: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(pdu, layer: .l2cap, base: base)
        let length = try cursor.readUInt16("L2CAP length")
        let channel = try cursor.readUInt16("L2CAP channel ID")
        guard Int(length) == cursor.remaining else {
            throw WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: Int(length), actual: cursor.remaining), at: base)
        }
        self.length = length
        self.channelID = L2CAPChannelID(channel)
        self.payload = Self.size..<(Self.size &+ Int(length))
    }

    /// Appends a basic frame (header and payload) carrying `payload` on `channel`.
    public static func encode(channel: L2CAPChannelID, payload: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(UInt16(truncatingIfNeeded: payload.count))
        writer.write(channel.rawValue)
        writer.write(contentsOf: payload)
    }

    /// Appends only the header, for callers that write the payload themselves (for
    /// example an ATT PDU encoded straight after it).
    public static func encodeHeader(channel: L2CAPChannelID, payloadLength: Int, into writer: inout ByteWriter) {
        writer.write(UInt16(truncatingIfNeeded: payloadLength))
        writer.write(channel.rawValue)
    }
}
