/// The HCI commands of extended advertising (Core v5.4, Vol 4, Part E, §7.8.52-§7.8.58) that
/// a peripheral host sends (DeviceSim's `PeripheralHost`, to give each simulated device its
/// own advertising set: its own random address, parameters, data and enable, on one
/// controller). `HCICommand` (a central's and a controller's view) does not carry them.
/// Each encodes to a command packet without its H4 indicator (layout in
/// `LegacyAdvertisingCommand`).
///
/// The sets use legacy advertising PDUs (Advertising_Event_Properties bit 4): each device
/// goes on the air as ADV_IND with its 31-byte advertising data and SCAN_RSP with its
/// scan response, exactly as when it is hosted alone with the legacy commands, so that
/// scanners without extended scanning find it too. An extended (non-legacy) PDU could not
/// be connectable and scannable at once (§7.8.53), which would drop the scan response.
public enum ExtendedAdvertisingCommand: Equatable, Sendable {
    /// HCI_LE_Set_Advertising_Set_Random_Address (§7.8.52), OCF 0x0035: the address the set
    /// advertises (and is connected) with. The set must exist (§7.8.53 creates it) or the
    /// controller answers Unknown Advertising Identifier (0x42).
    ///
    /// ```
    /// +-------------------------+--------------------+
    /// | Advertising_Handle (1)  | Random_Address (6) |
    /// +-------------------------+--------------------+
    /// ```
    case setRandomAddress(handle: UInt8, address: BDAddress)
    /// HCI_LE_Set_Extended_Advertising_Parameters [v1] (§7.8.53), OCF 0x0036; creates the
    /// set if it does not exist:
    ///
    /// ```
    /// +------------------------+------------------------------+
    /// | Advertising_Handle (1) | Advertising_Event_Properties (2)
    /// +------------------------+------------------------------+
    /// | Primary_Advertising_Interval_Min (3) | ..._Max (3)     |
    /// +--------------------------------------+-----------------+
    /// | Primary_Adv_Channel_Map (1) | Own_Address_Type (1) | Peer_Address_Type (1) |
    /// +-----------------------------+----------------------+-----------------------+
    /// | Peer_Address (6) | Adv_Filter_Policy (1) | Advertising_TX_Power (1)        |
    /// +------------------+-----------------------+---------------------------------+
    /// | Primary_Adv_PHY (1) | Secondary_Adv_Max_Skip (1) | Secondary_Adv_PHY (1)   |
    /// +---------------------+----------------------------+-------------------------+
    /// | Advertising_SID (1) | Scan_Request_Notification_Enable (1) |               25 bytes
    /// +---------------------+--------------------------------------+
    /// ```
    ///
    /// Intervals are in 0.625 ms units (20 ms minimum, `LegacyAdvertisingCommand.intervalUnits`).
    case setParameters(handle: UInt8, properties: EventProperties, intervalMin: UInt32, intervalMax: UInt32,
                       ownAddressType: UInt8)
    /// HCI_LE_Set_Extended_Advertising_Data (§7.8.54), OCF 0x0037, as one complete fragment
    /// (Operation 0x03), which is also the only form a set with legacy PDUs takes, and the
    /// only one allowed while the set is enabled:
    ///
    /// ```
    /// +------------------------+---------------+--------------------------+
    /// | Advertising_Handle (1) | Operation (1) | Fragment_Preference (1)  |
    /// +------------------------+---------------+--------------------------+
    /// | Advertising_Data_Length (1) | Advertising_Data (length)           |
    /// +-----------------------------+-------------------------------------+
    /// ```
    case setData(handle: UInt8, [UInt8])
    /// HCI_LE_Set_Extended_Scan_Response_Data (§7.8.55), OCF 0x0038: same layout.
    case setScanResponseData(handle: UInt8, [UInt8])
    /// HCI_LE_Set_Extended_Advertising_Enable (§7.8.56), OCF 0x0039. Disabling with no
    /// handles disables every set.
    ///
    /// ```
    /// +------------+--------------------+----------------------------------------------+
    /// | Enable (1) | Num_Sets (1)       | per set: Advertising_Handle (1), Duration (2), |
    /// +------------+--------------------+          Max_Extended_Advertising_Events (1) |
    ///                                   +----------------------------------------------+
    /// ```
    ///
    /// Duration and event count are 0: advertise until disabled or connected.
    case setEnable(Bool, handles: [UInt8])
    /// HCI_LE_Read_Number_Of_Supported_Advertising_Sets (§7.8.58), OCF 0x003B, no
    /// parameters; returns Status, Num_Supported_Advertising_Sets (1), 0x01...0xF0.
    case readNumberOfSupportedSets

