extension Simulation {
    /// The device a peripheral host serves by default: the scenario's first wristband (the
    /// one a central reading heart rate looks for), or its first device if it has none.
    public var peripheralHostDevice: DeviceFirmware? {
        devices.first { $0.spec.role == .wristband } ?? devices.first
    }
}
