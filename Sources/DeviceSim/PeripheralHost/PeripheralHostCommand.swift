import BLEWire

/// An HCI command the peripheral host builds itself (BLEWire's `HCICommand` does not carry
/// the advertising commands): its opcode and its packet without the H4 indicator.
public protocol PeripheralHostCommand: Sendable {
    var opcode: HCIOpcode { get }
    var encoded: [UInt8] { get }
}

extension LegacyAdvertisingCommand: PeripheralHostCommand {}
extension ExtendedAdvertisingCommand: PeripheralHostCommand {}
