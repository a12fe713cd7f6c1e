import Testing
import WearMetrics

/// The day summary: each record counts towards the UTC day it belongs to, a day is recorded once
/// two hours past its end, late records of an open day still count.
@Suite struct DailySummaryTests {
    static let march1 = 1_740_787_200.0  // 2025-03-01T00:00:00Z

    @Test func aDaysRecordsAreSummarised() {
        var summary = DailySummary()
        var out: [MetricRecord] = []
        let day = Self.march1
        // Evening RMSSD windows, a night (sleep period 23:00 on the 1st to 07:00 on the 2nd) whose
        // total sleep arrives at noon on the 2nd: it is the 2nd's.
        for (index, value) in [40.0, 50, 60].enumerated() {
            summary.observe(MetricRecord(.rmssd, time: day + 82_800 + Double(index) * 3600, end: nil, value: value), into: &out)
        }
        summary.observe(MetricRecord(.rmssd, time: day + 22 * 3600, end: nil, value: 100), into: &out)  // before bed
        for minute in 0..<600 {
            summary.observe(MetricRecord(.steps, time: day + 36_000 + Double(minute) * 60, end: nil, value: 10), into: &out)
        }
        summary.observe(MetricRecord(.spo2Minimum, time: day + 3600, end: day + 7200, value: 93), into: &out)
        summary.observe(MetricRecord(.spo2Minimum, time: day + 7200, end: day + 10_800, value: 91), into: &out)
        // Two hours of SpO2, one fully covered and one half: 1.5 hours; three episodes.
        summary.observe(MetricRecord(.oxygenDesaturationIndex, time: day + 3600, end: day + 7200, value: 2, quality: 1), into: &out)
        summary.observe(MetricRecord(.oxygenDesaturationIndex, time: day + 7200, end: day + 10_800, value: 2, quality: 0.5), into: &out)
        for _ in 0..<3 { summary.observe(MetricRecord(.spo2Desaturation, time: day + 4000, end: day + 4030, value: 4), into: &out) }
        summary.observe(MetricRecord(.skinTemperatureMean, time: day + 3600, end: day + 7200, value: 33), into: &out)
        summary.observe(MetricRecord(.skinTemperatureMean, time: day + 7200, end: day + 10_800, value: 34), into: &out)
        // The next day: steps after midnight do not close the 1st yet; its 23:00 hour still counts.
        summary.observe(MetricRecord(.steps, time: day + 86_400 + 60, end: nil, value: 7), into: &out)
        summary.observe(MetricRecord(.skinTemperatureMean, time: day + 82_800, end: day + 86_400, value: 35), into: &out)
        #expect(out.isEmpty)
        summary.observe(MetricRecord(.totalSleepTime, time: day + 82_800, end: day + 86_400 + 25_200, value: 420), into: &out)
        // 02:00 on the 2nd closes the 1st.
        summary.observe(MetricRecord(.steps, time: day + 86_400 + 7_200, end: nil, value: 5), into: &out)
        #expect(out == [
            MetricRecord(.stepsDay, time: day, end: day + 86_400, value: 6_000),
            MetricRecord(.spo2MinimumDay, time: day, end: day + 86_400, value: 91),
            MetricRecord(.oxygenDesaturationIndexDay, time: day, end: day + 86_400, value: 2),
            MetricRecord(.skinTemperatureDay, time: day, end: day + 86_400, value: 34),
        ])
        // A record of the closed day is not counted; the rest of the 2nd at the end.
        summary.observe(MetricRecord(.steps, time: day + 86_000, end: nil, value: 1_000), into: &out)
        out.removeAll()
        summary.finish(into: &out)
        #expect(out == [
            MetricRecord(.stepsDay, time: day + 86_400, end: day + 2 * 86_400, value: 12),
            MetricRecord(.sleepTimeDay, time: day + 86_400, end: day + 2 * 86_400, value: 420),
            MetricRecord(.rmssdNight, time: day + 86_400, end: day + 2 * 86_400, value: 50),
        ])
    }
}
