/// A typed layout of the return parameters a Command Complete event carries for one
/// command (or a family of versions of it), after the leading Status octet.
public protocol HCICommandReturnParameters: Equatable, Sendable {
    /// Whether this layout is the answer to `opcode`.
    static func answers(_ opcode: HCIOpcode) -> Bool
    /// The opcode of the command these values answer (for encoding).
    var opcode: HCIOpcode { get }
    /// Reads the parameters that follow Status.
    init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError)
    /// Writes the parameters that follow Status.
    func encode(into writer: inout ByteWriter)
}

/// Return parameters of HCI_Read_Local_Version_Information (Core Specification v5.4, Vol 4,
/// Part E, §7.4.1).
///
/// ```
/// +--------+-------------+-----------------+-------------+----------------------+----------------+
/// | Status | HCI_Version | HCI_Subversion  | LMP_Version | Company_Identifier   | LMP_Subversion |
/// |  (1)   |     (1)     |      (2)        |     (1)     |        (2)           |      (2)       |
/// +--------+-------------+-----------------+-------------+----------------------+----------------+
/// ```
public struct LocalVersionInformation: HCICommandReturnParameters {
    /// Core Specification version (Assigned Numbers: 0x0D is 5.4).
    public var hciVersion: UInt8
    public var hciSubversion: UInt16
    public var lmpVersion: UInt8
    /// Bluetooth SIG company identifier of the controller's manufacturer.
    public var companyIdentifier: UInt16
    public var lmpSubversion: UInt16

    public init(hciVersion: UInt8, hciSubversion: UInt16, lmpVersion: UInt8, companyIdentifier: UInt16, lmpSubversion: UInt16) {
        self.hciVersion = hciVersion
        self.hciSubversion = hciSubversion
        self.lmpVersion = lmpVersion
        self.companyIdentifier = companyIdentifier
        self.lmpSubversion = lmpSubversion
    }

    public static func answers(_ opcode: HCIOpcode) -> Bool { opcode == .readLocalVersionInformation }
    public var opcode: HCIOpcode { .readLocalVersionInformation }

    public init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError) {
        hciVersion = try cursor.readUInt8("HCI_Version")
        hciSubversion = try cursor.readUInt16("HCI_Subversion")
        lmpVersion = try cursor.readUInt8("LMP_Version")
        companyIdentifier = try cursor.readUInt16("Company_Identifier")
        lmpSubversion = try cursor.readUInt16("LMP_Subversion")
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(hciVersion)
        writer.write(hciSubversion)
        writer.write(lmpVersion)
        writer.write(companyIdentifier)
        writer.write(lmpSubversion)
    }
}

/// Return parameters of HCI_Read_Local_Supported_Features (Vol 4, Part E, §7.4.3): the
/// 64-bit LMP feature mask of page 0 (Vol 2, Part C, §3.3; bit 38 "LE Supported (Controller)").
///
/// ```
/// +--------+------------------+
/// | Status | LMP_Features (8) |
/// +--------+------------------+
/// ```
public struct LocalSupportedFeatures: HCICommandReturnParameters {
    public var lmpFeatures: UInt64

    public init(lmpFeatures: UInt64) { self.lmpFeatures = lmpFeatures }

    public static func answers(_ opcode: HCIOpcode) -> Bool { opcode == .readLocalSupportedFeatures }
    public var opcode: HCIOpcode { .readLocalSupportedFeatures }

    public init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError) {
        lmpFeatures = try cursor.readUInt64("LMP_Features")
    }

    public func encode(into writer: inout ByteWriter) { writer.write(lmpFeatures) }
}

/// Return parameters of HCI_LE_Read_Local_Supported_Features (Vol 4, Part E, §7.8.3): the
/// LE feature mask (Vol 6, Part B, §4.6; bit 1 extended reject, bit 5 data length
/// extension, bit 8 2M PHY, bit 11 Coded PHY, bit 12 extended advertising).
///
/// ```
/// +--------+-----------------+
/// | Status | LE_Features (8) |
/// +--------+-----------------+
/// ```
public struct LELocalSupportedFeatures: HCICommandReturnParameters {
    public var leFeatures: UInt64

    public init(leFeatures: UInt64) { self.leFeatures = leFeatures }

    public static func answers(_ opcode: HCIOpcode) -> Bool { opcode == .leReadLocalSupportedFeatures }
    public var opcode: HCIOpcode { .leReadLocalSupportedFeatures }

    public init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError) {
        leFeatures = try cursor.readUInt64("LE_Features")
    }

    public func encode(into writer: inout ByteWriter) { writer.write(leFeatures) }

    /// Whether feature bit `bit` (Vol 6, Part B, §4.6) is set.
    public func supports(bit: Int) -> Bool { bit >= 0 && bit < 64 && leFeatures >> UInt64(bit) & 1 == 1 }
}

/// Return parameters of HCI_Read_BD_ADDR (Vol 4, Part E, §7.4.6).
///
/// ```
/// +--------+-------------+
/// | Status | BD_ADDR (6) |
/// +--------+-------------+
/// ```
public struct LocalBDAddress: HCICommandReturnParameters {
    public var address: BDAddress

