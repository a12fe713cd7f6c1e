extension Metric {
    // Skin temperature (SkinTemperatureWindow), of a wrist-worn Health Thermometer.
    /// Mean, lowest and highest reading over a window (an hour).
    public static let skinTemperatureMean = Metric("skin_temperature_mean", unit: "Cel")
    public static let skinTemperatureMinimum = Metric("skin_temperature_min", unit: "Cel")
    public static let skinTemperatureMaximum = Metric("skin_temperature_max", unit: "Cel")

    public static let skinTemperature: [Metric] = [.skinTemperatureMean, .skinTemperatureMinimum, .skinTemperatureMaximum]
}

/// Summaries of a skin-temperature stream (°C) over consecutive windows of ``duration``
/// seconds (an hour), aligned to multiples of the duration on the clock it is fed, as the other
/// windows of WearMetrics are: the mean, the lowest and the highest reading (time = window
/// start, end = window end, quality = the share of the window's minutes with a reading). A
/// window with readings in fewer than ``minimumMinutes`` minutes gives no records; a step back
/// in time drops the window in progress. A wristband's thermometer is on the skin, not in the
/// body: its readings follow sleep, exercise and the room, and are summarised, not judged
/// against a core-temperature range. Constant memory; nothing allocated per reading.
public struct SkinTemperatureWindow: Sendable {
    public let duration: Int64
    public let minimumMinutes: Int
    private var windowStart: Int64?
    private var lastTime = -Double.infinity
    private var lastMinute: Int64 = .min
    private var minutes = 0
    private var count = 0
    private var sum = 0.0
    private var lowest = Double.infinity
    private var highest = -Double.infinity

    public init(duration: Int64 = 3600, minimumMinutes: Int = 10) {
        self.duration = duration
        self.minimumMinutes = minimumMinutes
    }

    /// One reading (°C) at `time` (s). Readings outside 0-50 °C are not of skin and are skipped.
    public mutating func add(_ celsius: Double, at time: Double, into sink: inout some MetricRecordSink) {
        guard celsius.isFinite, (0...50).contains(celsius), time.isFinite, abs(time) < 1e15 else { return }
        if time < lastTime { reset() }
        lastTime = time
        let second = Int64(time.rounded(.down))
        let start = second - ((second % duration) + duration) % duration
        if let current = windowStart, current != start { close(into: &sink) }
        windowStart = start
        let minute = second - ((second % 60) + 60) % 60
        if minute != lastMinute {
            minutes += 1
            lastMinute = minute
        }
        count += 1
        sum += celsius
        lowest = min(lowest, celsius)
        highest = max(highest, celsius)
    }

    /// Records the window in progress (the end of a stream).
    public mutating func finish(into sink: inout some MetricRecordSink) { close(into: &sink) }

    private mutating func close(into sink: inout some MetricRecordSink) {
        defer { reset() }
        guard let start = windowStart, minutes >= minimumMinutes, count > 0 else { return }
        let quality = min(Double(minutes) * 60 / Double(duration), 1)
        func record(_ metric: Metric, _ value: Double) {
            sink.record(MetricRecord(metric, time: Double(start), end: Double(start + duration), value: value, quality: quality))
        }
        record(.skinTemperatureMean, sum / Double(count))
        record(.skinTemperatureMinimum, lowest)
        record(.skinTemperatureMaximum, highest)
    }

    private mutating func reset() {
        windowStart = nil
        lastMinute = .min
        minutes = 0
        count = 0
        sum = 0
        lowest = .infinity
        highest = -.infinity
    }

    /// °F to °C, for a thermometer that reports in Fahrenheit (the Temperature Measurement's flag).
    public static func celsius(fahrenheit: Double) -> Double { (fahrenheit - 32) * 5 / 9 }
}