    /// Advertising_Event_Properties of §7.8.53.
    public struct EventProperties: OptionSet, Equatable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let connectable = EventProperties(rawValue: 1 << 0)
        public static let scannable = EventProperties(rawValue: 1 << 1)
        public static let directed = EventProperties(rawValue: 1 << 2)
        public static let highDutyCycleDirected = EventProperties(rawValue: 1 << 3)
        public static let legacyPDUs = EventProperties(rawValue: 1 << 4)
        /// ADV_IND in a set: connectable, scannable, legacy PDUs (0x0013).
        public static let legacyConnectableUndirected: EventProperties = [.connectable, .scannable, .legacyPDUs]
        /// ADV_SCAN_IND in a set (0x0012).
        public static let legacyScannableUndirected: EventProperties = [.scannable, .legacyPDUs]
    }

    /// LE Features bit 12, LE Extended Advertising (Vol 6, Part B, §4.6): the controller
    /// supports the commands above (Vol 4, Part E, §3.1, Table 3.1: they are mandatory with it).
    public static let leFeatureBit = 12
    /// Advertising handles run 0x00...0xEF; Num_Supported_Advertising_Sets is at most 0xF0.
    public static let maximumSetCount = 0xF0
    /// At most this many sets fit in one enable command (Parameter_Total_Length ≤ 255).
    public static let maximumSetsPerEnable = (255 - 2) / 4
    /// Sets with legacy PDUs hold at most 31 bytes of advertising and of scan response data
    /// (§7.8.54, §7.8.55).
    public static let maximumLegacyDataLength = LegacyAdvertisingCommand.maximumDataLength

    public static let setRandomAddressOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0035)
    public static let setParametersOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0036)
    public static let setDataOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0037)
    public static let setScanResponseDataOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0038)
    public static let setEnableOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0039)
    public static let readNumberOfSupportedSetsOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x003B)

    public var opcode: HCIOpcode {
        switch self {
        case .setRandomAddress: Self.setRandomAddressOpcode
        case .setParameters: Self.setParametersOpcode
        case .setData: Self.setDataOpcode
        case .setScanResponseData: Self.setScanResponseDataOpcode
        case .setEnable: Self.setEnableOpcode
        case .readNumberOfSupportedSets: Self.readNumberOfSupportedSetsOpcode
        }
    }

    /// The command packet without H4 indicator. Data longer than 31 bytes is cut at 31 (a
    /// set with legacy PDUs takes no more); more than `maximumSetsPerEnable` handles are cut
    /// there.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 40)
        writer.write(opcode.rawValue)
        let lengthIndex = writer.reserveByte()
        switch self {
        case let .setRandomAddress(handle, address):
            writer.write(handle)
            writer.write(address)
        case let .setParameters(handle, properties, intervalMin, intervalMax, ownAddressType):
            writer.write(handle)
            writer.write(properties.rawValue)
            writer.writeUInt24(intervalMin)
            writer.writeUInt24(intervalMax)
            writer.write(0x07 as UInt8)  // all three primary channels
            writer.write(ownAddressType)
            writer.write(0 as UInt8)  // Peer_Address_Type: unused for undirected advertising
            writer.write(contentsOf: [UInt8](repeating: 0, count: 6))  // Peer_Address
            writer.write(0 as UInt8)  // process scan and connection requests from all
            writer.write(0x7F as UInt8)  // Advertising_TX_Power: no preference
            writer.write(0x01 as UInt8)  // Primary_Advertising_PHY: LE 1M
            writer.write(0 as UInt8)  // Secondary_Advertising_Max_Skip
            writer.write(0x01 as UInt8)  // Secondary_Advertising_PHY: LE 1M (unused with legacy PDUs)
            // Advertising_SID (0x0...0xF) tells a scanner's duplicate filter the sets apart.
            writer.write(handle & 0x0F)
            writer.write(0 as UInt8)  // no Scan Request Received events
        case let .setData(handle, data), let .setScanResponseData(handle, data):
            let used = data.prefix(Self.maximumLegacyDataLength)
            writer.write(handle)
            writer.write(0x03 as UInt8)  // Operation: complete data
            writer.write(0x01 as UInt8)  // Fragment_Preference: the controller should not fragment
            writer.write(UInt8(used.count))
            writer.write(contentsOf: used)
        case let .setEnable(enable, handles):
            let used = handles.prefix(Self.maximumSetsPerEnable)
            writer.write(enable ? 1 as UInt8 : 0)
            writer.write(UInt8(used.count))
            for handle in used {
                writer.write(handle)
                writer.write(0 as UInt16)  // Duration: until disabled
                writer.write(0 as UInt8)  // Max_Extended_Advertising_Events: no limit
            }
        case .readNumberOfSupportedSets:
            break
        }
        writer.patch(lengthIndex, UInt8(writer.count - HCICommand.headerSize))
        return writer.bytes
    }
}
