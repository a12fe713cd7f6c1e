import Testing
@testable import WearMetrics

/// Hourly skin-temperature summaries: aligned to the clock, mean, lowest and highest of the
/// readings, quality the share of minutes read, and nothing for an hour read too little.
@Suite struct SkinTemperatureWindowTests {
    @Test func hoursOfReadingsEveryThirtySeconds() throws {
        var window = SkinTemperatureWindow()
        var records: [MetricRecord] = []
        // 10:30 to 12:05: readings every 30 s, rising 0.001 °C each, one of 40 °C in the first hour.
        var readings: [(time: Double, celsius: Double)] = []
        var time = 3_600.0 * 10.5
        while time < 3_600 * 12 + 300 {
            readings.append((time, time == 3_600 * 10.75 ? 40 : 33 + (time - 37_800) / 30 * 0.001))
            time += 30
        }
        for reading in readings { window.add(reading.celsius, at: reading.time, into: &records) }
        window.finish(into: &records)
        // 10:00 (30 min read), 11:00 (60); 12:00 has 5 minutes: too few.
        #expect(records.map(\.time) == Array(repeating: 36_000, count: 3) + Array(repeating: 39_600, count: 3))
        let first = readings.filter { $0.time < 39_600 }.map(\.celsius)
        let mean = try #require(records.first { $0.metric == .skinTemperatureMean && $0.time == 36_000 })
        #expect(abs(mean.value - first.reduce(0, +) / Double(first.count)) < 1e-9)
        #expect(mean.quality == 0.5 && mean.end == 39_600)
        #expect(records.first { $0.metric == .skinTemperatureMaximum }?.value == 40)
        #expect(records.first { $0.metric == .skinTemperatureMinimum }?.value == 33)
        #expect(records.last?.quality == 1)
    }

    @Test func badReadingsAndStepsBack() {
        var window = SkinTemperatureWindow(duration: 600, minimumMinutes: 2)
        var records: [MetricRecord] = []
        for bad in [Double.nan, -5, 60, .infinity] { window.add(bad, at: 10, into: &records) }
        for second in stride(from: 0.0, to: 300, by: 30) { window.add(32, at: second, into: &records) }
        // A step back drops the window in progress.
        window.add(32, at: 100, into: &records)
        window.finish(into: &records)
        #expect(records.isEmpty)
        #expect(abs(SkinTemperatureWindow.celsius(fahrenheit: 98.6) - 37) < 1e-9)
    }
}
