/// The attribute types GATT defines for its own declarations (Core Specification v5.4,
/// Vol 3, Part G, §3.1-§3.3; numbers from Assigned Numbers §3.5 and §3.7): what a
/// client asks for in Read By Group Type / Read By Type requests to discover a server.
extension BluetoothUUID {
    /// «Primary Service» declaration, 0x2800.
    public static let primaryService = BluetoothUUID(0x2800)
    /// «Secondary Service» declaration, 0x2801.
    public static let secondaryService = BluetoothUUID(0x2801)
    /// «Include» declaration, 0x2802.
    public static let include = BluetoothUUID(0x2802)
    /// «Characteristic» declaration, 0x2803.
    public static let characteristic = BluetoothUUID(0x2803)
    /// Characteristic Extended Properties descriptor, 0x2900.
    public static let characteristicExtendedProperties = BluetoothUUID(0x2900)
    /// Characteristic User Description descriptor, 0x2901.
    public static let characteristicUserDescription = BluetoothUUID(0x2901)
    /// Client Characteristic Configuration descriptor (CCCD), 0x2902.
    public static let clientCharacteristicConfiguration = BluetoothUUID(0x2902)
    /// Server Characteristic Configuration descriptor, 0x2903.
    public static let serverCharacteristicConfiguration = BluetoothUUID(0x2903)
}
