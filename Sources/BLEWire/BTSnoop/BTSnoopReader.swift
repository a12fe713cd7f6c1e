/// Reads btsnoop captures (datalinks 1001, 1002, 2001) in place from the bytes of the
/// whole file: the caller memory-maps or reads the file once, and every record is framed
/// as offsets into it.
///
/// The reader itself holds only the header and a position, so it can be stored (a replay
/// transport keeps one between packets) while the caller keeps the file bytes:
///
/// ```swift
/// var reader = try BTSnoopReader(file: bytes)
/// while let record = try reader.next(in: bytes) {
///     guard let type = record.packetType else { continue }  // monitor notes, index info
///     let packet = bytes.extracting(record.packet)
///     ...
/// }
/// ```
///
/// Each record is normalised to (packet type, direction, packet without H4 indicator):
/// - 1001: flags bit 0 is the direction (1 = received); bit 1 set means a command when
///   sent and an event when received, clear means ACL data (SCO and ISO cannot be told
///   apart from ACL in this datalink).
/// - 1002: the first packet octet is the H4 indicator and is left out of `packet`;
///   flags bit 0 is the direction.
/// - 2001: flags = adapter index << 16 | opcode; the opcode gives type and direction.
///
/// A record that runs past the end of the file (a capture cut short while being
/// written) throws `truncated` at the record's offset; `offset` stays there, so every
/// record before it has been delivered and the caller may keep them.
public struct BTSnoopReader: Sendable {
    public let header: BTSnoopHeader
    /// Offset of the next record header in the file.
    public private(set) var offset: Int
    /// How many records `next(in:)` has returned.
    public private(set) var recordCount = 0

    /// Checks the file header. Throws for a file that is not btsnoop, a version other than
    /// 1, or a datalink other than 1001, 1002 and 2001 (see `BTSnoopHeader.init(parsing:)`).
    public init(file: RawSpan) throws(WireError) {
        header = try BTSnoopHeader(parsing: file)
        offset = BTSnoopHeader.size
    }

    public var datalink: BTSnoopDatalink { header.datalink }

    /// The next record, or nil at the end of the file. `file` must be the same bytes the
    /// reader was created with.
    public mutating func next(in file: RawSpan) throws(WireError) -> BTSnoopRecord? {
        let recordOffset = offset
        guard recordOffset < file.byteCount else { return nil }
        let record = try Self.frame(recordAt: recordOffset, in: file, datalink: header.datalink)
        offset = record.endOffset
        recordCount &+= 1
        return record
    }

    /// Calls `body` with every remaining record and its packet bytes (a span of `file`,
    /// indicator excluded). Throws the first framing error after delivering the records
    /// before it.
    public mutating func forEach(in file: RawSpan, _ body: (BTSnoopRecord, RawSpan) throws(WireError) -> Void) throws(WireError) {
        while let record = try next(in: file) {
            try body(record, file.extracting(record.packet))
        }
    }

    /// Frames the record whose header starts at `recordOffset`.
    @inlinable
    public static func frame(recordAt recordOffset: Int, in file: RawSpan, datalink: BTSnoopDatalink) throws(WireError) -> BTSnoopRecord {
        guard recordOffset >= 0, recordOffset <= file.byteCount else {
            throw WireError(.btsnoop, .truncated(field: "btsnoop record header", needed: BTSnoopRecord.headerSize, available: 0), at: recordOffset)
        }
        var cursor = ByteCursor(file.extracting(recordOffset..<file.byteCount), layer: .btsnoop, base: recordOffset)
        guard cursor.remaining >= BTSnoopRecord.headerSize else {
            throw WireError(.btsnoop, .truncated(field: "btsnoop record header", needed: BTSnoopRecord.headerSize, available: cursor.remaining), at: recordOffset)
        }
        let originalLength = Int(try cursor.readUInt32BE("btsnoop original length"))
        let includedLength = Int(try cursor.readUInt32BE("btsnoop included length"))
        let flags = try cursor.readUInt32BE("btsnoop flags")
        let drops = try cursor.readUInt32BE("btsnoop cumulative drops")
        let rawTimestamp = Int64(bitPattern: try cursor.readUInt64BE("btsnoop timestamp"))
        guard includedLength <= cursor.remaining else {
            throw WireError(.btsnoop, .truncated(field: "btsnoop packet", needed: includedLength, available: cursor.remaining), at: recordOffset)
        }
        let start = cursor.absoluteOffset
        var packet = start..<(start &+ includedLength)
        let direction: PacketDirection
        var packetType: HCIPacketType?
        var adapterIndex: UInt16 = 0
        var opcode: BTSnoopMonitorOpcode?

        switch datalink {
        case .hciUnencapsulated:
            direction = flags & 1 == 0 ? .sent : .received
            packetType = flags & 2 == 0 ? .aclData : (direction == .sent ? .command : .event)
        case .hciUART:
            direction = flags & 1 == 0 ? .sent : .received
            if includedLength > 0 {
                packetType = HCIPacketType(rawValue: file.byte(at: start))
                packet = (start &+ 1)..<packet.upperBound
            }
        case .linuxMonitor:
            let monitorOpcode = BTSnoopMonitorOpcode(UInt16(truncatingIfNeeded: flags))
            adapterIndex = UInt16(truncatingIfNeeded: flags >> 16)
            opcode = monitorOpcode
            if let carried = monitorOpcode.hciPacket {
                packetType = carried.type
                direction = carried.direction
            } else {
                // Index changes, notes and logs come from the monitor to the reader.
                direction = .received
            }
        }

        return BTSnoopRecord(
            offset: recordOffset, originalLength: originalLength, includedLength: includedLength,
            flags: flags, cumulativeDrops: drops,
            timestampMicros: rawTimestamp &- BTSnoopHeader.unixEpochOffsetMicros,
            direction: direction, packetType: packetType, adapterIndex: adapterIndex,
            monitorOpcode: opcode, packet: packet)
    }
}
