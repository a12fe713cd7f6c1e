import Testing
@testable import WearMetrics

/// Wraps, reboots and jumps of the device clock: what is reported, and how the mapping recovers.
@Suite struct DeviceClockFitSegmentTests {
    /// A `u32` ms counter starting 5 s before its wrap: one `.wrap`, and device time (and so
    /// the mapping) carries on without a 49.7-day step.
    @Test func wrapIsContinuous() {
        let seed: UInt64 = 0x00_3A9
        let clock = SyntheticDeviceClock(driftPPM: 40, bootTime: gatewayEpoch, secondsAtBoot: Double((1 << 32) - 5000) / 1000)
        var scenario = ClockScenario(clock: clock, seed: seed)
        scenario.send(from: 0, to: 60)
        let wraps = scenario.events { $0 == .wrap }
        #expect(wraps.count == 1, "seed \(seed)")
        #expect(abs((wraps.first?.sendTime ?? 0) - (gatewayEpoch + 5)) < 0.2, "seed \(seed)")
        let deviceTimes = scenario.arrivals.map(\.observation.deviceSeconds)
        let steps = zip(deviceTimes.dropFirst(), deviceTimes).map { $0 - $1 }
        #expect(steps.allSatisfy { $0 > 0.09 && $0 < 0.11 }, "largest step \(steps.max() ?? 0) s, seed \(seed)")
        #expect(deviceTimes.last! > Double(1 << 32) / 1000, "unwrapped past the modulus")
        #expect(scenario.worstMappingError(from: 0.5) < 0.005,
                "worst error \(scenario.worstMappingError(from: 0.5)) s, seed \(seed)")
        #expect(scenario.fit.segment == 0)
    }

    /// A 16-bit ms counter wraps every 65.5 s: each wrap is reported once, and the drift is
    /// still estimated across all of them.
    @Test func shortCounterWrapsOften() {
        let seed: UInt64 = 0x16_B17
        let clock = SyntheticDeviceClock(driftPPM: -60, bootTime: gatewayEpoch - 3, modulus: 1 << 16)
        var scenario = ClockScenario(fit: DeviceClockFit(counterModulus: 1 << 16), clock: clock, seed: seed)
        scenario.send(from: 0, to: 600)
        // Device time runs from 3 s to about 603 s: laps end at 65.536 s × 1…9.
        #expect(scenario.events { $0 == .wrap }.count == 9, "seed \(seed)")
        #expect(abs(scenario.fit.driftPPM + 60) < 5, "drift \(scenario.fit.driftPPM), seed \(seed)")
        #expect(scenario.worstMappingError(from: 60) < 0.005, "seed \(seed)")
        #expect(scenario.fit.segment == 0)
    }

    /// The firmware reboots after 10 minutes, is down 5 s, and its counter restarts at 0.
    @Test func rebootStartsASegment() throws {
        let seed: UInt64 = 0xB0_07
        var scenario = ClockScenario(clock: SyntheticDeviceClock(driftPPM: 70, bootTime: gatewayEpoch - 3000),
                                     seed: seed)
        scenario.send(from: 0, to: 600)
        let driftBefore = scenario.fit.driftPPM
        scenario.clock.bootTime = gatewayEpoch + 605
        scenario.send(from: 605, to: 665)
        let reboots = scenario.events { $0 == .reboot }
        #expect(reboots.count == 1, "seed \(seed)")
        let reboot = try #require(reboots.first)
        #expect(reboot.sendTime == gatewayEpoch + 605)
        #expect(reboot.observation.segment == 1 && scenario.fit.segment == 1)
        #expect(reboot.observation.deviceSeconds == 0, "the counter restarted")
        #expect(scenario.arrivals.filter { $0.observation.event.startsSegment }.count == 2)  // first, reboot
        // The crystal did not change: the drift carries over.
        #expect(abs(scenario.fit.driftPPM - 70) < 5 && abs(driftBefore - 70) < 5,
                "drift \(driftBefore) → \(scenario.fit.driftPPM), seed \(seed)")
        let error = scenario.worstMappingError(from: 610)
        #expect(error < 0.005, "worst error from 5 s after the reboot \(error) s, seed \(seed)")
        // The offset is the gateway time at which the new counter read 0: the boot.
        let offset = try #require(scenario.fit.offset)
        #expect(abs(offset - (gatewayEpoch + 605)) < 0.005, "offset \(offset - gatewayEpoch), seed \(seed)")
    }

    /// The brief's example: a counter at 3 000 000 ms, then 50 ms.
    @Test func counterDropIsAReboot() {
        var fit = DeviceClockFit()
        fit.observe(deviceCounter: 3_000_000, gatewayTime: gatewayEpoch)
        let observation = fit.observe(deviceCounter: 50, gatewayTime: gatewayEpoch + 0.1)
        #expect(observation.event == .reboot && observation.segment == 1)
        #expect(fit.mapToGateway(deviceSeconds: 0.05) == gatewayEpoch + 0.1)
    }

    /// The device clock jumps by an hour, forward then back.
    @Test(arguments: [3600.0, -3600.0])
    func jumpStartsASegment(seconds: Double) throws {
        let seed = UInt64(0x1_0000 + Int(seconds.magnitude)) ^ (seconds < 0 ? 0xFF : 0)
        var scenario = ClockScenario(clock: SyntheticDeviceClock(driftPPM: -30, bootTime: gatewayEpoch - 7200),
                                     seed: seed)
        scenario.send(from: 0, to: 300)
        scenario.clock.secondsAtBoot += seconds
        scenario.send(from: 300, to: 360)
        let jumps = scenario.arrivals.filter {
            if case .jump = $0.observation.event { true } else { false }
        }
        #expect(jumps.count == 1, "seed \(seed)")
        let jump = try #require(jumps.first)
        guard case .jump(let reported) = jump.observation.event else { return }
        #expect(abs(reported - seconds) < 0.5, "reported \(reported) s, seed \(seed)")
        #expect(jump.sendTime == gatewayEpoch + 300 && scenario.fit.segment == 1)
        #expect(scenario.events { $0 == .reboot }.isEmpty)
        let error = scenario.worstMappingError(from: 305)
        #expect(error < 0.005, "worst error from 5 s after the jump \(error) s, seed \(seed)")
        #expect(abs(scenario.fit.driftPPM + 30) < 5, "drift \(scenario.fit.driftPPM), seed \(seed)")
    }

    /// Steps below the jump threshold are not reported; the mapping follows a step forward
    /// within a few arrivals and a step back within five buckets, and the drift estimate
    /// is not bent.
    @Test(arguments: [0.5, -0.5, 1.5])
    func smallStepIsAbsorbed(seconds: Double) {
        let seed = UInt64(0x5_7E90) &+ UInt64(bitPattern: Int64(seconds * 10))
        var scenario = ClockScenario(clock: SyntheticDeviceClock(driftPPM: 60, bootTime: gatewayEpoch - 100),
                                     seed: seed)
        scenario.send(from: 0, to: 600)
        scenario.clock.secondsAtBoot += seconds
        scenario.send(from: 600, to: 1200)
        #expect(scenario.fit.segment == 0, "seed \(seed)")
        let recovery = seconds > 0 ? 605.0 : 660.0
        let error = scenario.worstMappingError(from: recovery)
        #expect(error < 0.005, "worst error after \(recovery) s: \(error) s, seed \(seed)")
        #expect(abs(scenario.fit.driftPPM - 60) < 5, "drift \(scenario.fit.driftPPM), seed \(seed)")
    }

    /// Notifications of two streams with their own timestamps, interleaved: a counter a
    /// little behind the last is a reordering, not a reboot.
    @Test func smallStepBackIsNotAReboot() {
        var fit = DeviceClockFit()
        fit.observe(deviceCounter: 10_000, gatewayTime: gatewayEpoch)
        fit.observe(deviceCounter: 10_100, gatewayTime: gatewayEpoch + 0.1)
        let behind = fit.observe(deviceCounter: 10_040, gatewayTime: gatewayEpoch + 0.11)
        #expect(behind.event == .continuous && fit.segment == 0)
        #expect(behind.deviceSeconds == Double(10_040) * 0.001)
        let duplicate = fit.observe(deviceCounter: 10_100, gatewayTime: gatewayEpoch + 0.2)
        #expect(duplicate.event == .continuous)
        #expect(fit.mapToGateway(deviceSeconds: 10.1) == gatewayEpoch + 0.1)
    }

    /// A reordered value from just before a wrap, after it: read back across the wrap, and
    /// the wrap is not reported a second time.
    @Test func reorderedAcrossTheWrap() {
        var fit = DeviceClockFit()
        let top = UInt64(1 << 32)
        fit.observe(deviceCounter: top - 100, gatewayTime: gatewayEpoch)
        #expect(fit.observe(deviceCounter: 20, gatewayTime: gatewayEpoch + 0.12).event == .wrap)
        let late = fit.observe(deviceCounter: top - 10, gatewayTime: gatewayEpoch + 0.13)
        #expect(late.event == .continuous && late.deviceSeconds == Double(top - 10) / 1000)
        #expect(fit.observe(deviceCounter: 120, gatewayTime: gatewayEpoch + 0.22).event == .continuous)
        #expect(fit.segment == 0)
    }
}
