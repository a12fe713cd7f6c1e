/// An HCI command opcode (Core Specification v5.4, Vol 4, Part E, §5.4.1): a 6-bit Opcode
/// Group Field and a 10-bit Opcode Command Field, sent little-endian.
///
/// ```
///  15        10 9                    0
/// +------------+----------------------+
/// |  OGF (6)   |       OCF (10)       |
/// +------------+----------------------+
/// ```
/// Printed as btmon prints it: `0x08|0x000d`.
public struct HCIOpcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    @inlinable
    public init(ogf: UInt8, ocf: UInt16) {
        rawValue = UInt16(ogf & 0x3F) << 10 | ocf & 0x03FF
    }

    /// Opcode Group Field.
    @inlinable public var ogf: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 10) }
    /// Opcode Command Field.
    @inlinable public var ocf: UInt16 { rawValue & 0x03FF }

    public var description: String {
        let ocfText = String(ocf, radix: 16)
        return "0x" + (ogf < 0x10 ? "0" : "") + String(ogf, radix: 16) + "|0x"
            + String(repeating: "0", count: 4 - ocfText.count) + ocfText
    }

    // MARK: Opcode groups (§7.1, §7.3, §7.4, §7.8)

    /// Link Control commands (§7.1).
    public static let linkControlGroup: UInt8 = 0x01
    /// Controller & Baseband commands (§7.3).
    public static let controllerBasebandGroup: UInt8 = 0x03
    /// Informational parameters (§7.4).
    public static let informationalGroup: UInt8 = 0x04
    /// LE Controller commands (§7.8).
    public static let leControllerGroup: UInt8 = 0x08

    // MARK: Commands this package encodes and parses

    /// No command: Command Complete/Status events with this opcode only return credits (§7.7.14).
    public static let noOperation = HCIOpcode(rawValue: 0x0000)
    /// HCI_Disconnect (§7.1.6).
    public static let disconnect = HCIOpcode(ogf: 0x01, ocf: 0x0006)
    /// HCI_Set_Event_Mask (§7.3.1).
    public static let setEventMask = HCIOpcode(ogf: 0x03, ocf: 0x0001)
    /// HCI_Reset (§7.3.2).
    public static let reset = HCIOpcode(ogf: 0x03, ocf: 0x0003)
    /// HCI_Write_LE_Host_Support (§7.3.79).
    public static let writeLEHostSupport = HCIOpcode(ogf: 0x03, ocf: 0x006D)
    /// HCI_Read_Local_Version_Information (§7.4.1).
    public static let readLocalVersionInformation = HCIOpcode(ogf: 0x04, ocf: 0x0001)
    /// HCI_Read_Local_Supported_Commands (§7.4.2).
    public static let readLocalSupportedCommands = HCIOpcode(ogf: 0x04, ocf: 0x0002)
    /// HCI_Read_Local_Supported_Features (§7.4.3).
    public static let readLocalSupportedFeatures = HCIOpcode(ogf: 0x04, ocf: 0x0003)
    /// HCI_Read_Buffer_Size (§7.4.5).
    public static let readBufferSize = HCIOpcode(ogf: 0x04, ocf: 0x0005)
    /// HCI_Read_BD_ADDR (§7.4.6).
    public static let readBDAddress = HCIOpcode(ogf: 0x04, ocf: 0x0009)
    /// HCI_LE_Set_Event_Mask (§7.8.1).
    public static let leSetEventMask = HCIOpcode(ogf: 0x08, ocf: 0x0001)
    /// HCI_LE_Read_Buffer_Size [v1] (§7.8.2).
    public static let leReadBufferSize = HCIOpcode(ogf: 0x08, ocf: 0x0002)
    /// HCI_LE_Read_Local_Supported_Features (§7.8.3).
    public static let leReadLocalSupportedFeatures = HCIOpcode(ogf: 0x08, ocf: 0x0003)
    /// HCI_LE_Set_Random_Address (§7.8.4).
    public static let leSetRandomAddress = HCIOpcode(ogf: 0x08, ocf: 0x0005)
    /// HCI_LE_Set_Scan_Parameters (§7.8.10).
    public static let leSetScanParameters = HCIOpcode(ogf: 0x08, ocf: 0x000B)
    /// HCI_LE_Set_Scan_Enable (§7.8.11).
    public static let leSetScanEnable = HCIOpcode(ogf: 0x08, ocf: 0x000C)
    /// HCI_LE_Create_Connection (§7.8.12).
    public static let leCreateConnection = HCIOpcode(ogf: 0x08, ocf: 0x000D)
    /// HCI_LE_Create_Connection_Cancel (§7.8.13).
    public static let leCreateConnectionCancel = HCIOpcode(ogf: 0x08, ocf: 0x000E)
    /// HCI_LE_Connection_Update (§7.8.18).
    public static let leConnectionUpdate = HCIOpcode(ogf: 0x08, ocf: 0x0013)
    /// HCI_LE_Remote_Connection_Parameter_Request_Reply (§7.8.31).
    public static let leRemoteConnectionParameterRequestReply = HCIOpcode(ogf: 0x08, ocf: 0x0020)
    /// HCI_LE_Set_Data_Length (§7.8.33).
    public static let leSetDataLength = HCIOpcode(ogf: 0x08, ocf: 0x0022)
    /// HCI_LE_Set_Extended_Scan_Parameters (§7.8.64).
    public static let leSetExtendedScanParameters = HCIOpcode(ogf: 0x08, ocf: 0x0041)
    /// HCI_LE_Set_Extended_Scan_Enable (§7.8.65).
    public static let leSetExtendedScanEnable = HCIOpcode(ogf: 0x08, ocf: 0x0042)
    /// HCI_LE_Extended_Create_Connection [v1] (§7.8.66).
    public static let leExtendedCreateConnection = HCIOpcode(ogf: 0x08, ocf: 0x0043)
    /// HCI_LE_Read_Buffer_Size [v2] (§7.8.2), which adds the ISO buffers.
    public static let leReadBufferSizeV2 = HCIOpcode(ogf: 0x08, ocf: 0x0060)
}
