/// The connection parameters a peripheral asks for in an L2CAP Connection Parameter
/// Update Request (Core Specification v5.4, Vol 3, Part A, §4.20), in the units the
/// wire uses.
public struct ConnectionParameters: Equatable, Hashable, Sendable {
    /// Minimum connection interval, in units of 1.25 ms.
    public var intervalMin: UInt16
    /// Maximum connection interval, in units of 1.25 ms.
    public var intervalMax: UInt16
    /// Number of connection events the peripheral may skip.
    public var peripheralLatency: UInt16
    /// Supervision timeout, in units of 10 ms.
    public var timeoutMultiplier: UInt16

    public init(intervalMin: UInt16, intervalMax: UInt16, peripheralLatency: UInt16, timeoutMultiplier: UInt16) {
        self.intervalMin = intervalMin
        self.intervalMax = intervalMax
        self.peripheralLatency = peripheralLatency
        self.timeoutMultiplier = timeoutMultiplier
    }

    /// Minimum connection interval in seconds.
    public var intervalMinSeconds: Double { Double(intervalMin) * 0.00125 }
    /// Maximum connection interval in seconds.
    public var intervalMaxSeconds: Double { Double(intervalMax) * 0.00125 }
    /// Supervision timeout in seconds.
    public var supervisionTimeoutSeconds: Double { Double(timeoutMultiplier) * 0.01 }

    /// Which rule of §4.20 a set of parameters breaks.
    public enum Violation: Equatable, Sendable, CustomStringConvertible {
        /// Interval Min outside 6...3200 (7.5 ms to 4 s).
        case intervalMin
        /// Interval Max outside 6...3200.
        case intervalMax
        /// Interval Min greater than Interval Max.
        case intervalOrder
        /// Peripheral Latency of 500 or more.
        case peripheralLatency
        /// Timeout Multiplier outside 10...3200 (100 ms to 32 s).
        case timeoutMultiplier
        /// The supervision timeout does not exceed `(1 + latency) × intervalMax × 2`:
        /// the link would time out while the peripheral is legitimately asleep.
        case timeoutTooShortForLatency

        public var description: String {
            switch self {
            case .intervalMin: "interval min outside 6...3200 (7.5 ms...4 s)"
            case .intervalMax: "interval max outside 6...3200 (7.5 ms...4 s)"
            case .intervalOrder: "interval min greater than interval max"
            case .peripheralLatency: "peripheral latency of 500 or more"
            case .timeoutMultiplier: "timeout multiplier outside 10...3200 (100 ms...32 s)"
            case .timeoutTooShortForLatency: "supervision timeout not above (1 + latency) x interval max x 2"
            }
        }
    }

    /// Checks the ranges Vol 3, Part A, §4.20 sets; returns the first rule broken, or
    /// `nil` when a central may accept the request. Kept apart from parsing because a
    /// request with bad values is still a well-formed PDU (it is answered "rejected").
    public func validate() -> Violation? {
        guard (6...3200).contains(intervalMin) else { return .intervalMin }
        guard (6...3200).contains(intervalMax) else { return .intervalMax }
        guard intervalMin <= intervalMax else { return .intervalOrder }
        guard peripheralLatency < 500 else { return .peripheralLatency }
        guard (10...3200).contains(timeoutMultiplier) else { return .timeoutMultiplier }
        // timeout × 10 ms > (1 + latency) × intervalMax × 1.25 ms × 2, in integers.
        guard Int(timeoutMultiplier) * 4 > (1 + Int(peripheralLatency)) * Int(intervalMax) else {
            return .timeoutTooShortForLatency
        }
        return nil
    }
}
