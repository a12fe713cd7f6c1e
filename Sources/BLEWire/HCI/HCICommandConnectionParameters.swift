/// The connection parameters a host asks for, as they appear (in this order) in
/// HCI_LE_Create_Connection (§7.8.12), HCI_LE_Connection_Update (§7.8.18),
/// HCI_LE_Remote_Connection_Parameter_Request_Reply (§7.8.31) and each PHY block of
/// HCI_LE_Extended_Create_Connection (§7.8.66) (Core Specification v5.4, Vol 4, Part E).
///
/// ```
/// +--------------+--------------+-------------+---------------------+--------------+--------------+
/// | Interval_Min | Interval_Max | Max_Latency | Supervision_Timeout | Min_CE_Length| Max_CE_Length|
/// |     (2)      |     (2)      |     (2)     |         (2)         |     (2)      |     (2)      |
/// +--------------+--------------+-------------+---------------------+--------------+--------------+
/// ```
public struct LEConnectionParameters: Equatable, Sendable {
    public static let size = 12

    /// Minimum connection interval, in units of 1.25 ms (0x0006...0x0C80: 7.5 ms to 4 s).
    public var intervalMin: UInt16
    /// Maximum connection interval, in units of 1.25 ms.
    public var intervalMax: UInt16
    /// Peripheral latency: connection events the peripheral may skip (0x0000...0x01F3).
    public var maxLatency: UInt16
    /// Supervision timeout, in units of 10 ms (0x000A...0x0C80: 100 ms to 32 s).
    public var supervisionTimeout: UInt16
    /// Hint of the shortest connection event wanted, in units of 0.625 ms.
    public var minCELength: UInt16
    /// Hint of the longest connection event wanted, in units of 0.625 ms.
    public var maxCELength: UInt16

    public init(intervalMin: UInt16, intervalMax: UInt16, maxLatency: UInt16 = 0, supervisionTimeout: UInt16,
                minCELength: UInt16 = 0, maxCELength: UInt16 = 0) {
        self.intervalMin = intervalMin
        self.intervalMax = intervalMax
        self.maxLatency = maxLatency
        self.supervisionTimeout = supervisionTimeout
        self.minCELength = minCELength
        self.maxCELength = maxCELength
    }

    public init(parsing cursor: inout ByteCursor) throws(WireError) {
        intervalMin = try cursor.readUInt16("Connection_Interval_Min")
        intervalMax = try cursor.readUInt16("Connection_Interval_Max")
        maxLatency = try cursor.readUInt16("Max_Latency")
        supervisionTimeout = try cursor.readUInt16("Supervision_Timeout")
        minCELength = try cursor.readUInt16("Min_CE_Length")
        maxCELength = try cursor.readUInt16("Max_CE_Length")
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(intervalMin)
        writer.write(intervalMax)
        writer.write(maxLatency)
        writer.write(supervisionTimeout)
        writer.write(minCELength)
        writer.write(maxCELength)
    }
}

/// Parameters of HCI_LE_Create_Connection (Core Specification v5.4, Vol 4, Part E, §7.8.12).
///
/// ```
/// +---------------+-------------+-----------------+-------------+-------------+------------------+
/// | Scan_Interval | Scan_Window | Initiator_Filter| Peer_Address| Peer_Address| Own_Address_Type |
/// |      (2)      |     (2)     |  _Policy (1)    |  _Type (1)  |     (6)     |       (1)        |
/// +---------------+-------------+-----------------+-------------+-------------+------------------+
/// | LEConnectionParameters (12)                                                                  |
/// +----------------------------------------------------------------------------------------------+
/// ```
public struct LECreateConnection: Equatable, Sendable {
    public static let size = 25

    /// In units of 0.625 ms.
    public var scanInterval: UInt16
    /// In units of 0.625 ms; at most `scanInterval`.
    public var scanWindow: UInt16
    /// 0x00: connect to `peerAddress`; 0x01: to any device on the filter accept list.
    public var initiatorFilterPolicy: UInt8
    /// 0x00 public, 0x01 random, 0x02 public identity, 0x03 random (static) identity.
    public var peerAddressType: UInt8
    public var peerAddress: BDAddress
    public var ownAddressType: UInt8
    public var connection: LEConnectionParameters

    public init(scanInterval: UInt16, scanWindow: UInt16, initiatorFilterPolicy: UInt8 = 0,
                peerAddressType: UInt8, peerAddress: BDAddress, ownAddressType: UInt8 = 0,
                connection: LEConnectionParameters) {
        self.scanInterval = scanInterval
        self.scanWindow = scanWindow
        self.initiatorFilterPolicy = initiatorFilterPolicy
        self.peerAddressType = peerAddressType
        self.peerAddress = peerAddress
        self.ownAddressType = ownAddressType
        self.connection = connection
    }

    public init(parsing cursor: inout ByteCursor) throws(WireError) {
        scanInterval = try cursor.readUInt16("LE_Scan_Interval")
        scanWindow = try cursor.readUInt16("LE_Scan_Window")
        initiatorFilterPolicy = try cursor.readUInt8("Initiator_Filter_Policy")
        peerAddressType = try cursor.readUInt8("Peer_Address_Type")
        peerAddress = try cursor.readAddress("Peer_Address")
        ownAddressType = try cursor.readUInt8("Own_Address_Type")
        connection = try LEConnectionParameters(parsing: &cursor)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(scanInterval)
        writer.write(scanWindow)
        writer.write(initiatorFilterPolicy)
        writer.write(peerAddressType)
        writer.write(peerAddress)
        writer.write(ownAddressType)
        connection.encode(into: &writer)
    }
}

