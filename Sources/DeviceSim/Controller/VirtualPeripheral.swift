import BLEWire

/// What the virtual controller needs of a simulated device: how it advertises, and an ATT
/// bearer once a central has connected. The firmware model implements it; the controller
/// implements the link layer around it (advertising events, connections, connection
/// events, flow control), so neither knows the other's internals.
///
/// Times are seconds on the simulation clock (the controller's clock, which is also the
/// clock of the captures and of the ground truth).
public protocol VirtualPeripheral: AnyObject {
    /// The device's (random static) address.
    var address: BDAddress { get }
    var addressType: AddressType { get }
    /// Advertising interval in seconds (advDelay jitter is the controller's business).
    var advertisingInterval: Double { get }
    /// Whether it advertises at all now (false while connected if it supports one link).
    var isAdvertising: Bool { get }
    var isConnectable: Bool { get }
    /// AD structures of the advertising PDU (≤ 31 bytes for legacy advertising).
    var advertisingData: [UInt8] { get }
    /// AD structures of the scan response, sent when a central scans actively.
    var scanResponseData: [UInt8] { get }

    /// Brings the device's models and firmware forward to `time` (samples, packs values,
    /// queues notifications for subscribed centrals).
    func advance(to time: Double)

    /// A central connected; `handle` identifies the link in the calls below.
    func connected(handle: ConnectionHandle, central: BDAddress, at time: Double)
    /// The link is gone (`reason` is an HCI error code, e.g. 0x08 supervision timeout).
    func disconnected(handle: ConnectionHandle, reason: UInt8, at time: Double)

    /// An ATT PDU from the central on `handle`; returns the response PDU, if the request
    /// has one (commands and confirmations have none).
    func attributeRequest(_ pdu: [UInt8], handle: ConnectionHandle, at time: Double) -> [UInt8]?

    /// Removes and returns up to `limit` queued server-initiated ATT PDUs (notifications,
    /// indications) for `handle` that were ready by `time`, oldest first.
    func dequeueOutgoing(handle: ConnectionHandle, upTo time: Double, limit: Int) -> [[UInt8]]

    /// A scripted loss of the link (a disconnect or reboot fault in the scenario), waiting
    /// for the link layer to carry it out: the seconds the device stays silent. Taking it
    /// clears it.
    func takeLinkDrop() -> Double?
}

extension VirtualPeripheral {
    /// Devices without scripted faults never drop their link on purpose.
    public func takeLinkDrop() -> Double? { nil }
}
