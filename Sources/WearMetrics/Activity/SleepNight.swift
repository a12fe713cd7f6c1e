extension Metric {
    // The night (SleepNight): each record's time is the sleep period's start, its end the period's end.
    /// The sleep period time window (HDCZA), minutes.
    public static let sleepPeriod = Metric("sleep_period", unit: "min")
    /// From the period's start to the first minute of sleep.
    public static let sleepOnsetLatency = Metric("sleep_onset_latency", unit: "min")
    public static let totalSleepTime = Metric("total_sleep_time", unit: "min")
    public static let wakeAfterSleepOnset = Metric("wake_after_sleep_onset", unit: "min")
    /// Runs of wake between sleep onset and the last minute of sleep.
    public static let awakenings = Metric("awakenings", unit: "{count}")
    /// Total sleep time over the sleep period, %.
    public static let sleepEfficiency = Metric("sleep_efficiency", unit: "%")
    public static let lightSleep = Metric("light_sleep", unit: "min")
    public static let deepSleep = Metric("deep_sleep", unit: "min")
    public static let remSleep = Metric("rem_sleep", unit: "min")
    /// Per minute of the sleep period: 0 wake, 1 light, 2 deep, 3 REM (``SleepStage``).
    public static let sleepStage = Metric("sleep_stage", unit: "1")

    public static let night: [Metric] = [
        .sleepPeriod, .sleepOnsetLatency, .totalSleepTime, .wakeAfterSleepOnset, .awakenings, .sleepEfficiency,
        .lightSleep, .deepSleep, .remSleep, .sleepStage,
    ]
}

/// One wristband's nights, live: its acceleration, 60 s activity-count epochs and RR intervals
/// are held for a day, local noon to noon (``LocalDays``: UTC unless told), and when the day is over (a
/// value of the next day arrives, or ``finish(into:)``) its night is analysed:
///
/// 1. the sleep period time window from the arm's z-angle per 5 s (``SleepPeriod``, HDCZA);
/// 2. sleep and wake per minute within it, Cole-Kripke on the counts' vector magnitude
///    (``SleepScoring``; minutes without counts count as still), and the summary of the window
///    (``SleepSummary``): onset latency, total sleep time, WASO, awakenings, efficiency;
/// 3. stages per minute (``SleepStaging``) when the heart was heard through the night.
///
/// Memory is fixed (25 hours of 5 s angles and of minutes, the longest day summer time makes,
/// allocated with the first value); each sample costs a few additions.
public struct SleepNight: Sendable {
    public static let angleEpoch = 5.0
    static let anglesPerDay = 25 * 720
    static let minutesPerDay = 25 * 60

    /// Where the wearer's days begin.
    public let days: LocalDays
    /// The day held: noon (s), and the next noon.
    public private(set) var dayStart: Double?
    private var dayEnd = 0.0
    private var angles: [Double] = []
    private var counts: [Double] = []
    private var beats: [MinuteBeats] = []
    /// The 5 s epoch being averaged: its index in the day, and its sums.
    private var angleEpoch = -1
    /// Its bounds, s (empty while none is in progress).
    @usableFromInline var angleEpochStart = Double.infinity
    @usableFromInline var angleEpochEnd = -Double.infinity
    @usableFromInline var sum = (x: 0.0, y: 0.0, z: 0.0, n: 0.0)
    /// The last RR interval and when it ended, for successive differences.
    private var previousInterval: (ms: Double, end: Double)?
    /// Whether anything was held this day.
    private var holdsData = false

    public init(days: LocalDays = .utc) {
        self.days = days
    }

    /// One acceleration sample (g) at `time` (s).
    ///
    /// Inlinable, with the 5 s epoch in progress as two bounds: a sample within them is four
    /// additions (this runs 50 times a second per band).
    @inlinable
    public mutating func addAcceleration(x: Double, y: Double, z: Double, at time: Double,
                                         into sink: inout some MetricRecordSink) {
        if !(time >= angleEpochStart && time < angleEpochEnd) {
            guard startAngleEpoch(at: time, into: &sink) else { return }
        }
        sum.x += x
        sum.y += y
        sum.z += z
        sum.n += 1
    }

    /// Closes the 5 s epoch in progress and starts the one `time` is in; false for a time the
    /// day does not take.
    @usableFromInline
    mutating func startAngleEpoch(at time: Double, into sink: inout some MetricRecordSink) -> Bool {
        guard let offset = offset(of: time, into: &sink), let start = dayStart else { return false }
        closeAngleEpoch()
        angleEpoch = Int(offset / Self.angleEpoch)
        angleEpochStart = start + Double(angleEpoch) * Self.angleEpoch
        angleEpochEnd = min(angleEpochStart + Self.angleEpoch, dayEnd)
        return true
    }

    /// An activity-count epoch of 60 s starting at `start` (s), its vector magnitude.
    public mutating func addEpoch(counts value: Double, start: Double, into sink: inout some MetricRecordSink) {
        guard let offset = offset(of: start, into: &sink) else { return }
        counts[min(Int(offset / 60), Self.minutesPerDay - 1)] = value
    }

