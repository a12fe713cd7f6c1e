import BLEWire

/// Where a service landed in a database: what the firmware needs to send notifications
/// and to recognise writes.
public struct GATTServiceHandles: Equatable, Sendable {
    public var uuid: BluetoothUUID
    /// Service declaration handle ... last handle of the service.
    public var range: ATTHandleRange
    public var characteristics: [GATTCharacteristicHandles]

    public init(uuid: BluetoothUUID, range: ATTHandleRange, characteristics: [GATTCharacteristicHandles]) {
        self.uuid = uuid
        self.range = range
        self.characteristics = characteristics
    }

    /// The first characteristic with this UUID.
    public subscript(uuid: BluetoothUUID) -> GATTCharacteristicHandles? {
        characteristics.first { $0.uuid == uuid }
    }
}

/// Where a characteristic landed in a database.
public struct GATTCharacteristicHandles: Equatable, Sendable {
    public var uuid: BluetoothUUID
    public var properties: CharacteristicProperties
    /// The «Characteristic» declaration.
    public var declaration: AttributeHandle
    /// The value attribute: the handle notifications and indications carry.
    public var value: AttributeHandle
    /// The Client Characteristic Configuration descriptor, when it can notify or indicate.
    public var clientConfiguration: AttributeHandle?
    /// The Characteristic User Description descriptor, when one was given.
    public var userDescription: AttributeHandle?
    /// Every descriptor handle, in order (CCCD and user description included).
    public var descriptors: [AttributeHandle]

    public init(uuid: BluetoothUUID, properties: CharacteristicProperties, declaration: AttributeHandle, value: AttributeHandle,
                clientConfiguration: AttributeHandle?, userDescription: AttributeHandle?, descriptors: [AttributeHandle]) {
        self.uuid = uuid
        self.properties = properties
        self.declaration = declaration
        self.value = value
        self.clientConfiguration = clientConfiguration
        self.userDescription = userDescription
        self.descriptors = descriptors
    }
}
