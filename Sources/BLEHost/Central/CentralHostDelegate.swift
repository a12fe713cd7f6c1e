import BLEWire

/// What a ``CentralHost`` reports to whoever uses what it receives (the gateway pipeline).
/// Payload bytes are lent as `RawSpan`s, valid only during the call: keep what you need.
public protocol CentralHostDelegate: AnyObject {
    /// An advertising report's data (legacy or extended, scan responses included), from
    /// any device in range, connected to or not.
    func central(_ host: CentralHost, advertisement data: RawSpan, from address: BDAddress, rssi: Int8, at time: Double)
    /// A characteristic value: a notification, an indication (already confirmed) or the
    /// answer to a read the host made after discovery.
    func central(_ host: CentralHost, value: RawSpan, of characteristic: BluetoothUUID, kind: CharacteristicValueKind,
                 from peer: CentralPeer, at time: Double)
    /// Something that happened to a link or the controller, for logs and status displays.
    func central(_ host: CentralHost, event: CentralEvent, at time: Double)
}

public enum CharacteristicValueKind: String, Sendable {
    case notification, indication, read
}

/// A connected device as the central sees it.
public struct CentralPeer: Sendable, Equatable {
    public var handle: UInt16
    public var address: BDAddress
    public var addressType: UInt8
    /// The device's name from its advertisements, if it gave one.
    public var name: String?
    /// ATT_MTU agreed with the device (23 until the exchange is done).
    public var mtu: UInt16
}

/// Link and controller events worth a log line or a status change.
public enum CentralEvent: Sendable, Equatable, CustomStringConvertible {
    case controllerReady(address: BDAddress, extended: Bool, aclBuffers: Int, aclLength: Int)
    case connecting(BDAddress)
    case connected(CentralPeer)
    case connectFailed(BDAddress, status: UInt8)
    /// Discovery is done: `subscribed` characteristics will notify or indicate.
    case ready(CentralPeer, subscribed: [BluetoothUUID], read: [BluetoothUUID])
    case disconnected(CentralPeer, reason: UInt8)
    /// The next attempt on this device waits until `retryAt` (host time, seconds).
    case backoff(BDAddress, retryAt: Double)
    case attError(CentralPeer, request: UInt8, handle: UInt16, error: UInt8)
    case attTimeout(CentralPeer)
    case connectionParametersUpdated(handle: UInt16, interval: Double)
    case commandFailed(opcode: UInt16, status: UInt8)
    case unexpectedPacket(String)
    /// The controller holds `limit` links and has no room for more: these devices wait
    /// for a link to free up (``ConnectionQueue``). Reported once.
    case devicesWaiting(limit: Int, waiting: [BDAddress])
    /// The wait list since the last report: `waiting` devices wait now; `joined` started
    /// waiting, `left` stopped (connected, or no longer heard). Reported at a low rate.
    case waitingChanged(limit: Int, waiting: Int, joined: [BDAddress], left: [BDAddress])

    /// `3 started waiting (A B C)`, or `none started waiting`.
    static func list(_ what: String, _ addresses: [BDAddress]) -> String {
        addresses.isEmpty ? "none \(what)"
            : "\(addresses.count) \(what) (" + addresses.map(\.description).joined(separator: " ") + ")"
    }

    public var description: String {
        switch self {
        case let .controllerReady(address, extended, buffers, length):
            "controller \(address) ready (\(extended ? "extended" : "legacy") scanning, \(buffers) ACL buffers of \(length) bytes)"
        case .connecting(let address): "connecting to \(address)"
        case .connected(let peer): "connected to \(peer.address) (handle \(peer.handle))"
        case let .connectFailed(address, status): "connection to \(address) failed: \(HCIStatusCode.describe(status))"
        case let .ready(peer, subscribed, read):
            "\(peer.address): MTU \(peer.mtu), subscribed to \(subscribed.map(\.description).joined(separator: ", ")); read \(read.count)"
        case let .disconnected(peer, reason): "\(peer.address) disconnected: \(HCIStatusCode.describe(reason))"
        case let .backoff(address, retryAt): "\(address): next attempt at \(retryAt)"
        case let .attError(peer, request, handle, error):
            "\(peer.address): ATT error 0x\(String(error, radix: 16)) for request 0x\(String(request, radix: 16)) on handle 0x\(String(handle, radix: 16))"
        case .attTimeout(let peer): "\(peer.address): ATT request unanswered for 30 s, disconnecting"
        case let .connectionParametersUpdated(handle, interval): "handle \(handle): connection interval \(interval * 1000) ms"
        case let .commandFailed(opcode, status): "HCI command 0x\(String(opcode, radix: 16)) failed: \(HCIStatusCode.describe(status))"
        case .unexpectedPacket(let what): "unexpected packet: \(what)"
        case let .devicesWaiting(limit, waiting):
            "the controller holds \(limit) links, its limit: \(waiting.count) devices wait for a free link: "
                + waiting.map(\.description).joined(separator: " ")
        case let .waitingChanged(limit, waiting, joined, left):
            waiting == 0
                ? "no device waits for a link any more (limit \(limit))"
                : "\(waiting) devices wait for a link (limit \(limit)); since the last report "
                    + Self.list("started waiting", joined) + ", " + Self.list("stopped", left)
        }
    }
}