    /// An RR interval (ms) ending at `time` (s). Intervals more than 3 s apart (beyond the
    /// interval itself) are not differenced.
    public mutating func addInterval(_ interval: Double, endingAt time: Double, into sink: inout some MetricRecordSink) {
        guard interval.isFinite, interval > 200, interval < 2_500, let offset = offset(of: time, into: &sink) else { return }
        let previous = previousInterval.flatMap { time - $0.end < interval / 1000 + 3 ? $0.ms : nil }
        beats[min(Int(offset / 60), Self.minutesPerDay - 1)].add(interval, previous: previous)
        previousInterval = (interval, time)
    }

    /// Analyses the day held (the end of the run).
    public mutating func finish(into sink: inout some MetricRecordSink) {
        closeAngleEpoch()
        if let dayStart, holdsData {
            Self.analyse(dayStart: dayStart, angles: angles, counts: counts, beats: beats, into: &sink)
        }
        reset()
        dayStart = nil
    }

    /// Seconds into the day held, after moving to `time`'s day if it is later; nil for a time
    /// before the day held (late data of an analysed day) or not finite.
    private mutating func offset(of time: Double, into sink: inout some MetricRecordSink) -> Double? {
        guard time.isFinite, abs(time) < 1e15 else { return nil }
        if dayStart != nil, time >= dayEnd { finish(into: &sink) }
        if dayStart == nil {
            let start = days.start(containing: time, hour: 12)
            dayStart = start
            dayEnd = days.start(after: start, hour: 12)
            if angles.isEmpty {
                angles = [Double](repeating: .nan, count: Self.anglesPerDay)
                counts = [Double](repeating: .nan, count: Self.minutesPerDay)
                beats = [MinuteBeats](repeating: MinuteBeats(), count: Self.minutesPerDay)
            }
        }
        guard let start = dayStart, time >= start else { return nil }
        holdsData = true
        return time - start
    }

    private mutating func closeAngleEpoch() {
        if angleEpoch >= 0, angleEpoch < angles.count, sum.n > 0 {
            angles[angleEpoch] = SleepPeriod.zAngle(x: sum.x / sum.n, y: sum.y / sum.n, z: sum.z / sum.n)
        }
        sum = (0, 0, 0, 0)
        angleEpoch = -1
        angleEpochStart = .infinity
        angleEpochEnd = -.infinity
    }

    /// Empties the day held (after ``closeAngleEpoch()``).
    private mutating func reset() {
        for index in angles.indices { angles[index] = .nan }
        for index in counts.indices { counts[index] = .nan }
        for index in beats.indices { beats[index] = MinuteBeats() }
        previousInterval = nil
        holdsData = false
    }

    /// The night of one day: `angles` per 5 s, `counts` and `beats` per minute from `dayStart`
    /// (nan where nothing was measured).
    public static func analyse(dayStart: Double, angles: [Double], counts: [Double], beats: [MinuteBeats],
                               into sink: inout some MetricRecordSink) {
        guard let window = SleepPeriod.window(angles: angles) else { return }
        let start = dayStart + Double(window.epochs.lowerBound) * angleEpoch
        let end = dayStart + Double(window.epochs.upperBound) * angleEpoch
        // The minutes whose start is in the window.
        let first = Int(((start - dayStart) / 60).rounded(.up))
        let last = min(Int(((end - dayStart) / 60).rounded(.up)), counts.count)
        guard first < last else { return }
        let scored = SleepScoring.coleKripke(counts.map { $0.isNaN ? 0 : $0 })
        let asleep = Array(scored[first..<last])
        let summary = SleepSummary(asleep)
        let period = (end - start) / 60
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: start, end: end, value: value))
        }
        record(.sleepPeriod, period)
        guard let onset = summary.onset, let wake = summary.wake else {
            record(.totalSleepTime, 0)
            return
        }
        let minuteStart = dayStart + Double(first) * 60
        record(.sleepOnsetLatency, max(minuteStart + Double(onset) * 60 - start, 0) / 60)
        record(.totalSleepTime, Double(summary.totalSleep))
        record(.wakeAfterSleepOnset, Double(summary.wakeAfterSleepOnset))
        record(.awakenings, Double(summary.awakenings))
        record(.sleepEfficiency, period > 0 ? Double(summary.totalSleep) / period * 100 : 0)
        guard let stages = SleepStaging.stages(asleep: asleep, beats: Array(beats[first..<last]), onset: onset) else { return }
        var minutes = [SleepStage: Int]()
        for (index, stage) in stages.enumerated() {
            if index >= onset, index < wake { minutes[stage, default: 0] += 1 }
        }
        record(.lightSleep, Double(minutes[.light] ?? 0))
        record(.deepSleep, Double(minutes[.deep] ?? 0))
        record(.remSleep, Double(minutes[.rem] ?? 0))
        for (index, stage) in stages.enumerated() {
            let time = minuteStart + Double(index) * 60
            sink.record(MetricRecord(.sleepStage, time: time, end: time + 60, value: Double(stage.rawValue)))
        }
    }
}
