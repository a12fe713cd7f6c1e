@testable import WearMetrics

/// Drives a `DeviceClockFit` with a synthetic device sending at a fixed rate over a
/// synthetic link, and records what the fit made of each arrival.
struct ClockScenario {
    struct Arrival {
        var sendTime: Double
        var arrivalTime: Double
        var observation: ClockObservation
        /// Mapped gateway time of the arrival's own device time minus its true send time.
        var mappingError: Double
    }

    var fit: DeviceClockFit
    var clock: SyntheticDeviceClock
    var link: SyntheticLink
    var arrivals: [Arrival] = []
    /// BLE delivers a link's notifications in order: one held back by retransmissions
    /// holds back those behind it.
    private var lastArrival = -Double.infinity

    init(fit: DeviceClockFit = DeviceClockFit(), clock: SyntheticDeviceClock, seed: UInt64) {
        self.fit = fit
        self.clock = clock
        link = SyntheticLink(seed: seed)
    }

    /// Sends a notification every `1/rate` s of true time in `[start, end)` (seconds after
    /// `gatewayEpoch`).
    mutating func send(from start: Double, to end: Double, rate: Double = 10) {
        let count = Int(((end - start) * rate).rounded())
        for index in 0 ..< count {
            let sendTime = gatewayEpoch + start + Double(index) / rate
            let arrival = max(sendTime + link.delay(), lastArrival)
            lastArrival = arrival
            let observation = fit.observe(deviceCounter: clock.counter(at: sendTime), gatewayTime: arrival)
            let mapped = fit.mapToGateway(deviceSeconds: observation.deviceSeconds) ?? .nan
            arrivals.append(Arrival(sendTime: sendTime, arrivalTime: arrival, observation: observation, mappingError: mapped - sendTime))
        }
    }

    /// The largest mapping error (in magnitude) of arrivals sent in `[start, end)`.
    func worstMappingError(from start: Double, to end: Double = .infinity) -> Double {
        arrivals.filter { $0.sendTime >= gatewayEpoch + start && $0.sendTime < gatewayEpoch + end }
            .map { abs($0.mappingError) }.max() ?? .nan
    }

    func events(where matches: (ClockObservation.Event) -> Bool) -> [Arrival] {
        arrivals.filter { matches($0.observation.event) }
    }
}
