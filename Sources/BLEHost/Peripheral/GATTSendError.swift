import BLEWire

/// Why the server will not produce a notification or indication.
public enum GATTSendError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The handle is not the value of a characteristic that can notify or indicate.
    case notConfigurable(handle: AttributeHandle)
    /// The client has not enabled this kind of update on this connection.
    case notSubscribed(handle: AttributeHandle)
    /// The value does not fit one PDU at the current MTU (at most ATT_MTU - 3 bytes,
    /// Vol 3, Part F, §3.4.7.1): the firmware should split it or wait for a larger MTU.
    case valueTooLong(length: Int, maximum: Int)
    /// An indication on this connection has not been confirmed yet; only one may be
    /// outstanding (Vol 3, Part F, §3.3.2).
    case indicationPending(handle: AttributeHandle)

    public var description: String {
        switch self {
        case .notConfigurable(let handle): "handle 0x\(String(handle.rawValue, radix: 16)) cannot notify or indicate"
        case .notSubscribed(let handle): "the client has not subscribed to handle 0x\(String(handle.rawValue, radix: 16))"
        case let .valueTooLong(length, maximum): "value of \(length) bytes exceeds \(maximum) (ATT_MTU - 3)"
        case .indicationPending(let handle): "indication on handle 0x\(String(handle.rawValue, radix: 16)) not yet confirmed"
        }
    }
}
