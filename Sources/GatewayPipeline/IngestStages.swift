import BLEWire

/// What a spec's field is to the timestamp stage, resolved once per spec when its format is
/// first used (the Protocols specs name the device clock fields by quantity).
enum FieldRole: Equatable {
    /// `device_time`: the device's clock for the payload's first element, in units of
    /// 1/`perSecond` s (1000 for a field in ms), so that seconds are `value / perSecond`.
    case deviceTime(perSecond: Double)
    /// `sample_interval`: seconds between frames of a repeated group.
    case sampleInterval
    /// `sample_rate`: elements per second of a repeated field sampled at a rate (a PPG burst).
    case sampleRate
    /// Anything else with a quantity: a measurement, stored and passed on.
    case measurement

    init(quantity: String?, unit: String?) {
        switch quantity {
        case "device_time": self = .deviceTime(perSecond: unit == "ms" ? 1000 : 1)
        case "sample_interval": self = .sampleInterval
        case "sample_rate": self = .sampleRate
        default: self = .measurement
        }
    }
}

/// One measurement on the gateway's clock: the timestamp stage's output, which every
/// consumer (store batch, live status, metric stages) receives.
public struct TimedSample: Sendable, Equatable {
    /// Gateway time, µs since the Unix epoch (the device clock fit's mapping where the
    /// payload carries a device clock, else the arrival time).
    public var gatewayMicros: Int64
    /// The device's own clock for this sample, µs, when the payload has one.
    public var deviceMicros: Int64?
    /// What was measured, as the spec names it (`heart_rate`, `plantar_force`, ...).
    public var quantity: String
    public var unit: String?
    /// Cell index, n-th RR interval of the payload; -1 for a scalar.
    public var channel: Int
    public var value: Double

    public init(gatewayMicros: Int64, deviceMicros: Int64?, quantity: String, unit: String?, channel: Int,
                value: Double) {
        self.gatewayMicros = gatewayMicros
        self.deviceMicros = deviceMicros
        self.quantity = quantity
        self.unit = unit
        self.channel = channel
        self.value = value
    }
}

/// A stage fed every decoded payload's samples on the gateway clock, on the BLE thread:
/// the per-device and per-wearer metric stages plug in here. It must be cheap (it runs
/// per payload, thousands of times a second) and must not block.
public protocol SampleConsumer: AnyObject {
    func consume(_ samples: UnsafeBufferPointer<TimedSample>, from device: BDAddress)
}
