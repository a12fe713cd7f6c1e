#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Metric {
    // Heart-rate load of a wearer (HeartRateLoad): per minute, per day, per recovery.
    /// Energy expended in a minute: Keytel et al. 2005 from the minute's heart rate, or the
    /// resting rate (1 MET) below the range their equations were fitted on.
    public static let energyExpenditure = Metric("energy_expenditure", unit: "kJ")
    /// The minute's Karvonen zone: 1 to 5 for 50-60, ..., 90-100 % of the heart-rate reserve, 0 below.
    public static let heartRateZone = Metric("heart_rate_zone", unit: "1")
    /// Banister's training impulse of a minute (arbitrary units).
    public static let trimp = Metric("trimp", unit: "1")
    /// A day's energy: measured minutes as above, minutes without heart rate at 1 MET.
    public static let dailyEnergyExpenditure = Metric("energy_expenditure_day", unit: "kJ")
    /// A day's TRIMP: the sum of its minutes'.
    public static let dailyTRIMP = Metric("trimp_day", unit: "1")
    /// Minutes of a day at moderate intensity or more: 40 % of the heart-rate reserve (ACSM).
    public static let activeMinutes = Metric("active_minutes", unit: "min")
    /// A day's lowest mean heart rate over 5 consecutive measured minutes.
    public static let restingHeartRate = Metric("resting_heart_rate", unit: "/min")
    /// Heart-rate recovery: the fall from the peak of an exercise bout to 60 s later (Cole et al. 1999).
    public static let heartRateRecovery = Metric("heart_rate_recovery", unit: "/min")

    public static let heartRateLoad: [Metric] = [
        .energyExpenditure, .heartRateZone, .trimp, .dailyEnergyExpenditure, .dailyTRIMP, .activeMinutes,
        .restingHeartRate, .heartRateRecovery,
    ]
}

/// What a wearer's heart rate says of their effort: energy expenditure, heart-rate zones and
/// training impulse per minute, their sums per day with the resting heart rate, and the
/// heart-rate recovery after each exercise bout. Fed a live heart-rate stream (bpm, the Heart
/// Rate Measurement's) on any clock; streaming, and nothing is allocated per sample.
///
/// **Minutes** are aligned to the clock. A sample stands for the time since the sample before
/// it, up to ``maximumSampleGap`` (a band reports about once a second; after a longer gap the
/// time is unmeasured). A minute at least ``minimumCoverage`` covered is measured: its heart rate
/// is the time-weighted mean, and it gives (time = minute start, end = + 60 s, quality = its
/// coverage), as far as the profile allows (a metric that needs a missing field is not computed):
///
/// - ``Metric/energyExpenditure`` (age, sex, weight): Keytel et al., J Sports Sci 23:289, 2005,
///   the equation without VO2max, kJ/min: men −55.0969 + 0.6309·HR + 0.1988·W + 0.2017·A, women
///   −20.4022 + 0.4472·HR − 0.1263·W + 0.074·A. Their steady-state stages ran at 57 to 90 % of
///   maximal heart rate, so below 57 % of HRmax (the profile's, or 208 − 0.7·age, Tanaka et al.,
///   JACC 37:153, 2001) the minute is counted at the resting rate, 1 MET = 1 kcal/kg/h
///   (Ainsworth et al.'s Compendium), as the FLEX-HR method counts minutes below its threshold
///   (Ceesay et al., Br J Nutr 61:175, 1989); never below that rate.
/// - ``Metric/heartRateZone`` (resting and maximum HR): heart-rate reserve fraction
///   HRr = (HR − HRrest) / (HRmax − HRrest) (Karvonen et al., Ann Med Exp Biol Fenn 35:307, 1957),
///   zone 1 from 0.5, one zone per 0.1, zone 5 from 0.9; 0 below 0.5.
/// - ``Metric/trimp`` (resting and maximum HR, sex): Banister's TRIMP of the minute's measured
///   time, t·HRr·0.64·e^(1.92·HRr) for men, t·HRr·0.86·e^(1.67·HRr) for women, t in minutes,
///   HRr clamped to [0, 1] (Banister 1991; Morton, Fitz-Clarke & Banister, J Appl Physiol 69:1171, 1990).
///
/// **Days** run from local midnight to midnight, as ``days`` places them on the clock it is fed
/// (the gateway's clock is UTC; a day is 23 or 25 hours across a change of summer time). When a
/// day ends (or at ``finish(into:)``, the part of it seen), its records (time = day start, end =
/// day end or the last minute's end, quality = measured minutes / minutes of that span):
/// ``Metric/dailyEnergyExpenditure`` (its minutes summed, unmeasured minutes at 1 MET: the day's
/// total, not only its measured part), ``Metric/dailyTRIMP``, ``Metric/activeMinutes`` (measured
/// minutes at HRr ≥ 0.4, the ACSM's lower bound of moderate intensity: Garber et al., Med Sci
/// Sports Exerc 43:1334, 2011), and ``Metric/restingHeartRate``: the lowest mean of 5 consecutive
/// measured minutes (the resting heart rate of a clinic is read after 5 minutes at rest; a day's
/// lowest 5 minutes are its nearest free-living equivalent).
///
/// **Recovery** (resting and maximum HR): an exercise bout is at least ``minimumBout`` seconds with
/// heart rate at or above 50 % of the reserve; it ends at the first sample below. Its peak is
/// the highest second of its last 240 s, and the record (time = the peak, end = 60 s later)
/// the peak's heart rate minus the heart rate 60 s after it (Cole et al., N Engl J Med 341:1351,
/// 1999: 12 bpm or less in the first minute is abnormal), once that second is seen; none if the
/// stream has no value within 3 s of it. A cool-down above 50 % of the reserve longer than
/// 4 minutes hides the true peak: the record then starts from the highest of the last 240 s.
public struct HeartRateLoad: Sendable {
    public let profile: WearerProfile
    /// Where the wearer's days begin.
    public let days: LocalDays
    public let maximumSampleGap: Double
    public let minimumCoverage: Double
    public let minimumBout: Int64

