/// Writes btsnoop captures (datalinks 1001, 1002, 2001) into a byte array: the header on
/// creation, then one record per call. The caller owns the I/O (append `bytes` to a file,
/// or `takeBytes()` after each batch to stream), which keeps BLEWire free of Foundation.
///
/// The same call writes any datalink: give the HCI packet without an indicator, its
/// type and direction, and the writer adds the H4 indicator (1002), the command/event
/// flag (1001) or the monitor opcode (2001). Record layout: see `BTSnoopRecord`.
///
/// ```swift
/// var writer = BTSnoopWriter(datalink: .hciUART)
/// try writer.append(packet: event, type: .event, direction: .received, timestampMicros: now)
/// ```
public struct BTSnoopWriter: Sendable {
    public let datalink: BTSnoopDatalink
    public private(set) var output: ByteWriter

    /// Starts a capture; the 16-octet file header is written unless `includeHeader` is
    /// false (to continue a file that already has one).
    public init(datalink: BTSnoopDatalink, includeHeader: Bool = true, capacity: Int = 4096) {
        self.datalink = datalink
        output = ByteWriter(capacity: capacity)
        if includeHeader { BTSnoopHeader(datalink: datalink).encode(into: &output) }
    }

    /// Everything written so far (or since the last `takeBytes()`).
    public var bytes: [UInt8] { output.bytes }

    /// Hands over what was written and starts an empty buffer, for streaming to a file.
    public mutating func takeBytes() -> [UInt8] {
        let taken = output.bytes
        output.bytes.removeAll(keepingCapacity: true)
        return taken
    }

    /// The 16-octet header for `datalink`.
    public static func header(datalink: BTSnoopDatalink) -> [UInt8] {
        var writer = ByteWriter(capacity: BTSnoopHeader.size)
        BTSnoopHeader(datalink: datalink).encode(into: &writer)
        return writer.bytes
    }

    /// Appends one HCI packet record.
    ///
    /// - Parameters:
    ///   - packet: the HCI packet without an H4 indicator.
    ///   - originalLength: the packet's full length (without indicator) when `packet` was
    ///     cut to a snapshot length; defaults to `packet.count`.
    ///   - adapterIndex: controller index, written for datalink 2001 only.
    /// - Throws: `invalidValue` for a combination the datalink cannot represent: SCO or ISO
    ///   in 1001 (its flags only know ACL, command and event), a command received or an
    ///   event sent in 1001 and 2001.
    public mutating func append(
        packet: some Collection<UInt8>, type: HCIPacketType, direction: PacketDirection,
        timestampMicros: Int64, originalLength: Int? = nil, adapterIndex: UInt16 = 0, cumulativeDrops: UInt32 = 0
    ) throws(WireError) {
        try appendPacket(packet, type, direction, timestampMicros, originalLength, adapterIndex, cumulativeDrops)
    }

    /// ``append(packet:type:direction:timestampMicros:originalLength:adapterIndex:cumulativeDrops:)``
    /// for an array, the common case: specialised here, where a caller in another module
    /// would run the generic version byte by byte (a simulator writes one record per notification).
    public mutating func append(
        packet: [UInt8], type: HCIPacketType, direction: PacketDirection,
        timestampMicros: Int64, originalLength: Int? = nil, adapterIndex: UInt16 = 0, cumulativeDrops: UInt32 = 0
    ) throws(WireError) {
        try appendPacket(packet, type, direction, timestampMicros, originalLength, adapterIndex, cumulativeDrops)
    }

