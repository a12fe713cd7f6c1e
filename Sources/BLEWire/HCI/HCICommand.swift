/// An HCI command packet (Core Specification v5.4, Vol 4, Part E, §5.4.1), the commands a
/// BLE host sends to bring up a controller, scan and connect.
///
/// ```
/// +------------------+------------------------+---------------------------+
/// | Opcode (2)       | Parameter_Total_Length | Parameters                |
/// | OGF(6) | OCF(10) |          (1)           | (Parameter_Total_Length)  |
/// +------------------+------------------------+---------------------------+
/// ```
///
/// Both directions: `encode(into:)` writes what a host sends; `init(parsing:base:)` reads
/// it back, so a virtual controller and a capture dissector see the same values. Parsing
/// is strict about lengths: each known command must carry exactly its parameters, and
/// reserved values of enumerated parameters are errors (a controller would answer
/// "Invalid HCI Command Parameters"). Commands not listed here parse as `.other`.
public enum HCICommand: Equatable, Sendable {
    /// HCI_Reset (§7.3.2).
    case reset
    /// HCI_Set_Event_Mask (§7.3.1): bit n enables event code n + 1.
    case setEventMask(UInt64)
    /// HCI_LE_Set_Event_Mask (§7.8.1): bit n enables LE subevent code n + 1.
    case leSetEventMask(UInt64)
    /// HCI_Read_Local_Version_Information (§7.4.1).
    case readLocalVersionInformation
    /// HCI_Read_Local_Supported_Features (§7.4.3).
    case readLocalSupportedFeatures
    /// HCI_Read_BD_ADDR (§7.4.6).
    case readBDAddress
    /// HCI_Read_Buffer_Size (§7.4.5).
    case readBufferSize
    /// HCI_LE_Read_Buffer_Size [v1] (§7.8.2).
    case leReadBufferSize
    /// HCI_LE_Read_Buffer_Size [v2] (§7.8.2).
    case leReadBufferSizeV2
    /// HCI_LE_Read_Local_Supported_Features (§7.8.3).
    case leReadLocalSupportedFeatures
    /// HCI_LE_Set_Random_Address (§7.8.4).
    case leSetRandomAddress(BDAddress)
    /// HCI_LE_Set_Scan_Parameters (§7.8.10).
    case leSetScanParameters(LEScanParameters)
    /// HCI_LE_Set_Scan_Enable (§7.8.11).
    case leSetScanEnable(enable: Bool, filterDuplicates: Bool)
    /// HCI_LE_Set_Extended_Scan_Parameters (§7.8.64).
    case leSetExtendedScanParameters(LEExtendedScanParameters)
    /// HCI_LE_Set_Extended_Scan_Enable (§7.8.65).
    case leSetExtendedScanEnable(LEExtendedScanEnable)
    /// HCI_LE_Create_Connection (§7.8.12).
    case leCreateConnection(LECreateConnection)
    /// HCI_LE_Extended_Create_Connection [v1] (§7.8.66).
    case leExtendedCreateConnection(LEExtendedCreateConnection)
    /// HCI_LE_Create_Connection_Cancel (§7.8.13).
    case leCreateConnectionCancel
    /// HCI_Disconnect (§7.1.6). `reason` is an HCI error code (Vol 1, Part F), usually
    /// 0x13 "Remote User Terminated Connection".
    case disconnect(handle: ConnectionHandle, reason: UInt8)
    /// HCI_LE_Set_Data_Length (§7.8.33): `txOctets` 0x001B...0x00FB, `txTime` in µs
    /// (0x0148...0x4290).
    case leSetDataLength(handle: ConnectionHandle, txOctets: UInt16, txTime: UInt16)
    /// HCI_LE_Connection_Update (§7.8.18).
    case leConnectionUpdate(handle: ConnectionHandle, LEConnectionParameters)
    /// HCI_LE_Remote_Connection_Parameter_Request_Reply (§7.8.31).
    case leRemoteConnectionParameterRequestReply(handle: ConnectionHandle, LEConnectionParameters)
    /// HCI_Write_LE_Host_Support (§7.3.79). The second parameter (formerly
    /// Simultaneous_LE_Host) is unused: written as 0x00, ignored when parsing.
    case writeLEHostSupport(Bool)
    /// Any other command: its opcode and where its parameters lie within the parsed packet.
    case other(opcode: HCIOpcode, parameters: Range<Int>)