/// One PHY's block in HCI_LE_Extended_Create_Connection (Vol 4, Part E, §7.8.66).
///
/// ```
/// +---------------+-------------+-----------------------------+
/// | Scan_Interval | Scan_Window | LEConnectionParameters (12) |
/// |      (2)      |     (2)     |                             |
/// +---------------+-------------+-----------------------------+
/// ```
/// For the LE 2M PHY the controller ignores the scan fields (it cannot scan on 2M) but
/// they are still sent.
public struct LEInitiatingPHYParameters: Equatable, Sendable {
    public static let size = 16

    /// In units of 0.625 ms.
    public var scanInterval: UInt16
    /// In units of 0.625 ms.
    public var scanWindow: UInt16
    public var connection: LEConnectionParameters

    public init(scanInterval: UInt16, scanWindow: UInt16, connection: LEConnectionParameters) {
        self.scanInterval = scanInterval
        self.scanWindow = scanWindow
        self.connection = connection
    }

    public init(parsing cursor: inout ByteCursor) throws(WireError) {
        scanInterval = try cursor.readUInt16("Scan_Interval")
        scanWindow = try cursor.readUInt16("Scan_Window")
        connection = try LEConnectionParameters(parsing: &cursor)
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(scanInterval)
        writer.write(scanWindow)
        connection.encode(into: &writer)
    }
}

/// Parameters of HCI_LE_Extended_Create_Connection [v1] (Core Specification v5.4, Vol 4,
/// Part E, §7.8.66): one 16-byte block per bit set in Initiating_PHYs, in bit order.
///
/// ```
/// +-----------------+------------------+-------------+-------------+-----------------+----------------+
/// | Initiator_Filter| Own_Address_Type | Peer_Address| Peer_Address| Initiating_PHYs | block[i] (16)  |
/// |   _Policy (1)   |       (1)        |  _Type (1)  |     (6)     |       (1)       | per PHY bit    |
/// +-----------------+------------------+-------------+-------------+-----------------+----------------+
/// Initiating_PHYs: bit 0 LE 1M, bit 1 LE 2M, bit 2 LE Coded (bits 3-7 reserved)
/// ```
public struct LEExtendedCreateConnection: Equatable, Sendable {
    public static let phy1MBit: UInt8 = 0x01
    public static let phy2MBit: UInt8 = 0x02
    public static let phyCodedBit: UInt8 = 0x04

    public var initiatorFilterPolicy: UInt8
    public var ownAddressType: UInt8
    public var peerAddressType: UInt8
    public var peerAddress: BDAddress
    public var le1M: LEInitiatingPHYParameters?
    public var le2M: LEInitiatingPHYParameters?
    public var leCoded: LEInitiatingPHYParameters?

    public init(initiatorFilterPolicy: UInt8 = 0, ownAddressType: UInt8 = 0, peerAddressType: UInt8,
                peerAddress: BDAddress, le1M: LEInitiatingPHYParameters?, le2M: LEInitiatingPHYParameters? = nil,
                leCoded: LEInitiatingPHYParameters? = nil) {
        self.initiatorFilterPolicy = initiatorFilterPolicy
        self.ownAddressType = ownAddressType
        self.peerAddressType = peerAddressType
        self.peerAddress = peerAddress
        self.le1M = le1M
        self.le2M = le2M
        self.leCoded = leCoded
    }

    /// Initiating_PHYs as sent: one bit per block present.
    public var initiatingPHYs: UInt8 {
        (le1M == nil ? 0 : Self.phy1MBit) | (le2M == nil ? 0 : Self.phy2MBit) | (leCoded == nil ? 0 : Self.phyCodedBit)
    }

    public init(parsing cursor: inout ByteCursor) throws(WireError) {
        initiatorFilterPolicy = try cursor.readUInt8("Initiator_Filter_Policy")
        ownAddressType = try cursor.readUInt8("Own_Address_Type")
        peerAddressType = try cursor.readUInt8("Peer_Address_Type")
        peerAddress = try cursor.readAddress("Peer_Address")
        let physOffset = cursor.absoluteOffset
        let phys = try cursor.readUInt8("Initiating_PHYs")
        guard phys & ~(Self.phy1MBit | Self.phy2MBit | Self.phyCodedBit) == 0 else {
            throw WireError(cursor.layer, .invalidValue(field: "Initiating_PHYs", value: Int(phys)), at: physOffset)
        }
        le1M = nil
        le2M = nil
        leCoded = nil
        if phys & Self.phy1MBit != 0 { le1M = try LEInitiatingPHYParameters(parsing: &cursor) }
        if phys & Self.phy2MBit != 0 { le2M = try LEInitiatingPHYParameters(parsing: &cursor) }
        if phys & Self.phyCodedBit != 0 { leCoded = try LEInitiatingPHYParameters(parsing: &cursor) }
    }

    public func encode(into writer: inout ByteWriter) {
        writer.write(initiatorFilterPolicy)
        writer.write(ownAddressType)
        writer.write(peerAddressType)
        writer.write(peerAddress)
        writer.write(initiatingPHYs)
        le1M?.encode(into: &writer)
        le2M?.encode(into: &writer)
        leCoded?.encode(into: &writer)
    }
}
