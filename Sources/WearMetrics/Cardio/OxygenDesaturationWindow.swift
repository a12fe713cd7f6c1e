extension Metric {
    // Pulse oximetry (OxygenDesaturationWindow).
    /// A desaturation episode (``OxygenDesaturation``): time its start, end its end; value
    /// the fall from the start to the lowest sample, percentage points.
    public static let spo2Desaturation = Metric("spo2_desaturation", unit: "%")
    /// Oxygen desaturation index over a window: episodes per hour (ODI3).
    public static let oxygenDesaturationIndex = Metric("odi", unit: "/h")
    /// Mean and lowest SpO2 over a window (of the 1 Hz series).
    public static let spo2Mean = Metric("spo2_mean", unit: "%")
    public static let spo2Minimum = Metric("spo2_min", unit: "%")

    public static let oximetry: [Metric] = [.spo2Desaturation, .oxygenDesaturationIndex, .spo2Mean, .spo2Minimum]
}

/// Desaturations of a live SpO2 stream over consecutive windows of ``duration`` seconds (an
/// hour), aligned to multiples of the duration on the clock the stream is fed, as
/// ``HRVWindow`` aligns its own.
///
/// The stream is resampled to what ``OxygenDesaturation`` assumes: one value a second, the
/// last of that second, rounded to whole percent; a second with no value repeats the one
/// before for up to ``maximumGap`` seconds (a pulse oximeter reports about once a second, not
/// on the second). A longer gap, or a step back in time, closes the window early (the rest of
/// the hour, if it has enough values, gets records of its own with the same time and end, each
/// quality the share of the hour it covers: the detector needs an unbroken series). At a
/// window's end its episodes are recorded (``Metric/spo2Desaturation``), then its ODI, mean and
/// minimum (time = window start, end = window end, quality = the share of the window with
/// values). A window with less than ``minimumSeconds`` of values gives no records.
///
/// Episodes are found within a window: a desaturation across a window's end is cut there (an
/// hour holds dozens of them at the ODI of sleep apnoea, so one per hour at most is affected).
/// The series has a fixed capacity (one value per second of the window): adding a value
/// allocates nothing; the detection at a window's end allocates its event lists once.
public struct OxygenDesaturationWindow: Sendable {
    public let duration: Int64
    public let maximumGap: Int64
    public let minimumSeconds: Int
    private var series: [Double]
    /// The window's start and the second of the series' last value, s on the stream's clock.
    private var windowStart: Int64?
    private var lastSecond: Int64 = 0

    public init(duration: Int64 = 3600, maximumGap: Int64 = 5, minimumSeconds: Int = 600) {
        self.duration = duration
        self.maximumGap = maximumGap
        self.minimumSeconds = minimumSeconds
        series = []
        series.reserveCapacity(Int(duration))
    }

    /// One SpO2 value (%) at `time` (s).
    public mutating func add(_ percent: Double, at time: Double, into sink: inout some MetricRecordSink) {
        guard percent.isFinite, percent > 0, percent <= 100, time.isFinite, abs(time) < 1e15 else { return }
        let second = Int64(time.rounded(.down))
        let start = second - ((second % duration) + duration) % duration
        if let current = windowStart {
            let gap = second - lastSecond
            if start != current || gap < 0 || gap > maximumGap { close(into: &sink) }
        }
        let value = percent.rounded()
        guard windowStart != nil else {
            windowStart = start
            lastSecond = second
            series.append(value)
            return
        }
        // The last value of a second stands for it.
        if second == lastSecond {
            series[series.count - 1] = value
            return
        }
        // Seconds without a value carry the one before forward.
        let carried = series[series.count - 1]
        for _ in 1..<(second - lastSecond) where series.count < Int(duration) { series.append(carried) }
        lastSecond = second
        if series.count < Int(duration) { series.append(value) }
    }

    /// Records the window in progress (the end of a stream).
    public mutating func finish(into sink: inout some MetricRecordSink) { close(into: &sink) }

    private mutating func close(into sink: inout some MetricRecordSink) {
        defer {
            windowStart = nil
            series.removeAll(keepingCapacity: true)
        }
        guard let start = windowStart, series.count >= minimumSeconds else { return }
        // The series' first value is at the first second with a value (not the window's start).
        let first = Double(lastSecond - Int64(series.count - 1))
        let events = OxygenDesaturation.events(in: series)
        let episodes = OxygenDesaturation.episodes(of: events, in: series)
        for episode in episodes {
            sink.record(MetricRecord(.spo2Desaturation, time: first + Double(episode.start), end: first + Double(episode.end),
                                     value: series[episode.start] - series[episode.nadir]))
        }
        let end = Double(start + duration)
        let quality = min(Double(series.count) / Double(duration), 1)
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: Double(start), end: end, value: value, quality: quality))
        }
        record(.oxygenDesaturationIndex, OxygenDesaturation.index(episodes: episodes.count, seconds: series.count))
        record(.spo2Mean, series.reduce(0, +) / Double(series.count))
        record(.spo2Minimum, series.min() ?? 0)
    }
}
