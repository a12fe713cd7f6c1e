/// HCI_LE_Advertising_Set_Terminated (Core v5.4, Vol 4, Part E, §7.7.65.18), LE Meta
/// subevent 0x12: an advertising set stopped, because a central connected to it (Status
/// 0x00, with that connection's handle), or its duration or event count ran out. A
/// connectable set that gets a connection is followed by this event right after the
/// connection's LE (Enhanced) Connection Complete (§7.8.56): it is how a host with several
/// sets learns which set, so which device, a new connection belongs to. BLEWire's
/// `HCIEvent` hands it over as `.leMetaOther`; the peripheral host parses it with this.
///
/// ```
/// +-------------------+------------+------------------------+-----------------------+
/// | Subevent_Code (1) | Status (1) | Advertising_Handle (1) | Connection_Handle (2) |
/// +-------------------+------------+------------------------+-----------------------+
/// | Num_Completed_Extended_Advertising_Events (1) |
/// +-----------------------------------------------+
/// ```
public struct AdvertisingSetTerminated: Equatable, Sendable {
    public static let subevent: UInt8 = 0x12

    public var status: UInt8
    public var advertisingHandle: UInt8
    /// Valid only when `status` is 0 (the connection that ended the set).
    public var connectionHandle: ConnectionHandle
    public var completedEvents: UInt8

    public init(status: UInt8, advertisingHandle: UInt8, connectionHandle: ConnectionHandle, completedEvents: UInt8 = 0) {
        self.status = status
        self.advertisingHandle = advertisingHandle
        self.connectionHandle = connectionHandle
        self.completedEvents = completedEvents
    }

    /// Parses the subevent's parameters (after Subevent_Code). `base` is their offset in
    /// the event packet, for error offsets.
    public init(parsing parameters: RawSpan, base: Int = 0) throws(WireError) {
        var cursor = ByteCursor(parameters, layer: .hci, base: base)
        status = try cursor.readUInt8("Status")
        advertisingHandle = try cursor.readUInt8("Advertising_Handle")
        // Connection_Handle: 12 bits, the top four reserved (§5.4.2).
        connectionHandle = ConnectionHandle(rawValue: try cursor.readUInt16("Connection_Handle") & 0x0FFF)
        completedEvents = try cursor.readUInt8("Num_Completed_Extended_Advertising_Events")
        try cursor.expectEnd()
    }

    /// The event packet (without H4 indicator), as a controller sends it.
    public var encoded: [UInt8] {
        [0x3E, 6, Self.subevent, status, advertisingHandle,
         UInt8(truncatingIfNeeded: connectionHandle.rawValue), UInt8(truncatingIfNeeded: connectionHandle.rawValue >> 8), completedEvents]
    }
}
