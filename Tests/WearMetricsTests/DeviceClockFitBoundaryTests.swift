import Foundation
import Testing
@testable import WearMetrics

/// First observations, exact data, and input the fit must refuse.
@Suite struct DeviceClockFitBoundaryTests {
    @Test func beforeAnyObservation() {
        let fit = DeviceClockFit()
        #expect(fit.mapToGateway(deviceSeconds: 0) == nil)
        #expect(fit.offset == nil)
        #expect(fit.driftPPM == 0 && fit.segment == 0 && fit.observations == 0 && !fit.isDriftEstimated)
        #expect(fit.deviceSeconds(forCounter: 1234) == 1.234)
        #expect(fit.deviceSeconds(forCounter: 1 << 32) == nil)
    }

    /// Counter 0 at gateway time 0: both ends of their ranges, accepted.
    @Test func firstObservationAtZero() {
        var fit = DeviceClockFit()
        let observation = fit.observe(deviceCounter: 0, gatewayTime: 0)
        #expect(observation == ClockObservation(event: .first, segment: 0, deviceSeconds: 0, excessDelay: 0))
        #expect(observation.event.startsSegment)
        #expect(fit.mapToGateway(deviceSeconds: 0) == 0)
        #expect(fit.mapToGateway(deviceSeconds: 1.5) == 1.5)
        #expect(fit.offset == 0 && fit.observations == 1)
    }

    @Test func largestCounterIsAccepted() {
        var fit = DeviceClockFit()
        let observation = fit.observe(deviceCounter: (1 << 32) - 1, gatewayTime: gatewayEpoch)
        #expect(observation.event == .first && observation.deviceSeconds == 4_294_967.295)
    }

    /// Arrivals exactly on the line (no delay at all, a clock 25 ppm fast): the mapping
    /// reproduces send times to well under the counter's resolution.
    @Test func zeroDelayIsExact() {
        var fit = DeviceClockFit()
        let rate = 1 + 25e-6
        var worst = 0.0
        for index in 0 ..< 3000 {
            // Whole milliseconds of device time, sent when the device clock read them.
            let counter = UInt64(500_000 + 100 * index)
            let sendTime = gatewayEpoch + Double(counter - 500_000) / 1000 / rate
            let observation = fit.observe(deviceCounter: counter, gatewayTime: sendTime)
            #expect(observation.excessDelay.magnitude < 1e-6)
            worst = max(worst, abs(fit.mapToGateway(deviceSeconds: observation.deviceSeconds)! - sendTime))
        }
        #expect(worst < 1e-5, "worst \(worst) s")
        #expect(abs(fit.driftPPM - 25) < 0.1, "drift \(fit.driftPPM)")
    }

    /// Non-finite or negative gateway times and out-of-range counters are rejected: reported,
    /// and the fit is left exactly as it was.
    @Test(arguments: [
        (Double.nan, UInt64(1000), ClockObservation.Rejection.gatewayTimeNotFinite),
        (Double.infinity, 1000, .gatewayTimeNotFinite),
        (-Double.infinity, 1000, .gatewayTimeNotFinite),
        (-1, 1000, .gatewayTimeNegative),
        (-Double.leastNonzeroMagnitude, 1000, .gatewayTimeNegative),
        (gatewayEpoch + 1, 1 << 32, .counterOutOfRange),
        (gatewayEpoch + 1, UInt64.max, .counterOutOfRange),
    ])
    func badInputIsRejected(gatewayTime: Double, counter: UInt64, reason: ClockObservation.Rejection) {
        for warmedUp in [false, true] {
            var fit = DeviceClockFit()
            if warmedUp {
                fit.observe(deviceCounter: 900, gatewayTime: gatewayEpoch)
                fit.observe(deviceCounter: 950, gatewayTime: gatewayEpoch + 0.06)
            }
            let before = fit.mapToGateway(deviceSeconds: 1)
            let observation = fit.observe(deviceCounter: counter, gatewayTime: gatewayTime)
            #expect(observation.event == .rejected(reason))
            #expect(observation.deviceSeconds.isNaN && observation.excessDelay.isNaN)
            #expect(!observation.event.startsSegment)
            #expect(fit.observations == (warmedUp ? 2 : 0) && fit.segment == 0)
            #expect(fit.mapToGateway(deviceSeconds: 1) == before)
        }
    }

    @Test func nonFiniteDeviceSecondsDoNotMap() {
        var fit = DeviceClockFit()
        fit.observe(deviceCounter: 0, gatewayTime: gatewayEpoch)
        #expect(fit.mapToGateway(deviceSeconds: .nan) == nil)
        #expect(fit.mapToGateway(deviceSeconds: .infinity) == nil)
    }

    @Test func microsecondGatewayTimes() {
        var seconds = DeviceClockFit()
        var micros = DeviceClockFit()
        for index in 0 ..< 50 {
            let time = Int64(1_790_000_000_000_000) + Int64(index) * 100_013
            let a = seconds.observe(deviceCounter: UInt64(index * 100), gatewayTime: Double(time) / 1_000_000)
            let b = micros.observe(deviceCounter: UInt64(index * 100), gatewayMicroseconds: time)
            #expect(a == b)
        }
        #expect(seconds.mapToGateway(deviceSeconds: 7.3) == micros.mapToGateway(deviceSeconds: 7.3))
    }

    /// The library's own `e^(−z)` against Foundation's.
    @Test func exponentialDecay() {
        for z in [0, 1e-9, 0.001, 0.0055, 1.0 / 64, 0.5, 1, 2, 10, 50, 300, 699] as [Double] {
            let expected = exp(-z)
            let actual = DriftRegression.exponentialDecay(z)
            #expect(abs(actual - expected) <= 1e-9 * expected, "z \(z): \(actual) vs \(expected)")
        }
        #expect(DriftRegression.exponentialDecay(700) == 0 && DriftRegression.exponentialDecay(.infinity) == 0)
    }
}
