#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sleep stage as a wrist device can tell them: wake, light (N1 and N2), deep (N3), REM.
/// Stored as `sleep_stage` records with the raw value.
public enum SleepStage: Int, Sendable, Equatable, CaseIterable {
    case wake = 0, light = 1, deep = 2, rem = 3

    public var name: String {
        switch self {
        case .wake: "wake"
        case .light: "light"
        case .deep: "deep"
        case .rem: "rem"
        }
    }
}

/// The heart's beats within one minute, summed for the stage features: beats, the sum of
/// their RR intervals (ms) and of the squared differences between successive intervals.
public struct MinuteBeats: Sendable, Equatable {
    public var beats = 0.0
    public var intervalSum = 0.0
    public var squaredDifferenceSum = 0.0
    public var differences = 0.0

    public init() {}

    /// One RR interval (ms) ending in the minute; `previous` the interval before it, if it
    /// was contiguous.
    public mutating func add(_ interval: Double, previous: Double?) {
        beats += 1
        intervalSum += interval
        if let previous {
            squaredDifferenceSum += (interval - previous) * (interval - previous)
            differences += 1
        }
    }
}

/// Four sleep stages per minute from wrist movement and heart rate: which minutes are awake
/// comes from the movement (``SleepScoring``), and the sleep between from the heart, by the
/// autonomic signature of each stage:
///
/// - deep sleep (N3): the lowest heart rate, the largest respiratory (vagal) variability, the
///   steadiest rate;
/// - REM: a rate up towards waking levels and unsteady (surges), less vagal variability;
/// - light sleep: between (Bonnet & Arand 1997, Electroencephalogr Clin Neurophysiol 102:390;
///   Trinder et al. 2001, J Sleep Res 10:253; Penzel et al. 2003, IEEE Trans Biomed Eng 50:1143).
///
/// Per minute, over centred windows: the heart rate over 5 minutes less its 61-minute rolling
/// median (the night's slow decline removed), ln RMSSD over 5 minutes, and the standard
/// deviation of the minute heart rates over 11 minutes; each as a robust z-score over the
/// night's sleep minutes ((x − median) / (1.4826 MAD)). Then, of the minutes asleep,
///
///     deep = (−z_rate + z_rmssd − z_unsteadiness) / 3 > 0.75 (and ≥ rem), else
///     rem  = (z_rate + z_unsteadiness) / 2 > 0.75, 45 minutes or more after sleep onset (REM
///            latency is 70-120 minutes in healthy adults: Carskadon & Dement 2011), else
///     light.
///
/// This is a transparent rule on published physiology, not a model trained on polysomnography;
/// its thresholds (three quarters of a robust standard deviation) are round numbers, not fitted.
/// Its accuracy against the simulator's hypnograms is in the README; against scored nights, it
/// is untested (published wrist staging from movement and heart rate reaches 60-70 % over four
/// classes: Walch et al. 2019, Sleep 42:zsz180).
public enum SleepStaging {
    public static let threshold = 0.75
    /// Minutes after sleep onset before REM is scored.
    public static let remLatency = 45

    /// The stages of `asleep.count` minutes: `asleep` from the movement scoring, `beats` per
    /// minute (the same count); `onset` the first minute of sleep. Without heart data (fewer
    /// than half the sleep minutes have beats) nil: movement tells only sleep from wake.
    public static func stages(asleep: [Bool], beats: [MinuteBeats], onset: Int) -> [SleepStage]? {
        let count = asleep.count
        guard beats.count == count, count > 0 else { return nil }
        let rate = centredRate(beats, half: 2)
        let baseline = rollingMedian(rate, half: 30)
        let level = zip(rate, baseline).map { $0 - $1 }
        let rmssd = centredLogRMSSD(beats, half: 2)
        let minuteRates = beats.map { $0.beats > 0 && $0.intervalSum > 0 ? 60_000 * $0.beats / $0.intervalSum : Double.nan }
        let unsteadiness = rollingStandardDeviation(minuteRates, half: 5)
        let usable = asleep.indices.filter { asleep[$0] && !level[$0].isNaN && !rmssd[$0].isNaN && !unsteadiness[$0].isNaN }
        guard usable.count * 2 >= asleep.filter({ $0 }).count, usable.count >= 10 else { return nil }
        let zLevel = robustZ(level, over: usable), zRMSSD = robustZ(rmssd, over: usable)
        let zUnsteady = robustZ(unsteadiness, over: usable)
        return (0..<count).map { minute in
            guard asleep[minute] else { return .wake }
            guard !zLevel[minute].isNaN, !zRMSSD[minute].isNaN, !zUnsteady[minute].isNaN else { return .light }
            let deep = (-zLevel[minute] + zRMSSD[minute] - zUnsteady[minute]) / 3
            let rem = (zLevel[minute] + zUnsteady[minute]) / 2
            if deep > threshold, deep >= rem { return .deep }
            if rem > threshold, minute - onset >= remLatency { return .rem }
            return .light
        }
    }

    /// Heart rate (bpm) over the minutes within `half` of each.
    static func centredRate(_ beats: [MinuteBeats], half: Int) -> [Double] {
        centredSums(beats, half: half, count: \.beats, sum: \.intervalSum).map { count, sum in
            count >= 10 && sum > 0 ? 60_000 * count / sum : .nan
        }
    }

    /// ln RMSSD (ms) over the minutes within `half` of each.
    static func centredLogRMSSD(_ beats: [MinuteBeats], half: Int) -> [Double] {
        centredSums(beats, half: half, count: \.differences, sum: \.squaredDifferenceSum).map { count, sum in
            count >= 10 && sum > 0 ? log((sum / count).squareRoot()) : .nan
        }
    }

    /// Per minute, the sums of two of the minutes' fields over the minutes within `half` of it.
    static func centredSums(_ beats: [MinuteBeats], half: Int, count: KeyPath<MinuteBeats, Double>,
                            sum: KeyPath<MinuteBeats, Double>) -> [(count: Double, sum: Double)] {
        beats.indices.map { index in
            var total = (count: 0.0, sum: 0.0)
            for minute in max(index - half, 0)...min(index + half, beats.count - 1) {
                total.count += beats[minute][keyPath: count]
                total.sum += beats[minute][keyPath: sum]
            }
            return total
        }
    }

    static func rollingMedian(_ values: [Double], half: Int) -> [Double] {
        SleepPeriod.rollingMedian(values, window: 2 * half + 1)
    }

    /// The sample standard deviation of the values (nan ignored) within `half` of each.
    static func rollingStandardDeviation(_ values: [Double], half: Int) -> [Double] {
        values.indices.map { index in
            var n = 0.0, sum = 0.0, squares = 0.0
            for value in values[max(index - half, 0)...min(index + half, values.count - 1)] where !value.isNaN {
                n += 1
                sum += value
                squares += value * value
            }
            guard n >= 3 else { return .nan }
            return max((squares - sum * sum / n) / (n - 1), 0).squareRoot()
        }
    }

    /// (x − median) / (1.4826 · MAD), the median and MAD over the values at `indices`.
    static func robustZ(_ values: [Double], over indices: [Int]) -> [Double] {
        let sample = indices.map { values[$0] }.sorted()
        let median = SleepPeriod.percentile(sample, 50)
        let deviations = sample.map { abs($0 - median) }.sorted()
        let scale = 1.4826 * SleepPeriod.percentile(deviations, 50)
        guard scale > 0 else { return values.map { _ in 0 } }
        return values.map { ($0 - median) / scale }
    }
}
