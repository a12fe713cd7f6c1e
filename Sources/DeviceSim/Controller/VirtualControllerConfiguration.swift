import BLEWire

/// What the virtual controller announces to its host and how its radio behaves.
///
/// The defaults describe a capable Bluetooth 5.4 LE-only controller: data length extension
/// (251-octet LL PDUs), LE 2M PHY, extended scanning, 16 LE ACL buffers of 251 bytes, and
/// room for 64 simultaneous connections.
public struct VirtualControllerConfiguration: Sendable {
    /// The controller's public address (HCI_Read_BD_ADDR).
    public var address: BDAddress
    /// The name returned by HCI_Read_Local_Name until the host writes one.
    public var localName: String
    /// Size of one LE ACL data buffer, in bytes of ACL payload (HCI_LE_Read_Buffer_Size).
    public var leACLDataPacketLength: UInt16
    /// Number of LE ACL data buffers: how many packets the host may have in flight before
    /// it must wait for HCI_Number_Of_Completed_Packets.
    public var leACLDataPacketCount: UInt8
    /// Simultaneous connections the controller accepts.
    public var maximumConnections: Int
    /// Longest LL data PDU payload the controller (and, by assumption, every simulated
    /// peripheral) supports (Vol 6, Part B, §4.5.10): 27...251.
    public var maximumDataLength: UInt16
    /// Airtime one connection event may use, in seconds, on top of the limit the
    /// connection interval sets (a controller serving many links shares its radio).
    public var maximumConnectionEventLength: Double
    /// Most LL PDU exchanges in one connection event, whatever the airtime (real
    /// controllers cap this: phones typically 4...8 per event).
    public var maximumExchangesPerEvent: Int
    /// Probability that one LL exchange is not acknowledged (CRC error or missed packet),
    /// which closes the connection event: the data waits for the next one.
    public var packetLossRate: Double
    /// Seed of the generator behind advertising delays, RSSI, channel losses and LE_Rand.
    public var seed: UInt64
    /// Num_HCI_Command_Packets in Command Complete and Command Status events.
    public var commandCredits: UInt8

    public init(
        address: BDAddress = BDAddress(rawValue: 0x00_1B_DC_0A_1E_01),
        localName: String = "Gaitway virtual controller",
        leACLDataPacketLength: UInt16 = 251,
        leACLDataPacketCount: UInt8 = 16,
        maximumConnections: Int = 64,
        maximumDataLength: UInt16 = 251,
        maximumConnectionEventLength: Double = 0.0075,
        maximumExchangesPerEvent: Int = 8,
        packetLossRate: Double = 0,
        seed: UInt64 = 1,
        commandCredits: UInt8 = 1
    ) {
        self.address = address
        self.localName = localName
        self.leACLDataPacketLength = max(27, leACLDataPacketLength)
        self.leACLDataPacketCount = max(1, leACLDataPacketCount)
        self.maximumConnections = max(1, min(maximumConnections, 0x0EFF))
        self.maximumDataLength = min(max(maximumDataLength, 27), 251)
        self.maximumConnectionEventLength = max(0.000_5, maximumConnectionEventLength)
        self.maximumExchangesPerEvent = max(1, maximumExchangesPerEvent)
        self.packetLossRate = min(max(packetLossRate, 0), 1)
        self.seed = seed
        self.commandCredits = max(1, commandCredits)
    }
}
