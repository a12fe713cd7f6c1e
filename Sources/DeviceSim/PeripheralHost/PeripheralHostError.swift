import BLEHost
import BLEWire

/// Why the peripheral host stopped: the transport failed, or the controller refused or
/// never answered a command of the start-up sequence.
public enum PeripheralHostError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The transport failed (`.closed` when the controller went away during start-up).
    case transport(TransportError)
    /// The controller answered a start-up command with a non-zero status (an HCI error
    /// code, Vol 1, Part F).
    case commandFailed(opcode: HCIOpcode, status: UInt8)
    /// No Command Complete or Command Status for a start-up command within the timeout.
    case commandTimeout(opcode: HCIOpcode)
    /// A start-up command's return parameters could not be read.
    case malformedReturnParameters(opcode: HCIOpcode, WireError)

    public var description: String {
        switch self {
        case .transport(let error): "\(error)"
        case let .commandFailed(opcode, status):
            "the controller refused command \(opcode) with status 0x" + String(status, radix: 16)
        case .commandTimeout(let opcode): "the controller did not answer command \(opcode)"
        case let .malformedReturnParameters(opcode, error): "command \(opcode) answered with \(error)"
        }
    }
}
