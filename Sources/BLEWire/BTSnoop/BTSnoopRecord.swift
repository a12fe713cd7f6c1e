/// One btsnoop packet record, framed: its header fields normalised across datalinks and
/// the offsets of its HCI packet within the file (no bytes copied).
///
/// ```
///  0                 4                 8                 12                16
/// +-----------------+-----------------+-----------------+-----------------+
/// | original length | included length | packet flags    | cumulative drops|
/// | u32 BE          | u32 BE          | u32 BE          | u32 BE          |
/// +-----------------+-----------------+-----------------+-----------------+
/// | timestamp: i64 BE, microseconds since 0000-01-01 00:00                |
/// +-----------------------------------------------------------------------+
/// | packet data: included length octets                                   |
/// +-----------------------------------------------------------------------+
/// ```
/// (Frontline "BT Snoop File Format"; Wireshark wiretap/btsnoop.c; BlueZ
/// src/shared/btsnoop.c.) `packet` never includes the H4 indicator, whatever the datalink,
/// so a datalink 1002 record and a 1001 or 2001 record of the same packet give the same
/// bytes.
public struct BTSnoopRecord: Hashable, Sendable {
    /// Size of the record header in octets.
    public static let headerSize = 24

    /// Offset of the record header within the file.
    public var offset: Int
    /// The packet's length on the wire, as the capturing side saw it.
    public var originalLength: Int
    /// How many packet octets the file holds (includes the H4 indicator for 1002).
    public var includedLength: Int
    /// The raw flags word; see `BTSnoopDatalink` for its meaning per datalink.
    public var flags: UInt32
    public var cumulativeDrops: UInt32
    /// Microseconds since 1970-01-01 00:00 UTC (may be negative for bogus clocks).
    public var timestampMicros: Int64
    public var direction: PacketDirection
    /// The HCI packet kind, nil for monitor records that are not HCI packets and for
    /// datalink 1002 records whose indicator is not a known H4 type (or that are empty).
    public var packetType: HCIPacketType?
    /// Controller index (datalink 2001 only; 0 otherwise).
    public var adapterIndex: UInt16
    /// The monitor opcode (datalink 2001 only).
    public var monitorOpcode: BTSnoopMonitorOpcode?
    /// The HCI packet (or, for non-packet monitor records, the payload) as offsets into
    /// the file, without any H4 indicator.
    public var packet: Range<Int>

    public init(offset: Int, originalLength: Int, includedLength: Int, flags: UInt32, cumulativeDrops: UInt32,
                timestampMicros: Int64, direction: PacketDirection, packetType: HCIPacketType?,
                adapterIndex: UInt16 = 0, monitorOpcode: BTSnoopMonitorOpcode? = nil, packet: Range<Int>) {
        self.offset = offset
        self.originalLength = originalLength
        self.includedLength = includedLength
        self.flags = flags
        self.cumulativeDrops = cumulativeDrops
        self.timestampMicros = timestampMicros
        self.direction = direction
        self.packetType = packetType
        self.adapterIndex = adapterIndex
        self.monitorOpcode = monitorOpcode
        self.packet = packet
    }

    /// Offset of the record that follows this one.
    @inlinable public var endOffset: Int { offset &+ Self.headerSize &+ includedLength }

    /// The capture kept only part of the packet (a snapshot length was in force):
    /// decoders of `packet` will meet a truncation error that is not the device's fault.
    @inlinable public var isSnapshotTruncated: Bool { includedLength < originalLength }

    /// The file claims more octets were kept than the packet had. Readers tolerate it
    /// (the bytes are there) but it points at a buggy writer.
    @inlinable public var includedExceedsOriginal: Bool { includedLength > originalLength }

    /// The record carries an HCI packet (not an index change, note or log).
    @inlinable public var isHCIPacket: Bool { packetType != nil }

    /// Seconds and microseconds since 1970, for printing (floor division, so times before
    /// 1970 still have a microsecond part in 0..<1_000_000).
    @inlinable
    public var unixTime: (seconds: Int64, microseconds: Int32) {
        let seconds = timestampMicros >= 0 ? timestampMicros / 1_000_000 : (timestampMicros &+ 1) / 1_000_000 &- 1
        return (seconds, Int32(truncatingIfNeeded: timestampMicros &- seconds &* 1_000_000))
    }
}
