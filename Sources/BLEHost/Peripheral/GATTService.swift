import BLEWire

/// A service to put in a database (Core Specification v5.4, Vol 3, Part G, §3.1): a
/// service declaration followed by its characteristics. Included services are not
/// supported.
public struct GATTService {
    public var uuid: BluetoothUUID
    /// Primary (0x2800) or secondary (0x2801) service declaration.
    public var isPrimary: Bool
    public var characteristics: [GATTCharacteristic]

    public init(_ uuid: BluetoothUUID, isPrimary: Bool = true, characteristics: [GATTCharacteristic]) {
        self.uuid = uuid
        self.isPrimary = isPrimary
        self.characteristics = characteristics
    }
}