    /// The previous sample.
    private var last: (time: Double, bpm: Double)?

    // The minute in progress.
    private var minuteStart: Int64?
    private var covered = 0.0
    private var weightedSum = 0.0

    // The day in progress.
    private var dayStart: Int64?
    private var dayEnd: Int64 = 0
    /// The end of the last minute the day has seen, s.
    private var dayLastMinuteEnd: Int64 = 0
    private var dayEnergy = 0.0
    private var dayMeasured = 0
    private var dayTRIMP = 0.0
    private var dayActive = 0
    private var dayResting: Double?
    /// The latest measured minutes' heart rates (ring), with the minute each is of.
    private var recentMinutes = InlineArray<5, Double>(repeating: 0)
    private var recentMinuteIndex = InlineArray<5, Int64>(repeating: .min)

    // Recovery: the last 300 s, one value per second (the last sample of that second).
    private static let secondsKept = 300
    private var seconds = InlineArray<300, Double>(repeating: 0)
    private var secondStamps = InlineArray<300, Int64>(repeating: .min)
    private var boutStart: Int64?
    /// A bout ended; its peak waits for the heart rate 60 s later.
    private var pendingPeak: (second: Int64, bpm: Double)?

    public init(profile: WearerProfile, days: LocalDays = .utc, maximumSampleGap: Double = 5,
                minimumCoverage: Double = 0.5, minimumBout: Int64 = 180) {
        self.profile = profile
        self.days = days
        self.maximumSampleGap = maximumSampleGap
        self.minimumCoverage = minimumCoverage
        self.minimumBout = minimumBout
    }

    // MARK: Feeding

    /// One heart rate (bpm) at `time` (s).
    public mutating func add(_ bpm: Double, at time: Double, into sink: inout some MetricRecordSink) {
        guard bpm.isFinite, WearerProfile.heartRateRange.contains(bpm), time.isFinite, abs(time) < 1e15 else { return }
        if let previous = last, time < previous.time {
            restart()  // a step back in time: what was in progress is dropped
        }
        let second = Int64(time.rounded(.down))
        if let previous = last, time - previous.time <= maximumSampleGap {
            cover(from: previous.time, to: time, bpm: bpm, into: &sink)
        }
        advance(to: LocalDays.floor(second, 60), into: &sink)
        last = (time, bpm)
        recover(bpm, at: second, into: &sink)
    }

    /// Records the minute and the day in progress (the end of a stream).
    public mutating func finish(into sink: inout some MetricRecordSink) {
        closeMinute(into: &sink)
        closeDay(into: &sink)
        restart()
    }

    // MARK: Minutes

