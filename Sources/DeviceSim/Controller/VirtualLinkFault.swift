import BLEWire

/// A scripted radio fault on the link to one simulated peripheral, as a scenario's fault
/// timeline names it (by the device's address).
public enum VirtualLinkFault: Sendable, Equatable {
    /// Nothing gets through for `duration` seconds (nil: for good). If that outlasts the
    /// connection's supervision timeout, the link drops with reason 0x08 on both sides.
    case silence(BDAddress, duration: Double?)
    /// The peripheral terminates the link (HCI error code `reason`, usually 0x13 "Remote
    /// User Terminated Connection"; 0x15 "Remote Device Terminated due to Power Off" for
    /// a firmware reboot); the host sees Disconnection Complete with that reason.
    case terminate(BDAddress, reason: UInt8)
    /// From now on each LL exchange on this peripheral's link is lost with this
    /// probability (retransmitted later: the link layer does not lose data).
    case packetLoss(BDAddress, rate: Double)

    /// The peripheral it applies to.
    public var address: BDAddress {
        switch self {
        case .silence(let address, _), .terminate(let address, _), .packetLoss(let address, _): address
        }
    }
}
