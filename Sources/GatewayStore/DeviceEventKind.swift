/// The `kind` strings of device events the gateway records; other kinds may be stored
/// too (the column is free text), these are the ones with an agreed meaning.
public enum DeviceEventKind {
    /// A link layer connection was established.
    public static let connected = "connected"
    /// The connection ended; the detail says why (HCI reason code).
    public static let disconnected = "disconnected"
    /// The gateway stopped trusting the device's data (e.g. malformed packets); sets
    /// `device.quarantined_at_us` when committed.
    public static let quarantined = "quarantined"
    /// End of a quarantine; clears `device.quarantined_at_us` when committed.
    public static let released = "released"
    /// The device's firmware restarted (its clock or sequence numbers went back).
    public static let reboot = "reboot"
}

/// The `source` strings of raw payloads: how the bytes reached the gateway.
public enum RawPayloadSource {
    /// An ATT Handle Value Notification.
    public static let notification = "notification"
    /// An ATT Handle Value Indication.
    public static let indication = "indication"
    /// The value returned by an ATT read.
    public static let read = "read"
    /// Service data or manufacturer data of an advertisement or scan response.
    public static let advertisement = "advertisement"
}