    /// Spreads the time between two samples, at the later one's heart rate, over the minutes it
    /// falls in (at most two: the gap is at most a few seconds).
    private mutating func cover(from start: Double, to end: Double, bpm: Double, into sink: inout some MetricRecordSink) {
        var from = start
        while from < end {
            let minute = LocalDays.floor(Int64(from.rounded(.down)), 60)
            advance(to: minute, into: &sink)
            let to = min(end, Double(minute + 60))
            covered += to - from
            weightedSum += (to - from) * bpm
            from = to
        }
    }

    /// Closes the minute in progress (and the day, when `minute` is of the next one) if
    /// `minute` is a later one.
    private mutating func advance(to minute: Int64, into sink: inout some MetricRecordSink) {
        if let current = minuteStart, current == minute { return }
        if minuteStart != nil { closeMinute(into: &sink) }
        // The day in progress holds the minute unless the minute is past its end.
        if let current = dayStart, minute < current || minute >= dayEnd { closeDay(into: &sink) }
        if dayStart == nil {
            let day = days.start(containing: minute)
            dayStart = day
            dayEnd = days.start(after: day)
        }
        minuteStart = minute
    }

    private mutating func closeMinute(into sink: inout some MetricRecordSink) {
        defer {
            minuteStart = nil
            covered = 0
            weightedSum = 0
        }
        guard let start = minuteStart else { return }
        dayLastMinuteEnd = start + 60
        let coverage = min(covered / 60, 1)
        guard coverage >= minimumCoverage else { return }
        let heartRate = weightedSum / covered
        let time = Double(start), end = Double(start + 60)
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: time, end: end, value: value, quality: coverage))
        }
        dayMeasured += 1
        if let energy = Self.energy(heartRate: heartRate, profile: profile) {
            record(.energyExpenditure, energy)
            dayEnergy += energy
        }
        if let reserve = Self.reserveFraction(heartRate: heartRate, profile: profile) {
            record(.heartRateZone, Self.zone(reserve: reserve))
            if reserve >= 0.4 { dayActive += 1 }
            if let sex = profile.sex {
                let impulse = Self.trimp(minutes: min(covered, 60) / 60, reserve: reserve, sex: sex)
                record(.trimp, impulse)
                dayTRIMP += impulse
            }
        }
        noteResting(heartRate, minute: start / 60)
    }

    /// The day's lowest mean of 5 consecutive measured minutes.
    private mutating func noteResting(_ heartRate: Double, minute: Int64) {
        let slot = Int(minute - LocalDays.floor(minute, 5))
        recentMinutes[slot] = heartRate
        recentMinuteIndex[slot] = minute
        var sum = 0.0
        for index in 0..<5 {
            // The ring holds the last 5 minutes only if each slot is of one of them.
            guard recentMinuteIndex[index] > minute - 5 else { return }
            sum += recentMinutes[index]
        }
        dayResting = min(dayResting ?? .infinity, sum / 5)
    }

    // MARK: Days

    private mutating func closeDay(into sink: inout some MetricRecordSink) {
        defer { resetDay() }
        guard let start = dayStart, dayLastMinuteEnd > start else { return }
        let end = min(dayLastMinuteEnd, dayEnd)
        let minutes = Int((end - start) / 60)
        guard dayMeasured > 0, minutes > 0 else { return }
        let quality = Double(dayMeasured) / Double(minutes)
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: Double(start), end: Double(end), value: value, quality: quality))
        }
        if let resting = Self.restingRate(profile), Self.energy(heartRate: 0, profile: profile) != nil {
            record(.dailyEnergyExpenditure, dayEnergy + Double(minutes - dayMeasured) * resting)
        }
        if Self.reserveFraction(heartRate: 0, profile: profile) != nil {
            record(.activeMinutes, Double(dayActive))
            if profile.sex != nil { record(.dailyTRIMP, dayTRIMP) }
        }
        if let resting = dayResting { record(.restingHeartRate, resting) }
    }

    // MARK: Recovery

    private mutating func recover(_ bpm: Double, at second: Int64, into sink: inout some MetricRecordSink) {
        let slot = Self.slot(of: second)
        seconds[slot] = bpm
        secondStamps[slot] = second
        if let peak = pendingPeak, second >= peak.second + 60 {
            pendingPeak = nil
            if let after = value(near: peak.second + 60, now: second) {
                sink.record(MetricRecord(.heartRateRecovery, time: Double(peak.second), end: Double(peak.second + 60),
                                         value: peak.bpm - after))
            }
        }
        guard let resting = profile.restingHeartRate, let maximum = profile.maximumHeartRate, maximum > resting else { return }
        let threshold = resting + 0.5 * (maximum - resting)
        if bpm >= threshold {
            if boutStart == nil { boutStart = second }
            return
        }
        guard let start = boutStart else { return }
        boutStart = nil
        guard second - start >= minimumBout, pendingPeak == nil else { return }
        var peak: (second: Int64, bpm: Double)?
        for index in 0..<Self.secondsKept {
            let stamp = secondStamps[index]
            guard stamp >= max(start, second - 240), stamp < second else { continue }
            // The latest of equal highs: the end of a steady effort is where recovery starts.
            if let best = peak, seconds[index] < best.bpm || (seconds[index] == best.bpm && stamp < best.second) { continue }
            peak = (stamp, seconds[index])
        }
        guard let peak else { return }
        if second >= peak.second + 60 {
            if let after = value(near: peak.second + 60, now: second) {
                sink.record(MetricRecord(.heartRateRecovery, time: Double(peak.second), end: Double(peak.second + 60),
                                         value: peak.bpm - after))
            }
        } else {
            pendingPeak = peak
        }
    }

    /// The kept heart rate nearest to `target`, within 3 s (an earlier second on a tie).
    private func value(near target: Int64, now: Int64) -> Double? {
        for distance in [0, -1, 1, -2, 2, -3, 3] as [Int64] {
            let second = target + distance
            guard second <= now, second > now - Int64(Self.secondsKept) else { continue }
            let slot = Self.slot(of: second)
            if secondStamps[slot] == second { return seconds[slot] }
        }
        return nil
    }

    private mutating func resetDay() {
        dayStart = nil
        dayEnergy = 0
        dayMeasured = 0
        dayTRIMP = 0
        dayActive = 0
        dayResting = nil
        recentMinuteIndex = InlineArray(repeating: .min)  // a day's 5 minutes are its own
    }

    private mutating func restart() {
        last = nil
        minuteStart = nil
        covered = 0
        weightedSum = 0
        resetDay()
        secondStamps = InlineArray(repeating: .min)
        boutStart = nil
        pendingPeak = nil
    }

    // MARK: The formulas

    /// Keytel et al. 2005 (without VO2max), kJ in a minute at `heartRate`, never below the
    /// resting rate, the resting rate below 57 % of HRmax; `nil` without age, sex and weight.
    public static func energy(heartRate: Double, profile: WearerProfile) -> Double? {
        guard let age = profile.age, let sex = profile.sex, let weight = profile.weight,
              let resting = restingRate(profile) else { return nil }
        let maximum = profile.maximumHeartRate ?? (208 - 0.7 * age)
        guard heartRate >= 0.57 * maximum else { return resting }
        let keytel = switch sex {
        case .male: -55.0969 + 0.6309 * heartRate + 0.1988 * weight + 0.2017 * age
        case .female: -20.4022 + 0.4472 * heartRate - 0.1263 * weight + 0.074 * age
        }
        return max(keytel, resting)
    }

    /// 1 MET (1 kcal per kg per hour, 4.184 kJ) for a minute, kJ; `nil` without weight.
    public static func restingRate(_ profile: WearerProfile) -> Double? {
        profile.weight.map { $0 * 4.184 / 60 }
    }

    /// Karvonen's heart-rate reserve fraction; `nil` without resting and maximum heart rate.
    public static func reserveFraction(heartRate: Double, profile: WearerProfile) -> Double? {
        guard let resting = profile.restingHeartRate, let maximum = profile.maximumHeartRate, maximum > resting else { return nil }
        return (heartRate - resting) / (maximum - resting)
    }

    /// 0 below half the reserve, then 1 to 5 per tenth.
    public static func zone(reserve: Double) -> Double {
        guard reserve >= 0.5 else { return 0 }
        return min(5, ((reserve - 0.5) * 10 + 1e-9).rounded(.down) + 1)
    }

    /// Banister's TRIMP of `minutes` at reserve fraction `reserve`.
    public static func trimp(minutes: Double, reserve: Double, sex: WearerProfile.Sex) -> Double {
        let fraction = min(max(reserve, 0), 1)
        return switch sex {
        case .male: minutes * fraction * 0.64 * exp(1.92 * fraction)
        case .female: minutes * fraction * 0.86 * exp(1.67 * fraction)
        }
    }

    /// The ring slot of the kept second `second`.
    private static func slot(of second: Int64) -> Int {
        Int(second - LocalDays.floor(second, Int64(secondsKept)))
    }
}
