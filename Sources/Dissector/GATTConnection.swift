import BLEWire

/// What the dissector knows about one LE connection in a capture: who the peer is, which
/// side the capturing host plays, and the GATT database it has discovered so far.
struct GATTConnection {
    /// The remote device (from LE (Enhanced) Connection Complete), nil when the capture
    /// began after the connection was made.
    var peer: BDAddress?
    /// HCI Role: 0x00 the capturing host is central, 0x01 peripheral (Vol 4, Part E, §7.7.65.1).
    var role: UInt8?
    /// ATT handle -> characteristic (or descriptor) UUID, learnt from the discovery
    /// responses the capture holds (Vol 3, Part G, §4.6 and §4.7).
    var attributes: [AttributeHandle: BluetoothUUID] = [:]
    /// The last ATT request seen in each direction, so the response can be interpreted:
    /// ATT allows one outstanding request per client (Vol 3, Part F, §3.3.2).
    var pendingRequest: [PacketDirection: PendingRequest] = [:]

    enum PendingRequest {
        case readByType(BluetoothUUID)
        case read(handle: AttributeHandle)
        case readBlob(handle: AttributeHandle)
        case other
    }
}
