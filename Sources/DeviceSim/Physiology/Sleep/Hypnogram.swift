#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A sleep stage as sleep scoring names them, with N1 and N2 together as light sleep (the four
/// classes wrist-worn staging reports: wake, light, deep, REM).
public enum SleepStage: String, Sendable, Equatable, CaseIterable {
    case wake, light, deep, rem
}

/// One night's sleep stages: what a person in bed from `start` to `end` sleeps, stage by stage.
///
/// The structure of a healthy adult's night as Carskadon & Dement describe it ("Normal human sleep:
/// an overview", Principles and Practice of Sleep Medicine, 5th ed., 2011, ch. 2):
///
/// - **Sleep onset latency**: awake in bed first, lognormal with a median of 12 min (3 to 45 min).
/// - **NREM-REM cycles** of about 90 minutes (the first 70-100, later ones 90-120; here
///   normal, the first 88 ± 8 min within 72-110, the others 95 ± 10 within 70-125), so the first
///   REM comes 65 minutes or more after sleep onset; each cycle descends through
///   light sleep to deep sleep, back to light sleep, then REM: N1 → N2 → N3 → N2 → REM.
/// - **Deep sleep** (N3) dominates the first third of the night and fades: about 35 min in the
///   first cycle, 20 in the second, 8 in the third, 2 in the fourth, none later (each ×0.7-1.3).
/// - **REM** lengthens through the night: about 5 min in the first cycle, then 15, 22, 28 and 32
///   (each ×0.7-1.3), so the night holds about 20-25 % REM and 13-23 % deep sleep.
/// - **Awakenings**: after a cycle's REM, with probability 0.6 beyond the first cycle, a brief
///   awakening (exponential, mean 4 min, 0.5 to 15 min): wake after sleep onset of a few percent
///   of the night, more with age (Ohayon et al. 2004, Sleep 27:1255).
///
/// The night ends at `end` in whatever stage it is in (the alarm). Deterministic for a seed.
public struct Hypnogram: Sendable, Equatable {
    public struct Period: Sendable, Equatable {
        public var stage: SleepStage
        /// Scenario seconds.
        public var start: Double
        public var end: Double
    }

    public private(set) var periods: [Period] = []

    init(start: Double, end: Double, random: inout ModelRandom) {
        var time = start
        func add(_ stage: SleepStage, _ minutes: Double) {
            let until = min(time + max(minutes, 0.5) * 60, end)
            guard until > time else { return }
            if let last = periods.last, last.stage == stage {
                periods[periods.count - 1].end = until
            } else {
                periods.append(Period(stage: stage, start: time, end: until))
            }
            time = until
        }
        // Lognormal latency: median 12 min, σ = 0.5 in log units.
        add(.wake, min(max(12 * exp(0.5 * random.normal()), 3), 45))
        let deepMinutes: [Double] = [35, 20, 8, 2]
        let remMinutes: [Double] = [5, 15, 22, 28, 32]
        var cycle = 0
        while time < end {
            let length = cycle == 0 ? min(max(88 + 8 * random.normal(), 72), 110) : min(max(95 + 10 * random.normal(), 70), 125)
            let deep = cycle < deepMinutes.count ? deepMinutes[cycle] * random.uniform(0.7...1.3) : 0
            let rem = remMinutes[min(cycle, remMinutes.count - 1)] * random.uniform(0.7...1.3)
            let light = max(length - deep - rem, 10)
            add(.light, deep > 0 ? 0.6 * light : light)
            if deep > 0 {
                add(.deep, deep)
                add(.light, 0.4 * light)
            }
            add(.rem, rem)
            if cycle > 0, random.uniform() < 0.6 {
                add(.wake, min(max(random.exponential(mean: 4), 0.5), 15))
            }
            cycle += 1
        }
    }

    /// When the night starts and ends (its first period's start, its last's end), scenario s.
    public var start: Double { periods.first?.start ?? 0 }
    public var end: Double { periods.last?.end ?? 0 }

    /// Whether `time` is in the night.
    public func contains(_ time: Double) -> Bool { !periods.isEmpty && time >= start && time < end }

    /// The stage at scenario time `time` (wake outside the night).
    public func stage(at time: Double) -> SleepStage {
        // Periods are few (a few dozen a night): a binary search would not pay.
        for period in periods where time >= period.start && time < period.end { return period.stage }
        return .wake
    }
}
