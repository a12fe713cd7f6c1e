@testable import DeviceSim
import Testing

/// The simulator's night (Hypnogram, and what the stages do to the heart and the wrist) against
/// the structure of a healthy adult's night as the sleep literature gives it.
@Suite struct SleepNightModelTests {
    static func night(seed: UInt64, hours: Double = 8) -> Hypnogram {
        var random = ModelRandom.heart(seed: seed, stream: 0x534C_4545_50)
        return Hypnogram(start: 100, end: 100 + hours * 3600, random: &random)
    }

    static func minutes(_ night: Hypnogram, _ stage: SleepStage, in range: ClosedRange<Double>? = nil) -> Double {
        night.periods.filter { $0.stage == stage }.reduce(0) { total, period in
            let start = max(period.start, range?.lowerBound ?? period.start), end = min(period.end, range?.upperBound ?? period.end)
            return total + max(end - start, 0) / 60
        }
    }

    @Test func nightsHaveTheStructureOfHealthySleep() {
        for seed in UInt64(1)...20 {
            let night = Self.night(seed: seed)
            // Contiguous, from the start to the end, no empty period.
            #expect(night.start == 100 && night.end == 100 + 8 * 3600)
            #expect(zip(night.periods, night.periods.dropFirst()).allSatisfy { $0.end == $1.start && $0.stage != $1.stage })
            #expect(night.periods.allSatisfy { $0.end > $0.start })
            // Awake in bed first: 3 to 45 minutes.
            let latency = (night.periods[0].end - night.periods[0].start) / 60
            #expect(night.periods[0].stage == .wake && (3...45).contains(latency), "seed \(seed): latency \(latency)")
            let asleep = 8 * 60 - Self.minutes(night, .wake)
            let deep = Self.minutes(night, .deep) / asleep, rem = Self.minutes(night, .rem) / asleep
            // Carskadon & Dement: N3 13-23 %, REM 20-25 % of sleep; allow a night's spread.
            #expect((0.08...0.30).contains(deep), "seed \(seed): deep \(deep)")
            #expect((0.14...0.32).contains(rem), "seed \(seed): REM \(rem)")
            // Deep sleep in the first half, REM mostly in the second.
            let half = 100 + 4 * 3600.0
            #expect(Self.minutes(night, .deep, in: 100...half) > 0.75 * Self.minutes(night, .deep), "seed \(seed)")
            #expect(Self.minutes(night, .rem, in: half...(half + 4 * 3600)) > 0.55 * Self.minutes(night, .rem), "seed \(seed)")
            // The first REM comes after a full NREM descent: an hour or more after sleep onset.
            let onset = night.periods[0].end
            let firstREM = night.periods.first { $0.stage == .rem }!.start
            #expect(firstREM - onset > 3_600, "seed \(seed): REM latency \((firstREM - onset) / 60) min")
            // Four to six cycles in eight hours: REM periods.
            let cycles = night.periods.filter { $0.stage == .rem }.count
            #expect((4...6).contains(cycles), "seed \(seed): \(cycles) REM periods")
        }
        #expect(Self.night(seed: 3) == Self.night(seed: 3))
        #expect(Self.night(seed: 3) != Self.night(seed: 4))
    }

    /// The heart model's mean rate by stage: lowest in deep sleep, REM near waking rest.
    @Test func theHeartSlowsInDeepSleepAndRisesInREM() {
        var rates: [SleepStage?: Double] = [:]
        for stage in [nil, SleepStage.light, .deep, .rem] {
            var heart = HeartModel(persona: HeartPersona(age: 40, restingHeartRate: 60, maximumHeartRate: 180), seed: 5)
            heart.sleepStage = stage
            var beats: [Double] = []
            while heart.time < 900 {
                let beat = heart.nextBeat(intensity: 0)
                // After the 60 s transition.
                if beat.time > 300 { beats.append(beat.rr) }
            }
            rates[stage] = 60 / (beats.reduce(0, +) / Double(beats.count))
        }
        let awake = rates[nil]!, light = rates[.light]!, deep = rates[.deep]!, rem = rates[.rem]!
        #expect(deep < light && light < rem && rem < awake, "awake \(awake), light \(light), deep \(deep), REM \(rem)")
        #expect(abs(deep / awake - 0.88) < 0.03 && abs(rem / awake - 0.97) < 0.03)
    }

    /// The wrist in bed: restless awake, still in deep sleep.
    @Test func theWristIsStillestInDeepSleep() {
        func movement(_ stage: SleepStage) -> Double {
            var wrist = WristMotion(random: ModelRandom.heart(seed: 9, stream: 1))
            var previous: (x: Double, y: Double, z: Double)?
            var total = 0.0
            for tick in 0..<(50 * 3 * 3600) {
                let sample = wrist.sample(at: Double(tick) / 50, activity: .inBed(stage), lastLeftStrike: -1, lastStrike: -1,
                                          stepFrequency: 0)
                if let previous {
                    let change = abs(sample.x - previous.x) + abs(sample.y - previous.y) + abs(sample.z - previous.z)
                    if change > 0.05 { total += change }
                }
                previous = sample
            }
            return total
        }
        let wake = movement(.wake), light = movement(.light), deep = movement(.deep), rem = movement(.rem)
        #expect(deep < light && deep < rem && light < wake && rem < wake, "wake \(wake), light \(light), deep \(deep), REM \(rem)")
    }
}