    public init(address: BDAddress) { self.address = address }

    public static func answers(_ opcode: HCIOpcode) -> Bool { opcode == .readBDAddress }
    public var opcode: HCIOpcode { .readBDAddress }

    public init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError) {
        address = try cursor.readAddress("BD_ADDR")
    }

    public func encode(into writer: inout ByteWriter) { writer.write(address) }
}

/// Return parameters of HCI_Read_Buffer_Size (Vol 4, Part E, §7.4.5): the BR/EDR (and,
/// when LE reports zero, shared LE) data buffers.
///
/// ```
/// +--------+-------------------+-------------------+---------------------+---------------------+
/// | Status | ACL_Data_Packet_  | Synchronous_Data_ | Total_Num_ACL_Data_ | Total_Num_Synchron- |
/// |  (1)   |    Length (2)     | Packet_Length (1) |    Packets (2)      | ous_Data_Packets (2)|
/// +--------+-------------------+-------------------+---------------------+---------------------+
/// ```
public struct BufferSize: HCICommandReturnParameters {
    public var aclDataPacketLength: UInt16
    public var synchronousDataPacketLength: UInt8
    public var totalNumACLDataPackets: UInt16
    public var totalNumSynchronousDataPackets: UInt16

    public init(aclDataPacketLength: UInt16, synchronousDataPacketLength: UInt8, totalNumACLDataPackets: UInt16,
                totalNumSynchronousDataPackets: UInt16) {
        self.aclDataPacketLength = aclDataPacketLength
        self.synchronousDataPacketLength = synchronousDataPacketLength
        self.totalNumACLDataPackets = totalNumACLDataPackets
        self.totalNumSynchronousDataPackets = totalNumSynchronousDataPackets
    }

    public static func answers(_ opcode: HCIOpcode) -> Bool { opcode == .readBufferSize }
    public var opcode: HCIOpcode { .readBufferSize }

    public init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError) {
        aclDataPacketLength = try cursor.readUInt16("ACL_Data_Packet_Length")
        synchronousDataPacketLength = try cursor.readUInt8("Synchronous_Data_Packet_Length")
        totalNumACLDataPackets = try cursor.readUInt16("Total_Num_ACL_Data_Packets")
        totalNumSynchronousDataPackets = try cursor.readUInt16("Total_Num_Synchronous_Data_Packets")
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(aclDataPacketLength)
        writer.write(synchronousDataPacketLength)
        writer.write(totalNumACLDataPackets)
        writer.write(totalNumSynchronousDataPackets)
    }
}

/// Return parameters of HCI_LE_Read_Buffer_Size v1 and v2 (Vol 4, Part E, §7.8.2). A
/// length of 0 means LE shares the buffers of HCI_Read_Buffer_Size.
///
/// ```
/// v1: +--------+----------------------------+--------------------------------+
///     | Status | LE_ACL_Data_Packet_Length  | Total_Num_LE_ACL_Data_Packets  |
///     |  (1)   |           (2)              |              (1)               |
///     +--------+----------------------------+--------------------------------+
/// v2: ... followed by ISO_Data_Packet_Length (2), Total_Num_ISO_Data_Packets (1)
/// ```
public struct LEBufferSize: HCICommandReturnParameters {
    public var leACLDataPacketLength: UInt16
    public var totalNumLEACLDataPackets: UInt8
    /// Present in v2 answers only.
    public var isoDataPacketLength: UInt16?
    /// Present in v2 answers only.
    public var totalNumISODataPackets: UInt8?

    public init(leACLDataPacketLength: UInt16, totalNumLEACLDataPackets: UInt8,
                isoDataPacketLength: UInt16? = nil, totalNumISODataPackets: UInt8? = nil) {
        self.leACLDataPacketLength = leACLDataPacketLength
        self.totalNumLEACLDataPackets = totalNumLEACLDataPackets
        self.isoDataPacketLength = isoDataPacketLength
        self.totalNumISODataPackets = totalNumISODataPackets
    }

    public static func answers(_ opcode: HCIOpcode) -> Bool { opcode == .leReadBufferSize || opcode == .leReadBufferSizeV2 }
    /// v2 when the ISO fields are present.
    public var opcode: HCIOpcode { isoDataPacketLength == nil ? .leReadBufferSize : .leReadBufferSizeV2 }

    public init(parsing cursor: inout ByteCursor, opcode: HCIOpcode) throws(WireError) {
        leACLDataPacketLength = try cursor.readUInt16("LE_ACL_Data_Packet_Length")
        totalNumLEACLDataPackets = try cursor.readUInt8("Total_Num_LE_ACL_Data_Packets")
        if opcode == .leReadBufferSizeV2 {
            isoDataPacketLength = try cursor.readUInt16("ISO_Data_Packet_Length")
            totalNumISODataPackets = try cursor.readUInt8("Total_Num_ISO_Data_Packets")
        } else {
            isoDataPacketLength = nil
            totalNumISODataPackets = nil
        }
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(leACLDataPacketLength)
        writer.write(totalNumLEACLDataPackets)
        if let isoDataPacketLength {
            writer.write(isoDataPacketLength)
            writer.write(totalNumISODataPackets ?? 0)
        }
    }
}
