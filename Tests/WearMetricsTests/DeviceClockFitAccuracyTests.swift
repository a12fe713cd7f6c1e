import Testing
@testable import WearMetrics

/// How well the fit recovers a drifting clock through a link with positive, variable delays.
@Suite struct DeviceClockFitAccuracyTests {
    /// 30 minutes at 10 notifications/s, delays exponential with mean 20 ms plus 300 ms
    /// retransmission outliers (1 %), delivered in order.
    ///
    /// The bounds separate the lower-envelope fit from a naive one. Least squares of
    /// arrival time on device time over all 18 000 arrivals finds the slope well (the
    /// delays do not depend on time; its drift error is about 0.3 ppm, inside ±5 ppm), but
    /// its line runs through the *mean* delay, 20 ms + 1 % × 300 ms ≈ 23 ms (more with
    /// head-of-line blocking), so it fails the 5 ms mapping bound several times over. The
    /// test computes that fit too, so a bound weakened until it cannot tell them apart shows.
    @Test(arguments: [(50.0, UInt64(0xC10C_0050)), (-80.0, UInt64(0xC10C_0080))])
    func driftAndMappingOverHalfAnHour(driftPPM truth: Double, seed: UInt64) {
        var scenario = ClockScenario(clock: SyntheticDeviceClock(driftPPM: truth, bootTime: gatewayEpoch - 7200),
                                     seed: seed)
        scenario.send(from: 0, to: 1800)
        let fit = scenario.fit
        #expect(abs(fit.driftPPM - truth) < 5, "drift \(fit.driftPPM) ppm, truth \(truth) ppm, seed \(seed)")
        #expect(fit.isDriftEstimated)
        let endError = scenario.worstMappingError(from: 1740)
        #expect(endError < 0.005, "worst mapping error over the last minute \(endError) s, seed \(seed)")
        // Good long before the end, too.
        let settledError = scenario.worstMappingError(from: 60)
        #expect(settledError < 0.005, "worst mapping error after the first minute \(settledError) s, seed \(seed)")
        #expect(fit.segment == 0 && fit.observations == 18_000)
        #expect(scenario.arrivals.dropFirst().allSatisfy { $0.observation.event == .continuous },
                "seed \(seed)")

        let naive = NaiveLeastSquaresFit(scenario.arrivals)
        #expect(abs(naive.driftPPM - truth) < 5, "naive drift \(naive.driftPPM) ppm, seed \(seed)")
        let last = scenario.arrivals[scenario.arrivals.count - 1]
        let naiveError = naive.map(last.observation.deviceSeconds) - last.sendTime
        #expect(naiveError > 0.015, "naive mapping error \(naiveError) s, seed \(seed)")
    }

    /// A device silent for ten minutes (out of range): the first arrival after the gap is
    /// placed by the drift estimated before it.
    @Test func silenceIsBridgedByTheDrift() {
        let seed: UInt64 = 0x51_1E4C
        var scenario = ClockScenario(clock: SyntheticDeviceClock(driftPPM: 90, bootTime: gatewayEpoch - 60),
                                     seed: seed)
        scenario.send(from: 0, to: 600)
        scenario.send(from: 1200, to: 1260)
        let first = scenario.arrivals[6000]
        #expect(first.observation.event == .continuous, "seed \(seed)")
        // Without the drift, 600 s at 90 ppm would be 54 ms off.
        #expect(abs(first.mappingError) < 0.005, "error after the gap \(first.mappingError) s, seed \(seed)")
        #expect(scenario.worstMappingError(from: 1200) < 0.005, "seed \(seed)")
        #expect(scenario.fit.segment == 0)
    }

    /// Early on: drift 0 until 5 s of data, and mapping within a few ms after a few
    /// seconds even at the simulator's largest drift.
    @Test func earlyMapping() {
        let seed: UInt64 = 0xEA_21
        var scenario = ClockScenario(clock: SyntheticDeviceClock(driftPPM: -100, bootTime: gatewayEpoch - 1),
                                     seed: seed)
        scenario.send(from: 0, to: 4.9)
        #expect(scenario.fit.driftPPM == 0 && !scenario.fit.isDriftEstimated)
        scenario.send(from: 4.9, to: 120)
        #expect(scenario.worstMappingError(from: 3) < 0.005,
                "worst error after 3 s \(scenario.worstMappingError(from: 3)) s, seed \(seed)")
        #expect(scenario.fit.isDriftEstimated)
        #expect(abs(scenario.fit.driftPPM + 100) < 20, "drift after 2 min \(scenario.fit.driftPPM), seed \(seed)")
    }
}

/// Ordinary least squares of arrival time on device time over every arrival: the fit that
/// `DeviceClockFit` is not, for contrast.
struct NaiveLeastSquaresFit {
    var x0: Double
    var g0: Double
    var slope: Double
    var intercept: Double

    init(_ arrivals: [ClockScenario.Arrival]) {
        x0 = arrivals[0].observation.deviceSeconds
        g0 = arrivals[0].arrivalTime
        var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for arrival in arrivals {
            let x = arrival.observation.deviceSeconds - x0
            let y = arrival.arrivalTime - g0
            sx += x
            sy += y
            sxx += x * x
            sxy += x * y
        }
        let n = Double(arrivals.count)
        slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
        intercept = (sy - slope * sx) / n
    }

    var driftPPM: Double { (1 / slope - 1) * 1e6 }

    func map(_ deviceSeconds: Double) -> Double { g0 + intercept + slope * (deviceSeconds - x0) }
}
