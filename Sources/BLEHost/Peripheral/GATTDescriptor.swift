import BLEWire

/// A characteristic descriptor to put in a database (Core Specification v5.4, Vol 3,
/// Part G, §3.3.3). The Client Characteristic Configuration descriptor is not declared
/// this way: `GATTDatabase` adds it to every characteristic that can notify or indicate
/// and keeps its value per connection.
public struct GATTDescriptor {
    public var uuid: BluetoothUUID
    public var permissions: GATTPermissions
    public var value: GATTValue
    public var onWrite: GATTWriteHandler?

    public init(_ uuid: BluetoothUUID, permissions: GATTPermissions = .readable, value: GATTValue,
                onWrite: GATTWriteHandler? = nil) {
        self.uuid = uuid
        self.permissions = permissions
        self.value = value
        self.onWrite = onWrite
    }

    /// A Characteristic User Description descriptor (0x2901, §3.3.3.2): read-only UTF-8.
    public static func userDescription(_ text: String) -> GATTDescriptor {
        GATTDescriptor(.characteristicUserDescription, value: .utf8(text))
    }
}
