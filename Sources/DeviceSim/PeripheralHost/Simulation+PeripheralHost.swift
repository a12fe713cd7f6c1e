extension Simulation {
    /// The device a peripheral host serves by default: the scenario's first wristband (the
    /// one a central reading heart rate looks for), or its first device if it has none.
    public var peripheralHostDevice: DeviceFirmware? {
        devices.first { $0.spec.role == .wristband } ?? devices.first
    }

    /// Every device, in the order a peripheral host takes them (`PeripheralHost.devices`):
    /// `peripheralHostDevice` first (the one hosted on a controller with only legacy
    /// advertising), then the others in the scenario's order.
    public var peripheralHostDevices: [DeviceFirmware] {
        guard let first = peripheralHostDevice else { return [] }
        return [first] + devices.filter { $0 !== first }
    }
}
