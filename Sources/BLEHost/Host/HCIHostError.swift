import BLEWire

/// Why a host (central or peripheral) stopped: the transport failed, or the controller
/// refused or never answered a command it had to wait for (the start-up sequence).
public enum HCIHostError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The transport failed (`.closed` when the controller went away).
    case transport(TransportError)
    /// The controller answered with a non-zero status (an HCI error code, Vol 1, Part F).
    case commandFailed(opcode: HCIOpcode, status: UInt8)
    /// No Command Complete or Command Status within the timeout.
    case commandTimeout(opcode: HCIOpcode)
    /// The command's return parameters could not be read.
    case malformedReturnParameters(opcode: HCIOpcode, WireError)

    public var description: String {
        switch self {
        case .transport(let error): "\(error)"
        case let .commandFailed(opcode, status):
            "the controller refused HCI command 0x\(String(opcode.rawValue, radix: 16)): \(HCIStatusCode.describe(status))"
        case .commandTimeout(let opcode):
            "the controller did not answer HCI command 0x\(String(opcode.rawValue, radix: 16)) (is it a controller, and is it powered?)"
        case let .malformedReturnParameters(opcode, error):
            "malformed answer to HCI command 0x\(String(opcode.rawValue, radix: 16)): \(error)"
        }
    }
}
