import BLEWire

/// A device's firmware parameters, all concrete after resolution.
public struct FirmwareSpec: Sendable, Equatable {
    /// Samples per second of the main stream (insole frames, PPG samples).
    public var sampleRate: Double
    /// Frames (samples) packed into one notification; `nil`: as many as fit the ATT MTU.
    public var framesPerNotification: Int?
    /// ATT MTU the device asks for, bytes.
    public var mtu: Int
    /// Preferred connection interval, seconds.
    public var connectionInterval: Double
    /// Advertising interval, seconds.
    public var advertisingInterval: Double
    /// Sample-clock error, parts per million (positive: the device clock runs fast).
    public var clockDriftPPM: Double
    /// Standard deviation of the sampling instant, seconds.
    public var jitter: Double
    /// Battery capacity, mAh.
    public var batteryCapacity: Double
    /// Battery level at time 0, percent.
    public var batteryLevel: Double
    /// A static random address unless the file gives one.
    public var address: BDAddress
    /// Advertised complete local name.
    public var name: String

    public init(sampleRate: Double, framesPerNotification: Int? = nil, mtu: Int = 247, connectionInterval: Double = 0.03,
                advertisingInterval: Double = 0.1, clockDriftPPM: Double = 0, jitter: Double = 0,
                batteryCapacity: Double = 150, batteryLevel: Double = 100, address: BDAddress, name: String) {
        self.sampleRate = sampleRate
        self.framesPerNotification = framesPerNotification
        self.mtu = mtu
        self.connectionInterval = connectionInterval
        self.advertisingInterval = advertisingInterval
        self.clockDriftPPM = clockDriftPPM
        self.jitter = jitter
        self.batteryCapacity = batteryCapacity
        self.batteryLevel = batteryLevel
        self.address = address
        self.name = name
    }
}
