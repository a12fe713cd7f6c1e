import BLEWire

/// One physical simulated device (an insole pair in the file becomes two of these).
public struct DeviceSpec: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable, CaseIterable {
        case leftInsole = "left"
        case rightInsole = "right"
        case wristband
    }

    /// Index into ``Scenario/people``.
    public var person: Int
    public var role: Role
    /// Force cells (8 or 16) on an insole; 0 on a wristband.
    public var cells: Int
    /// Whether an insole carries an IMU (always false on a wristband).
    public var imu: Bool
    /// Names of the Protocols specs it streams, checked against the catalog.
    public var specs: [String]
    public var firmware: FirmwareSpec
    /// Seed of this device's firmware randomness (clock jitter, faults).
    public var seed: UInt64

    public init(person: Int, role: Role, cells: Int, imu: Bool, specs: [String], firmware: FirmwareSpec, seed: UInt64) {
        self.person = person
        self.role = role
        self.cells = cells
        self.imu = imu
        self.specs = specs
        self.firmware = firmware
        self.seed = seed
    }

    public var isInsole: Bool { role != .wristband }
}
