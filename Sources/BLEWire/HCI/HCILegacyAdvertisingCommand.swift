/// The four HCI commands of legacy advertising, which a peripheral host sends (DeviceSim's
/// `PeripheralHost`) and `HCICommand` (a central's and a controller's view) does not carry.
/// Each encodes to a command packet without its H4 indicator.
///
/// ```
/// +------------+----------------------------+------------+
/// | Opcode (2) | Parameter_Total_Length (1) | Parameters |      Vol 4, Part E, §5.4.1
/// +------------+----------------------------+------------+
/// ```
public enum LegacyAdvertisingCommand: Equatable, Sendable {
    /// HCI_LE_Set_Advertising_Parameters (Vol 4, Part E, §7.8.5), OCF 0x0006:
    ///
    /// ```
    /// +---------------------+---------------------+----------------------+
    /// | Adv_Interval_Min(2) | Adv_Interval_Max(2) | Advertising_Type (1) |
    /// +---------------------+---------------------+----------------------+
    /// | Own_Address_Type(1) | Peer_Address_Type(1)| Peer_Address (6)     |
    /// +---------------------+---------------------+----------------------+
    /// | Adv_Channel_Map (1) | Adv_Filter_Policy(1)|                        15 bytes
    /// +---------------------+---------------------+
    /// ```
    ///
    /// Intervals are in 0.625 ms units, 0x0020...0x4000 (20 ms to 10.24 s).
    case setParameters(intervalMin: UInt16, intervalMax: UInt16, type: AdvertisingType, ownAddressType: UInt8)
    /// HCI_LE_Set_Advertising_Data (§7.8.7), OCF 0x0008: Advertising_Data_Length (1) then
    /// Advertising_Data, always 31 bytes, the unused tail zero.
    case setData([UInt8])
    /// HCI_LE_Set_Scan_Response_Data (§7.8.8), OCF 0x0009: same layout as the advertising data.
    case setScanResponseData([UInt8])
    /// HCI_LE_Set_Advertising_Enable (§7.8.9), OCF 0x000A: Advertising_Enable (1).
    case setEnable(Bool)

    /// Advertising_Type of §7.8.5.
    public enum AdvertisingType: UInt8, Sendable {
        /// ADV_IND: connectable and scannable undirected.
        case connectableUndirected = 0x00
        /// ADV_SCAN_IND: scannable undirected.
        case scannableUndirected = 0x02
        /// ADV_NONCONN_IND: non-connectable undirected.
        case nonConnectableUndirected = 0x03
    }

    /// Legacy advertising and scan response data hold at most 31 bytes (§7.8.7).
    public static let maximumDataLength = 31

    public static let setParametersOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0006)
    public static let setDataOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0008)
    public static let setScanResponseDataOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x0009)
    public static let setEnableOpcode = HCIOpcode(ogf: HCIOpcode.leControllerGroup, ocf: 0x000A)

    public var opcode: HCIOpcode {
        switch self {
        case .setParameters: Self.setParametersOpcode
        case .setData: Self.setDataOpcode
        case .setScanResponseData: Self.setScanResponseDataOpcode
        case .setEnable: Self.setEnableOpcode
        }
    }

    /// The interval in 0.625 ms units for `seconds`, clamped to the legal range.
    public static func intervalUnits(seconds: Double) -> UInt16 {
        guard seconds.isFinite else { return 0x0800 }
        let units = (seconds / 0.000_625).rounded()
        return UInt16(min(max(units, 0x0020), 0x4000))
    }

    /// The command packet without H4 indicator. Data longer than 31 bytes is cut at 31
    /// (the controller would reject it); callers that care check `maximumDataLength` first.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 36)
        writer.write(opcode.rawValue)
        let lengthIndex = writer.reserveByte()
        switch self {
        case let .setParameters(intervalMin, intervalMax, type, ownAddressType):
            writer.write(intervalMin)
            writer.write(intervalMax)
            writer.write(type.rawValue)
            writer.write(ownAddressType)
            writer.write(0 as UInt8)  // Peer_Address_Type: unused for undirected advertising
            writer.write(contentsOf: [UInt8](repeating: 0, count: 6))  // Peer_Address
            writer.write(0x07 as UInt8)  // all three primary channels
            writer.write(0 as UInt8)  // process scan and connection requests from all
        case .setData(let data), .setScanResponseData(let data):
            let used = data.prefix(Self.maximumDataLength)
            writer.write(UInt8(used.count))
            writer.write(contentsOf: used)
            writer.write(contentsOf: [UInt8](repeating: 0, count: Self.maximumDataLength - used.count))
        case .setEnable(let enable):
            writer.write(enable ? 1 as UInt8 : 0)
        }
        writer.patch(lengthIndex, UInt8(writer.count - HCICommand.headerSize))
        return writer.bytes
    }
}
