/// What a peripheral host session did, for reports and tests.
public struct PeripheralHostStatistics: Equatable, Sendable {
    /// Links given to a hosted device (LE (Enhanced) Connection Complete with status 0, as
    /// peripheral; with advertising sets, once LE Advertising Set Terminated named the set).
    public var connections = 0
    public var disconnections = 0
    /// ATT PDUs received from centrals and handed to the device.
    public var attributeRequests = 0
    /// Server-initiated ATT PDUs (notifications, indications) handed to the controller.
    public var notificationsSent = 0
    /// ACL data packets (fragments) sent to and received from the controller.
    public var aclPacketsSent = 0
    public var aclPacketsReceived = 0
    /// Packets from the controller that did not parse (events, ACL, L2CAP) and were skipped.
    public var malformedPackets = 0
    /// Commands sent after start-up that the controller refused.
    public var failedCommands = 0
    /// Times a device's advertising (or advertising set) was (re-)enabled.
    public var advertisingStarts = 0

    public init() {}
}
