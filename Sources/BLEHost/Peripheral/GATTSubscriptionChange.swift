import BLEWire

/// A client changed a Client Characteristic Configuration descriptor (Core
/// Specification v5.4, Vol 3, Part G, §3.3.3.3): what the firmware needs to start or
/// stop a stream on one connection.
public struct GATTSubscriptionChange: Equatable, Sendable {
    /// The characteristic value handle (the handle notifications carry).
    public var valueHandle: AttributeHandle
    /// The characteristic's UUID.
    public var uuid: BluetoothUUID
    public var previous: ClientCharacteristicConfiguration
    public var configuration: ClientCharacteristicConfiguration

    public init(valueHandle: AttributeHandle, uuid: BluetoothUUID, previous: ClientCharacteristicConfiguration,
                configuration: ClientCharacteristicConfiguration) {
        self.valueHandle = valueHandle
        self.uuid = uuid
        self.previous = previous
        self.configuration = configuration
    }
}
