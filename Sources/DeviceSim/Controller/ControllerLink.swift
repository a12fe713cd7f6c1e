import BLEWire

/// What the virtual controller knows about one connection: its parameters, the data
/// waiting in each direction, and the link-layer procedures under way.
struct ControllerLink {
    /// A host ACL packet waiting in the controller's buffer for transmission.
    struct HostPacket {
        var boundary: ACLPacketBoundary
        var payload: [UInt8]
        /// Octets of `payload` already acknowledged by the peripheral.
        var sent = 0
    }

    /// One LL PDU's worth of a peripheral L2CAP PDU, delivered to the host as one ACL packet.
    struct PeripheralFragment {
        var boundary: ACLPacketBoundary
        var payload: [UInt8]
        /// The last fragment of a notification or indication (for the statistics).
        var endsServerInitiatedPDU: Bool
    }

    /// A link-layer procedure whose outcome the host hears of at a later connection event.
    enum Procedure {
        /// The controller's own Data Length Update right after connecting, to the host's
        /// suggested default.
        case initialDataLength(octets: UInt16)
        case setDataLength(octets: UInt16)
        case connectionUpdate(interval: UInt16, latency: UInt16, timeout: UInt16)
        case phyUpdate(phy: UInt8)
        case readRemoteFeatures
        case readRemoteVersion
    }

    let handle: ConnectionHandle
    let peripheral: Int
    let peerAddress: BDAddress
    let peerAddressType: UInt8
    /// Unique across the controller's lifetime, so stale scheduled events are recognised.
    let generation: UInt64

    /// Connection interval in units of 1.25 ms.
    var interval: UInt16
    var latency: UInt16
    /// Supervision timeout in units of 10 ms.
    var timeout: UInt16
    var phy: UInt8 = 1
    var centralOctets: UInt16 = 27
    var peripheralOctets: UInt16 = 27

    var eventCounter: UInt64 = 0
    var lastHeard: Double
    var silencedUntil: Double? = nil
    var lossRate: Double

    var hostQueue: [HostPacket] = []
    var peripheralQueue: [PeripheralFragment] = []
    /// Complete L2CAP PDUs (header included) the peripheral produced in answer to the host,
    /// sent from the next connection event on.
    var pendingResponses: [(pdu: [UInt8], serverInitiated: Bool)] = []
    /// Procedures and the event counter at which each completes.
    var procedures: [(instant: UInt64, procedure: Procedure)] = []
    /// HCI_Disconnect from the host: the reason sent to the peripheral.
    var terminationReason: UInt8? = nil

    var intervalSeconds: Double { Double(interval) * 0.00125 }
    var timeoutSeconds: Double { Double(timeout) * 0.01 }

    func isSilenced(at time: Double) -> Bool {
        guard let silencedUntil else { return false }
        return time < silencedUntil
    }
}
