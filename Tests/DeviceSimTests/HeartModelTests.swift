import Testing
import WearMetrics
@testable import DeviceSim

/// The heart model's own behaviour: kinetics, determinism, ectopic beats, variability falling with
/// effort. (NeuroKit2 comparisons are in HeartReferenceTests.swift.)
@Suite struct HeartModelTests {
    /// Time (s) after a step from rest to `intensity` at which the mean heart rate has covered
    /// 63 % of its change.
    static func timeToSixtyThreePercent(persona: HeartPersona, intensity: Double, seed: UInt64) -> Double? {
        var heart = HeartModel(persona: persona, seed: seed)
        let start = heart.heartRate
        let target = persona.restingHeartRate + persona.heartRateReserve * intensity
        var previousTime = 0.0, previousRate = start
        while heart.time < 600 {
            _ = heart.nextBeat(intensity: intensity)
            let rate = heart.heartRate
            let threshold = start + 0.632 * (target - start)
            if rate >= threshold {
                // Interpolate within the beat for sub-beat resolution.
                return previousTime + (threshold - previousRate) / (rate - previousRate) * (heart.time - previousTime)
            }
            previousTime = heart.time
            previousRate = rate
        }
        return nil
    }

    @Test(arguments: [0.0, 0.5, 1.0])
    func onsetFollowsTheConfiguredTimeConstant(fitness: Double) throws {
        let persona = HeartPersona(age: 30, sex: .male, fitness: fitness)
        let configured = HeartRateKinetics(persona: persona).onsetTimeConstant
        #expect((30...60).contains(configured))
        let measured = try #require(Self.timeToSixtyThreePercent(persona: persona, intensity: 0.6, seed: 11))
        // One beat (~1 s) of discretisation either way.
        #expect(abs(measured - configured) < 2, "63 % after \(measured) s, configured τ_on \(configured) s")
    }

    @Test func recoveryIsFastThenSlow() {
        let persona = HeartPersona(age: 40, fitness: 0.5)
        var heart = HeartModel(configuration: .init(persona: persona), seed: 3, initialIntensity: 0.7)
        let exercising = heart.heartRate
        func rate(after seconds: Double) -> Double {
            while heart.time < seconds { _ = heart.nextBeat(intensity: 0) }
            return heart.heartRate
        }
        let at30 = rate(after: 30), at60 = rate(after: 60), at120 = rate(after: 120), at150 = rate(after: 150)
        let firstMinuteDrop = exercising - at60
        // Heart-rate recovery at 1 min of healthy adults: typically 15–45 bpm (Cole et al. 1999,
        // N Engl J Med 341:1351, abnormal ≤ 12 bpm).
        #expect((15...45).contains(firstMinuteDrop), "HRR1 \(firstMinuteDrop) bpm")
        let earlySlope = (exercising - at30) / 30, lateSlope = (at120 - at150) / 30
        #expect(earlySlope > 2.5 * lateSlope, "early \(earlySlope) bpm/s, late \(lateSlope) bpm/s")
        #expect(at150 > persona.restingHeartRate + 5)  // the slow phase is still going on
    }

    @Test func steadyStateMatchesTheReserveFraction() {
        let persona = HeartPersona(age: 50, sex: .female, restingHeartRate: 65, fitness: 0.3)
        #expect(persona.maximumHeartRate == 208 - 0.7 * 50)  // Tanaka et al. 2001
        var heart = HeartModel(persona: persona, seed: 5)
        var sum = 0.0, count = 0
        while heart.time < 900 {
            let beat = heart.nextBeat(intensity: 0.5)
            if beat.time > 600 { sum += beat.rr; count += 1 }
        }
        let measured = 60 / (sum / Double(count))
        let expected = 65 + 0.5 * (persona.maximumHeartRate - 65)
        #expect(abs(measured - expected) < 3, "\(measured) bpm vs \(expected)")
    }

    @Test func variabilityFallsWithEffort() throws {
        func rmssd(intensity: Double) throws -> Double {
            var heart = HeartModel(configuration: .init(persona: HeartPersona()), seed: 9, initialIntensity: intensity)
            let intervals = (0..<300).map { _ in heart.nextBeat(intensity: intensity).rr }
            return try #require(HRVTimeDomain(intervals: intervals.map { $0 * 1000 })).rmssd
        }
        let rest = try rmssd(intensity: 0), moderate = try rmssd(intensity: 0.7)
        // Resting RMSSD of healthy adults ~20–60 ms (Nunan et al. 2010, PACE 33:1407); a few ms
        // above 60 % of reserve (Tulppo et al. 1996).
        #expect((20...70).contains(rest), "RMSSD at rest \(rest) ms")
        #expect(moderate < 0.2 * rest, "RMSSD at 0.7: \(moderate) ms, at rest \(rest) ms")
    }

    @Test func breathingSpeedsUpWithEffort() {
        var heart = HeartModel(configuration: .init(persona: HeartPersona()), seed: 2)
        #expect(abs(heart.respirationRate - 0.25) < 1e-9)
        while heart.time < 300 { _ = heart.nextBeat(intensity: 0.8) }
        #expect(heart.respirationRate > 0.55)
    }

    @Test func ectopicBeatsComeWithACompensatoryPause() {
        var configuration = HeartModel.Configuration(persona: HeartPersona())
        configuration.ectopicBeatProbability = 0.05
        var heart = HeartModel(configuration: configuration, seed: 21)
        let beats = (0..<2000).map { _ in heart.nextBeat(intensity: 0) }
        var ectopics = 0
        for index in 1..<(beats.count - 1) where beats[index].kind == .ectopic {
            ectopics += 1
            #expect(beats[index + 1].kind == .compensatory)
            // Against the sinus interval before (not a pause ending an earlier ectopic pair).
            guard beats[index - 1].kind == .normal else { continue }
            let before = beats[index - 1], ectopic = beats[index], after = beats[index + 1]
            #expect(ectopic.rr < 0.8 * before.rr)
            // Coupling + pause = two sinus cycles (± the sinus variability of the hidden cycle).
            let pair = ectopic.rr + after.rr
            #expect(abs(pair - 2 * before.rr) < 0.35 * before.rr, "pair \(pair) s vs 2×\(before.rr) s")
        }
        #expect((50...150).contains(ectopics), "\(ectopics) ectopic beats in 2000")
        // Beats stay in time order and their intervals add up.
        for index in 1..<beats.count {
            #expect(abs(beats[index].time - beats[index - 1].time - beats[index].rr) < 1e-9)
        }
    }

    @Test func sameSeedSameBeatsDifferentSeedDifferentBeats() {
        var configuration = HeartModel.Configuration(persona: HeartPersona(age: 60, fitness: 0.2))
        configuration.ectopicBeatProbability = 0.01
        func beats(seed: UInt64) -> [HeartBeat] {
            var heart = HeartModel(configuration: configuration, seed: seed)
            return (0..<600).map { index in heart.nextBeat(intensity: index < 300 ? 0.1 : 0.6) }
        }
        #expect(beats(seed: 42) == beats(seed: 42))
        let other = beats(seed: 43)
        #expect(beats(seed: 42) != other)
        #expect(zip(beats(seed: 42), other).filter { $0.rr == $1.rr }.count < 10)
    }
}