    /// Size of the command header: opcode and parameter length.
    public static let headerSize = 3

    public var opcode: HCIOpcode {
        switch self {
        case .reset: .reset
        case .setEventMask: .setEventMask
        case .leSetEventMask: .leSetEventMask
        case .readLocalVersionInformation: .readLocalVersionInformation
        case .readLocalSupportedFeatures: .readLocalSupportedFeatures
        case .readBDAddress: .readBDAddress
        case .readBufferSize: .readBufferSize
        case .leReadBufferSize: .leReadBufferSize
        case .leReadBufferSizeV2: .leReadBufferSizeV2
        case .leReadLocalSupportedFeatures: .leReadLocalSupportedFeatures
        case .leSetRandomAddress: .leSetRandomAddress
        case .leSetScanParameters: .leSetScanParameters
        case .leSetScanEnable: .leSetScanEnable
        case .leSetExtendedScanParameters: .leSetExtendedScanParameters
        case .leSetExtendedScanEnable: .leSetExtendedScanEnable
        case .leCreateConnection: .leCreateConnection
        case .leExtendedCreateConnection: .leExtendedCreateConnection
        case .leCreateConnectionCancel: .leCreateConnectionCancel
        case .disconnect: .disconnect
        case .leSetDataLength: .leSetDataLength
        case .leConnectionUpdate: .leConnectionUpdate
        case .leRemoteConnectionParameterRequestReply: .leRemoteConnectionParameterRequestReply
        case .writeLEHostSupport: .writeLEHostSupport
        case .other(let opcode, _): opcode
        }
    }

    // MARK: Parsing

    /// Parses a command packet without its H4 indicator. `base` is the packet's offset in
    /// the outer buffer or stream, for error offsets; ranges in `.other` are relative to
    /// `packet`.
    public init(parsing packet: RawSpan, base: Int = 0) throws(WireError) {
        var header = ByteCursor(packet, layer: .hci, base: base)
        let opcode = HCIOpcode(rawValue: try header.readUInt16("command opcode"))
        let length = Int(try header.readUInt8("Parameter_Total_Length"))
        guard length == header.remaining else {
            throw WireError(.hci, .lengthMismatch(field: "Parameter_Total_Length", declared: length, actual: header.remaining),
                            at: base &+ 2)
        }
        var cursor = header
        switch opcode {
        case .reset: self = .reset
        case .setEventMask: self = .setEventMask(try cursor.readUInt64("Event_Mask"))
        case .leSetEventMask: self = .leSetEventMask(try cursor.readUInt64("LE_Event_Mask"))
        case .readLocalVersionInformation: self = .readLocalVersionInformation
        case .readLocalSupportedFeatures: self = .readLocalSupportedFeatures
        case .readBDAddress: self = .readBDAddress
        case .readBufferSize: self = .readBufferSize
        case .leReadBufferSize: self = .leReadBufferSize
        case .leReadBufferSizeV2: self = .leReadBufferSizeV2
        case .leReadLocalSupportedFeatures: self = .leReadLocalSupportedFeatures
        case .leSetRandomAddress: self = .leSetRandomAddress(try cursor.readAddress("Random_Address"))
        case .leSetScanParameters: self = .leSetScanParameters(try LEScanParameters(parsing: &cursor))
        case .leSetScanEnable:
            let enable = try cursor.readHCIBool("LE_Scan_Enable")
            self = .leSetScanEnable(enable: enable, filterDuplicates: try cursor.readHCIBool("Filter_Duplicates"))
        case .leSetExtendedScanParameters:
            self = .leSetExtendedScanParameters(try LEExtendedScanParameters(parsing: &cursor))
        case .leSetExtendedScanEnable: self = .leSetExtendedScanEnable(try LEExtendedScanEnable(parsing: &cursor))
        case .leCreateConnection: self = .leCreateConnection(try LECreateConnection(parsing: &cursor))
        case .leExtendedCreateConnection:
            self = .leExtendedCreateConnection(try LEExtendedCreateConnection(parsing: &cursor))
        case .leCreateConnectionCancel: self = .leCreateConnectionCancel
        case .disconnect:
            let handle = try cursor.readConnectionHandle()
            self = .disconnect(handle: handle, reason: try cursor.readUInt8("Reason"))
        case .leSetDataLength:
            let handle = try cursor.readConnectionHandle()
            let octets = try cursor.readUInt16("TX_Octets")
            self = .leSetDataLength(handle: handle, txOctets: octets, txTime: try cursor.readUInt16("TX_Time"))
        case .leConnectionUpdate:
            let handle = try cursor.readConnectionHandle()
            self = .leConnectionUpdate(handle: handle, try LEConnectionParameters(parsing: &cursor))
        case .leRemoteConnectionParameterRequestReply:
            let handle = try cursor.readConnectionHandle()
            self = .leRemoteConnectionParameterRequestReply(handle: handle, try LEConnectionParameters(parsing: &cursor))
        case .writeLEHostSupport:
            let supported = try cursor.readHCIBool("LE_Supported_Host")
            try cursor.skip(1, "Unused")
            self = .writeLEHostSupport(supported)
        default:
            self = .other(opcode: opcode, parameters: Self.headerSize..<(Self.headerSize &+ length))
            return
        }
        try cursor.expectEnd()
    }

