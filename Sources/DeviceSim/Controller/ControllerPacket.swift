import BLEWire

/// One HCI packet the virtual controller sends to its host: an event or ACL data, with
/// the simulation time at which the controller emitted it.
public struct ControllerPacket: Sendable, Equatable {
    /// `.event` or `.aclData`.
    public var type: HCIPacketType
    /// The packet without its H4 indicator.
    public var bytes: [UInt8]
    /// Seconds on the simulation clock.
    public var time: Double

    public init(type: HCIPacketType, bytes: [UInt8], time: Double) {
        self.type = type
        self.bytes = bytes
        self.time = time
    }

    /// The packet as sent over an H4 transport: the indicator, then the packet.
    public var h4Bytes: [UInt8] { [type.rawValue] + bytes }
}
