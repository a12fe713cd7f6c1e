import BLEWire

/// The Supported_Commands bitmask returned by HCI_Read_Local_Supported_Commands
/// (Core Specification v5.4, Vol 4, Part E, §7.4.2 and the table in §6.27): octet n, bit b
/// set means the command is implemented. Hosts read it before anything else and only send
/// what it marks (Bumble's `Host.reset` and `Device.power_on` do exactly that), so every
/// command answered with success below is marked, and nothing else is: an unmarked command
/// gets "Unknown HCI Command" (0x01).
///
/// ```
/// octet:   0        1             63
///        +--------+--------+ ... +--------+
///        |b7 .. b0|b7 .. b0|     |b7 .. b0|
///        +--------+--------+ ... +--------+
/// ```
enum VirtualControllerSupportedCommands {
    /// (octet, bit, opcode) per §6.27.
    static let table: [(octet: Int, bit: Int, opcode: HCIOpcode)] = [
        (0, 5, .disconnect),
        (2, 7, HCIOpcode(ogf: 0x01, ocf: 0x001D)),  // Read Remote Version Information
        (5, 6, .setEventMask),
        (5, 7, .reset),
        (7, 0, HCIOpcode(ogf: 0x03, ocf: 0x0013)),  // Write Local Name
        (7, 1, HCIOpcode(ogf: 0x03, ocf: 0x0014)),  // Read Local Name
        (14, 3, .readLocalVersionInformation),
        (14, 5, .readLocalSupportedFeatures),
        (14, 7, .readBufferSize),
        (15, 1, .readBDAddress),
        (15, 5, HCIOpcode(ogf: 0x05, ocf: 0x0005)),  // Read RSSI
        (22, 2, HCIOpcode(ogf: 0x03, ocf: 0x0063)),  // Set Event Mask Page 2
        (24, 6, .writeLEHostSupport),
        (25, 0, .leSetEventMask),
        (25, 1, .leReadBufferSize),
        (25, 2, .leReadLocalSupportedFeatures),
        (25, 4, .leSetRandomAddress),
        (26, 2, .leSetScanParameters),
        (26, 3, .leSetScanEnable),
        (26, 4, .leCreateConnection),
        (26, 5, .leCreateConnectionCancel),
        (26, 6, HCIOpcode(ogf: 0x08, ocf: 0x000F)),  // LE Read Filter Accept List Size
        (26, 7, HCIOpcode(ogf: 0x08, ocf: 0x0010)),  // LE Clear Filter Accept List
        (27, 0, HCIOpcode(ogf: 0x08, ocf: 0x0011)),  // LE Add Device To Filter Accept List
        (27, 1, HCIOpcode(ogf: 0x08, ocf: 0x0012)),  // LE Remove Device From Filter Accept List
        (27, 2, .leConnectionUpdate),
        (27, 5, HCIOpcode(ogf: 0x08, ocf: 0x0016)),  // LE Read Remote Features
        (27, 7, HCIOpcode(ogf: 0x08, ocf: 0x0018)),  // LE Rand
        (28, 3, HCIOpcode(ogf: 0x08, ocf: 0x001C)),  // LE Read Supported States
        (33, 6, .leSetDataLength),
        (33, 7, HCIOpcode(ogf: 0x08, ocf: 0x0023)),  // LE Read Suggested Default Data Length
        (34, 0, HCIOpcode(ogf: 0x08, ocf: 0x0024)),  // LE Write Suggested Default Data Length
        (34, 3, HCIOpcode(ogf: 0x08, ocf: 0x0027)),  // LE Add Device To Resolving List
        (34, 5, HCIOpcode(ogf: 0x08, ocf: 0x0029)),  // LE Clear Resolving List
        (34, 6, HCIOpcode(ogf: 0x08, ocf: 0x002A)),  // LE Read Resolving List Size
        (35, 1, HCIOpcode(ogf: 0x08, ocf: 0x002D)),  // LE Set Address Resolution Enable
        (35, 2, HCIOpcode(ogf: 0x08, ocf: 0x002E)),  // LE Set Resolvable Private Address Timeout
        (35, 3, HCIOpcode(ogf: 0x08, ocf: 0x002F)),  // LE Read Maximum Data Length
        (35, 4, HCIOpcode(ogf: 0x08, ocf: 0x0030)),  // LE Read PHY
        (35, 5, HCIOpcode(ogf: 0x08, ocf: 0x0031)),  // LE Set Default PHY
        (35, 6, HCIOpcode(ogf: 0x08, ocf: 0x0032)),  // LE Set PHY
        (36, 6, HCIOpcode(ogf: 0x08, ocf: 0x003A)),  // LE Read Maximum Advertising Data Length
        (36, 7, HCIOpcode(ogf: 0x08, ocf: 0x003B)),  // LE Read Number of Supported Advertising Sets
        (37, 5, .leSetExtendedScanParameters),
        (37, 6, .leSetExtendedScanEnable),
        (37, 7, .leExtendedCreateConnection),
        (38, 7, HCIOpcode(ogf: 0x08, ocf: 0x004B)),  // LE Read Transmit Power
        (41, 5, .leReadBufferSizeV2),
        (44, 1, HCIOpcode(ogf: 0x08, ocf: 0x0074)),  // LE Set Host Feature
    ]

    /// The 64-octet Supported_Commands parameter.
    static let bitmask: [UInt8] = {
        var octets = [UInt8](repeating: 0, count: 64)
        for entry in table { octets[entry.octet] |= 1 << UInt8(entry.bit) }
        return octets
    }()

    static func isSupported(_ opcode: HCIOpcode) -> Bool {
        opcode == .readLocalSupportedCommands || table.contains { $0.opcode == opcode }
    }
}
