extension Metric {
    // A wearer's day (DailySummary), local (LocalDays): time = the day's midnight, end = the next.
    /// Steps from the wrist over the day.
    public static let stepsDay = Metric("steps_day", unit: "{steps}")
    /// Total sleep time of the night that ended this day (its sleep period's end).
    public static let sleepTimeDay = Metric("sleep_time_day", unit: "min")
    /// The mean RMSSD of the 5-minute HRV windows within that night's sleep period.
    public static let rmssdNight = Metric("rmssd_night", unit: "ms")
    /// The lowest hourly SpO2 minimum of the day.
    public static let spo2MinimumDay = Metric("spo2_min_day", unit: "%")
    /// Desaturation episodes of the day over the hours of SpO2 it had.
    public static let oxygenDesaturationIndexDay = Metric("odi_day", unit: "/h")
    /// The mean of the day's hourly mean skin temperatures.
    public static let skinTemperatureDay = Metric("skin_temperature_day", unit: "Cel")

    public static let daily: [Metric] = [
        .stepsDay, .sleepTimeDay, .rmssdNight, .spo2MinimumDay, .oxygenDesaturationIndexDay, .skinTemperatureDay,
    ]
}

/// A wearer's day from the records of their wristband's metric stages: what the day summary
/// needs that no stage records per day. With the records the stages already give per UTC day
/// (``HeartRateLoad``: `energy_expenditure_day`, `trimp_day`, `active_minutes`,
/// `resting_heart_rate`), `gaitway query --daily` prints the whole summary.
///
/// Fed every record of one band (and of its wearer's heart-rate load) as they are made, in any
/// order within an hour or so: each record counts towards the local day (``LocalDays``) of its time (a night's
/// records, the day of the sleep period's end). A day is recorded once a record two hours past
/// its end arrives (hourly windows arrive up to an hour after their start, a night at noon), or
/// at ``finish(into:)``; a record for a day already recorded is not counted. A value with nothing
/// to summarise that day (no SpO2, no night) is not recorded.
public struct DailySummary: Sendable {
    struct Day: Sendable {
        var start: Double
        var end: Double
        var steps = 0.0, stepRecords = 0
        var sleepTime: Double?
        var rmssdNight: Double?
        var spo2Minimum = Double.infinity
        var desaturations = 0.0, oximetryHours = 0.0
        var temperatureSum = 0.0, temperatureCount = 0.0
    }

    /// The days open, oldest first (two at most: today and yesterday).
    private var open: [Day] = []
    /// Days up to this one (exclusive) are recorded.
    private var closedBefore = -Double.infinity
    /// The last 36 hours of RMSSD windows (time, value), for the night's mean when the night
    /// is known (at noon after it).
    private var rmssd: [(time: Double, value: Double)] = []

    /// Where the wearer's days begin.
    public let days: LocalDays

    public init(days: LocalDays = .utc) {
        self.days = days
        rmssd.reserveCapacity(Self.rmssdCapacity)
    }

    static let rmssdCapacity = 36 * 12

    public mutating func observe(_ record: MetricRecord, into sink: inout some MetricRecordSink) {
        guard record.value.isFinite, record.time.isFinite, abs(record.time) < 1e15 else { return }
        if record.metric == .rmssd {
            if rmssd.count == Self.rmssdCapacity { rmssd.removeFirst() }
            rmssd.append((record.time, record.value))
            return
        }
        // A night belongs to the day it ends on.
        let time = record.metric == .totalSleepTime ? record.end ?? record.time : record.time
        let start = days.start(containing: time)
        // Days two hours past their end are done.
        while let first = open.first, time >= first.end + 7_200 { close(into: &sink) }
        guard start >= closedBefore else { return }
        let index: Int
        if let existing = open.firstIndex(where: { $0.start == start }) {
            index = existing
        } else {
            open.append(Day(start: start, end: days.start(after: start)))
            open.sort { $0.start < $1.start }
            index = open.firstIndex { $0.start == start }!
        }
        switch record.metric {
        case .steps:
            open[index].steps += record.value
            open[index].stepRecords += 1
        case .totalSleepTime:
            open[index].sleepTime = record.value
            if let end = record.end {
                let night = rmssd.filter { $0.time >= record.time && $0.time < end }.map(\.value)
                if !night.isEmpty { open[index].rmssdNight = night.reduce(0, +) / Double(night.count) }
            }
        case .spo2Minimum:
            open[index].spo2Minimum = min(open[index].spo2Minimum, record.value)
        case .spo2Desaturation:
            open[index].desaturations += 1
        case .oxygenDesaturationIndex:
            open[index].oximetryHours += (record.quality ?? 1) * ((record.end ?? record.time + 3_600) - record.time) / 3_600
        case .skinTemperatureMean:
            open[index].temperatureSum += record.value
            open[index].temperatureCount += 1
        default:
            break
        }
    }

    /// Records the days still open.
    public mutating func finish(into sink: inout some MetricRecordSink) {
        while !open.isEmpty { close(into: &sink) }
    }

    /// Records the oldest open day.
    private mutating func close(into sink: inout some MetricRecordSink) {
        let day = open.removeFirst()
        closedBefore = day.end
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: day.start, end: day.end, value: value))
        }
        if day.stepRecords > 0 { record(.stepsDay, day.steps) }
        if let sleep = day.sleepTime { record(.sleepTimeDay, sleep) }
        if let rmssd = day.rmssdNight { record(.rmssdNight, rmssd) }
        if day.spo2Minimum.isFinite { record(.spo2MinimumDay, day.spo2Minimum) }
        if day.oximetryHours > 0 { record(.oxygenDesaturationIndexDay, day.desaturations / day.oximetryHours) }
        if day.temperatureCount > 0 { record(.skinTemperatureDay, day.temperatureSum / day.temperatureCount) }
    }
}