    // MARK: Encoding

    /// Appends the command packet (without H4 indicator). `.other` carries no parameter
    /// bytes, only their position in a parsed packet, so it is written with none: forward
    /// the original bytes to re-send an unknown command.
    public func encode(into writer: inout ByteWriter) {
        writer.write(opcode.rawValue)
        writer.writeWithLength8 { writer in encodeParameters(into: &writer) }
    }

    /// Appends the command packet preceded by its H4 indicator (0x01), as sent over a UART.
    public func encodeH4(into writer: inout ByteWriter) {
        writer.write(HCIPacketType.command.rawValue)
        encode(into: &writer)
    }

    /// The packet as a new array (without H4 indicator); for tests and one-off sends.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 32)
        encode(into: &writer)
        return writer.bytes
    }

    private func encodeParameters(into writer: inout ByteWriter) {
        switch self {
        case .reset, .readLocalVersionInformation, .readLocalSupportedFeatures, .readBDAddress, .readBufferSize,
             .leReadBufferSize, .leReadBufferSizeV2, .leReadLocalSupportedFeatures, .leCreateConnectionCancel, .other:
            break
        case .setEventMask(let mask), .leSetEventMask(let mask):
            writer.write(mask)
        case .leSetRandomAddress(let address):
            writer.write(address)
        case .leSetScanParameters(let parameters):
            parameters.encode(into: &writer)
        case .leSetScanEnable(let enable, let filterDuplicates):
            writer.write(enable)
            writer.write(filterDuplicates)
        case .leSetExtendedScanParameters(let parameters):
            parameters.encode(into: &writer)
        case .leSetExtendedScanEnable(let parameters):
            parameters.encode(into: &writer)
        case .leCreateConnection(let parameters):
            parameters.encode(into: &writer)
        case .leExtendedCreateConnection(let parameters):
            parameters.encode(into: &writer)
        case .disconnect(let handle, let reason):
            writer.write(handle)
            writer.write(reason)
        case .leSetDataLength(let handle, let txOctets, let txTime):
            writer.write(handle)
            writer.write(txOctets)
            writer.write(txTime)
        case .leConnectionUpdate(let handle, let parameters),
             .leRemoteConnectionParameterRequestReply(let handle, let parameters):
            writer.write(handle)
            parameters.encode(into: &writer)
        case .writeLEHostSupport(let supported):
            writer.write(supported)
            writer.write(0 as UInt8)
        }
    }
}
