import BLEWire

/// A characteristic to put in a database (Core Specification v5.4, Vol 3, Part G, §3.3):
/// it becomes a declaration attribute, a value attribute and its descriptors, in that
/// order, when the database is built.
public struct GATTCharacteristic {
    public var uuid: BluetoothUUID
    /// What the declaration advertises to clients.
    public var properties: CharacteristicProperties
    /// What the server allows on the value attribute.
    public var permissions: GATTPermissions
    public var value: GATTValue
    public var onWrite: GATTWriteHandler?
    /// Added as a Characteristic User Description descriptor after the CCCD.
    public var userDescription: String?
    /// Further descriptors, after the CCCD and the user description.
    public var descriptors: [GATTDescriptor]

    /// - Parameters:
    ///   - permissions: defaults to what `properties` promise (`GATTPermissions(_:)`).
    ///   - value: what reads return; irrelevant for a value that is only notified.
    public init(_ uuid: BluetoothUUID, properties: CharacteristicProperties, permissions: GATTPermissions? = nil,
                value: GATTValue = .empty, userDescription: String? = nil, descriptors: [GATTDescriptor] = [],
                onWrite: GATTWriteHandler? = nil) {
        self.uuid = uuid
        self.properties = properties
        self.permissions = permissions ?? GATTPermissions(properties)
        self.value = value
        self.onWrite = onWrite
        self.userDescription = userDescription
        self.descriptors = descriptors
    }

    /// Whether the database gives it a Client Characteristic Configuration descriptor.
    public var hasClientConfiguration: Bool { !properties.isDisjoint(with: [.notify, .indicate]) }
}
