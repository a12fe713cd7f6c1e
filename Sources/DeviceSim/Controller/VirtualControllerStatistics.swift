/// Counters of what the virtual controller saw and did: what a test asserts on and what
/// `gaitway sim` prints when it stops. Nothing the host sends is fatal; each anomaly is
/// counted here instead.
public struct VirtualControllerStatistics: Sendable, Equatable {
    /// HCI commands received (well-formed or not).
    public var commands = 0
    /// Commands answered with "Unknown HCI Command" (0x01).
    public var unknownCommands = 0
    /// Commands answered with "Invalid HCI Command Parameters" (0x12) or another error.
    public var rejectedCommands = 0
    /// Host packets that could not be parsed at all (truncated headers, bad lengths,
    /// unsupported packet types), dropped.
    public var malformedHostPackets = 0
    /// ACL packets from the host for a handle that is not connected, dropped.
    public var unknownHandlePackets = 0
    /// ACL packets beyond the announced buffer count (the host ignored flow control);
    /// queued anyway.
    public var bufferOverruns = 0
    /// L2CAP frames that failed reassembly or named a channel nobody serves.
    public var l2capErrors = 0
    /// Advertising reports sent to the host (scan responses included).
    public var advertisingReports = 0
    /// Connections established.
    public var connections = 0
    /// Connections lost to a supervision timeout.
    public var supervisionTimeouts = 0
    /// Host ACL packets transmitted to peripherals (each was credited back in a
    /// Number Of Completed Packets event).
    public var hostPacketsCompleted = 0
    /// ACL packets sent to the host (fragments of peripheral L2CAP PDUs).
    public var aclPacketsToHost = 0
    /// Server-initiated ATT PDUs (notifications, indications) delivered to the host.
    public var notificationsDelivered = 0
    /// LL exchanges lost on the air and retransmitted at a later connection event.
    public var retransmissions = 0
    /// Connection events that took place.
    public var connectionEvents = 0

    public init() {}
}
