// The header of every HCI packet type, as far as an H4 framer needs it: how many bytes
// precede the payload and where the payload length sits in them.

extension HCIPacketType {
    /// Bytes between the H4 indicator and the payload (Core Specification v5.4, Vol 4, Part E, §5.4).
    ///
    /// ```
    /// command  | Opcode (2) | Parameter_Total_Length (1) |             §5.4.1
    /// ACL      | Handle+flags (2) | Data_Total_Length (2) |             §5.4.2
    /// SCO      | Handle+flags (2) | Data_Total_Length (1) |             §5.4.3
    /// event    | Event_Code (1) | Parameter_Total_Length (1) |        §5.4.4
    /// ISO      | Handle+flags (2) | ISO_Data_Load_Length (14 bits) + RFU (2) |  §5.4.5
    /// ```
    @inlinable
    public var headerSize: Int {
        switch self {
        case .command: 3
        case .aclData: 4
        case .synchronousData: 3
        case .event: 2
        case .isoData: 4
        }
    }

    /// The largest packet of this type, header included: the length fields bound it, so a
    /// framer's reassembly buffer never grows past this.
    @inlinable
    public var maximumPacketSize: Int {
        switch self {
        case .command: 3 + 255
        case .aclData: 4 + 65535
        case .synchronousData: 3 + 255
        case .event: 2 + 255
        case .isoData: 4 + 16383
        }
    }

    /// The payload length declared by a header of `headerSize` bytes starting at `offset`.
    /// The caller has checked that the whole header is present.
    @inlinable
    func payloadLength(inHeader bytes: RawSpan, at offset: Int) -> Int {
        switch self {
        case .command, .synchronousData:
            return Int(bytes.unsafeLoad(fromUncheckedByteOffset: offset &+ 2, as: UInt8.self))
        case .event:
            return Int(bytes.unsafeLoad(fromUncheckedByteOffset: offset &+ 1, as: UInt8.self))
        case .aclData:
            return Int(UInt16(littleEndian: bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: offset &+ 2, as: UInt16.self)))
        case .isoData:
            // The top two bits of the length field are reserved for future use (§5.4.5).
            return Int(UInt16(littleEndian: bytes.unsafeLoadUnaligned(fromUncheckedByteOffset: offset &+ 2, as: UInt16.self)) & 0x3FFF)
        }
    }
}
