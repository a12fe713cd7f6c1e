/// What ``DeviceClockFit/observe(deviceCounter:gatewayTime:)`` made of one timestamped
/// arrival: where the device counter now stands, and whether the device's clock wrapped,
/// restarted or jumped.
public struct ClockObservation: Sendable, Equatable {
    /// How the observation relates to the ones before it.
    public enum Event: Sendable, Equatable {
        /// The first accepted observation: it opens segment 0.
        case first
        /// The counter advanced as gateway time did (up to drift and delay).
        case continuous
        /// The raw counter wrapped through its modulus (once per lap) and the unwrapped
        /// device time carried on.
        case wrap
        /// The counter restarted near zero: the firmware rebooted. A new segment begins.
        case reboot
        /// The device clock stepped by about `seconds` (positive: forward) relative to
        /// gateway time, more than drift and delay explain. A new segment begins.
        case jump(seconds: Double)
        /// The observation was not used; the fit is unchanged.
        case rejected(Rejection)

        /// Whether this observation opened a segment (the first one, a reboot, a jump).
        public var startsSegment: Bool {
            switch self {
            case .first, .reboot, .jump: true
            case .continuous, .wrap, .rejected: false
            }
        }
    }

    /// Why an observation was rejected.
    public enum Rejection: Sendable, Equatable {
        /// The gateway time was NaN or infinite.
        case gatewayTimeNotFinite
        /// The gateway time was before the Unix epoch: no gateway clock reads that.
        case gatewayTimeNegative
        /// The device counter was not below the fit's counter modulus.
        case counterOutOfRange
    }

    /// How this observation relates to the ones before it.
    public var event: Event
    /// The segment the observation belongs to: 0 until the first reboot or jump, then one
    /// more for each.
    public var segment: Int
    /// The unwrapped device time of the observation in seconds on the segment's counter
    /// (the counter times its unit, plus the laps it wrapped); NaN when rejected.
    ///
    /// Add a frame's offset (`n × interval`) to it and pass the sum to
    /// ``DeviceClockFit/mapToGateway(deviceSeconds:)``.
    public var deviceSeconds: Double
    /// How much later than the fitted lower envelope this arrival came, in seconds: its
    /// delay beyond the smallest delay seen (a link-latency diagnostic); NaN when rejected.
    public var excessDelay: Double

    /// Creates an observation (the fit makes them; tests and replays may too).
    public init(event: Event, segment: Int, deviceSeconds: Double, excessDelay: Double) {
        self.event = event
        self.segment = segment
        self.deviceSeconds = deviceSeconds
        self.excessDelay = excessDelay
    }
}
