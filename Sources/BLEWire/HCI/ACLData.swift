/// Packet_Boundary_Flag of an HCI ACL data packet (Vol 4, Part E, §5.4.2).
public enum ACLPacketBoundary: UInt8, Sendable {
    /// First non-automatically-flushable packet of an L2CAP PDU (host to controller only).
    case firstNonFlushable = 0b00
    /// Continuing fragment of a higher-layer message.
    case continuing = 0b01
    /// First automatically-flushable packet: the start of an L2CAP PDU on LE.
    case firstFlushable = 0b10
    /// A complete automatically-flushable L2CAP PDU (deprecated for LE, rejected).
    case complete = 0b11

    /// Whether this fragment starts a new L2CAP PDU.
    @inlinable public var startsPDU: Bool { self != .continuing }
}

/// The header of an HCI ACL data packet (Core Specification v5.4, Vol 4, Part E, §5.4.2).
///
/// ```
///  0               12  14  16                32
/// +-----------------+---+---+-----------------+----------------
/// | Handle (12 bit) |PB |BC | Data_Total_Length| Data ...
/// +-----------------+---+---+-----------------+----------------
/// ```
/// The header is parsed in place; `payload` is a range into the packet, not a copy.
public struct ACLDataHeader: Equatable, Sendable {
    /// Size of the header in bytes.
    public static let size = 4

    public var connectionHandle: ConnectionHandle
    public var boundary: ACLPacketBoundary
    /// Broadcast_Flag: 0 for point-to-point, the only value LE uses.
    public var broadcast: UInt8
    /// Where the data lies within the packet passed to `init(parsing:)`.
    public var payload: Range<Int>

    public init(connectionHandle: ConnectionHandle, boundary: ACLPacketBoundary, broadcast: UInt8 = 0, payload: Range<Int>) {
        self.connectionHandle = connectionHandle
        self.boundary = boundary
        self.broadcast = broadcast
        self.payload = payload
    }

    /// Parses one ACL packet (without its H4 indicator). The declared length must match
    /// the bytes present exactly: the H4 framer already cut the packet at that length.
    @inlinable
    public init(parsing packet: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(packet, layer: .acl, base: base)
        let handleAndFlags = try cursor.readUInt16("ACL handle")
        let length = Int(try cursor.readUInt16("ACL data length"))
        guard length == cursor.remaining else {
            throw WireError(.acl, .lengthMismatch(field: "ACL data length", declared: length, actual: cursor.remaining), at: base &+ 2)
        }
        // The top four bits are the PB and BC flags, not part of the handle (§5.4.2).
        self.connectionHandle = ConnectionHandle(rawValue: handleAndFlags & 0x0FFF)
        self.boundary = ACLPacketBoundary(rawValue: UInt8(truncatingIfNeeded: (handleAndFlags >> 12) & 0b11))!
        self.broadcast = UInt8(truncatingIfNeeded: handleAndFlags >> 14)
        self.payload = Self.size..<(Self.size &+ length)
    }

    /// Appends only the 4-octet header of an ACL packet carrying `dataLength` octets, for
    /// callers that write the data themselves.
    public static func encodeHeader(handle: ConnectionHandle, boundary: ACLPacketBoundary, dataLength: Int, into writer: inout ByteWriter) {
        writer.write(handle.rawValue & 0x0FFF | UInt16(boundary.rawValue) << 12)
        writer.write(UInt16(truncatingIfNeeded: dataLength))
    }

    /// Appends an ACL packet (no H4 indicator) carrying `data`.
    public static func encode(handle: ConnectionHandle, boundary: ACLPacketBoundary, data: some Collection<UInt8>, into writer: inout ByteWriter) {
        writer.write(handle.rawValue & 0x0FFF | UInt16(boundary.rawValue) << 12)
        writer.write(UInt16(data.count))
        writer.write(contentsOf: data)
    }
}
