import BLEHost

/// Why the peripheral host stopped: the transport failed, or the controller refused or
/// never answered a command of the start-up sequence (shared with the central host).
public typealias PeripheralHostError = HCIHostError