    private mutating func appendPacket(
        _ packet: some Collection<UInt8>, _ type: HCIPacketType, _ direction: PacketDirection,
        _ timestampMicros: Int64, _ originalLength: Int?, _ adapterIndex: UInt16, _ cumulativeDrops: UInt32
    ) throws(WireError) {
        let flags: UInt32
        var indicator: UInt8?
        switch datalink {
        case .hciUnencapsulated:
            switch (type, direction) {
            case (.aclData, _): flags = UInt32(direction.rawValue)
            case (.command, .sent), (.event, .received): flags = UInt32(direction.rawValue) | 2
            default:
                throw WireError(.btsnoop, .invalidValue(field: "packet type and direction for datalink 1001", value: Int(type.rawValue)), at: output.count)
            }
        case .hciUART:
            // Bit 1 (command or event) as Android and Wireshark set it; readers use the indicator.
            flags = UInt32(direction.rawValue) | (type == .command || type == .event ? 2 : 0)
            indicator = type.rawValue
        case .linuxMonitor:
            guard let opcode = BTSnoopMonitorOpcode(packetType: type, direction: direction) else {
                throw WireError(.btsnoop, .invalidValue(field: "packet type and direction for datalink 2001", value: Int(type.rawValue)), at: output.count)
            }
            flags = UInt32(adapterIndex) << 16 | UInt32(opcode.rawValue)
        }
        let extra = indicator == nil ? 0 : 1
        try appendRecord(payloadCount: packet.count + extra, originalLength: (originalLength ?? packet.count) + extra,
                         flags: flags, cumulativeDrops: cumulativeDrops, timestampMicros: timestampMicros)
        if let indicator { output.write(indicator) }
        output.write(contentsOf: packet)
    }

    /// Appends a Linux monitor record of any opcode with a raw payload (datalink 2001
    /// only), e.g. a system note or index info.
    public mutating func appendMonitorRecord(
        opcode: BTSnoopMonitorOpcode, adapterIndex: UInt16 = 0, timestampMicros: Int64, payload: some Collection<UInt8>
    ) throws(WireError) {
        guard datalink == .linuxMonitor else {
            throw WireError(.btsnoop, .invalidValue(field: "monitor record outside datalink 2001", value: Int(datalink.rawValue)), at: output.count)
        }
        try appendRecord(payloadCount: payload.count, originalLength: payload.count,
                         flags: UInt32(adapterIndex) << 16 | UInt32(opcode.rawValue), cumulativeDrops: 0,
                         timestampMicros: timestampMicros)
        output.write(contentsOf: payload)
    }

    /// Appends the New Index record btmon writes before a controller's first packet
    /// (datalink 2001): type (0 primary), bus (0 virtual … see BlueZ `BTSNOOP_BUS_*`),
    /// BD_ADDR, and a name of at most 8 octets, NUL-padded (BlueZ btsnoop.h, doc/btsnoop-protocol.rst).
    public mutating func appendNewIndex(
        adapterIndex: UInt16 = 0, controllerType: UInt8 = 0, bus: UInt8 = 0, address: BDAddress, name: String,
        timestampMicros: Int64
    ) throws(WireError) {
        var payload = ByteWriter(capacity: 16)
        payload.write(controllerType)
        payload.write(bus)
        payload.write(address)
        let nameBytes = Array(name.utf8.prefix(8))
        payload.write(contentsOf: nameBytes + [UInt8](repeating: 0, count: 8 - nameBytes.count))
        try appendMonitorRecord(opcode: .newIndex, adapterIndex: adapterIndex, timestampMicros: timestampMicros, payload: payload.bytes)
    }

    private mutating func appendRecord(payloadCount: Int, originalLength: Int, flags: UInt32, cumulativeDrops: UInt32, timestampMicros: Int64) throws(WireError) {
        guard payloadCount <= Int(UInt32.max), originalLength >= 0, originalLength <= Int(UInt32.max) else {
            throw WireError(.btsnoop, .oversize(field: "btsnoop packet", limit: Int(UInt32.max), actual: max(payloadCount, originalLength)), at: output.count)
        }
        // The 24-octet record header, big-endian fields laid out in memory and appended in one
        // copy (a simulator writes one per notification).
        let header = (UInt32(originalLength).bigEndian, UInt32(payloadCount).bigEndian, flags.bigEndian,
                      cumulativeDrops.bigEndian,
                      UInt64(bitPattern: timestampMicros &+ BTSnoopHeader.unixEpochOffsetMicros).bigEndian)
        withUnsafeBytes(of: header) { output.bytes.append(contentsOf: $0) }
    }
}
