import Testing
@testable import WearMetrics

/// The live HRV stage: windows aligned to the clock, the same indices as the batch functions on
/// the corrected series, and no record for a window too little covered.
@Suite struct HRVWindowTests {
    @Test func windowsAlignToTheClockAndMatchTheBatchIndices() throws {
        let series = try #require(HRVReferenceTests.series["rest"])  // 400 beats, ~340 s
        var window = HRVWindow()
        var records: [MetricRecord] = []
        // Start 100 s into a window: the first window [300, 600) gets beats from 400 s on.
        var time = 400.0
        var firstWindow: [Double] = []
        for rr in series {
            time += rr / 1000
            if time < 600 { firstWindow.append(rr) }
            window.add(rr, endingAt: time, into: &records)
        }
        window.finish(into: &records)
        let starts = Set(records.map(\.time))
        // The first window is 2/3 covered (200 s of 300): recorded; the second ([600, 900), ~140 s,
        // 47 %) is not.
        #expect(starts == [300], "\(starts)")
        #expect(records.allSatisfy { $0.end == 600 })
        let expected = try #require(HRVTimeDomain(intervals: RRArtifacts.correct(firstWindow, RRArtifacts.detect(firstWindow))))
        let rmssd = try #require(records.first { $0.metric == .rmssd })
        #expect(abs(rmssd.value - expected.rmssd) < 1e-9)
        #expect(try #require(records.first { $0.metric == .sdnn }).value == expected.sdnn)
        #expect(records.contains { $0.metric == .lf } && records.contains { $0.metric == .hf })
        let quality = try #require(rmssd.quality)
        #expect(abs(quality - firstWindow.reduce(0, +) / 1000 / 300) < 0.01)
        #expect(Set(records.map(\.metric)).isSubset(of: Set(Metric.cardio)))
    }

    @Test func badIntervalsAndStepsBackAreIgnored() {
        var window = HRVWindow(duration: 10, minimumCoverage: 0.5)
        var records: [MetricRecord] = []
        for rr in [Double.nan, -800, 0, .infinity] { window.add(rr, endingAt: 1, into: &records) }
        var time = 0.0
        for _ in 0..<15 {  // to 12 s: the window [0, 10) closes at the beat that crosses 10 s
            time += 0.8
            window.add(800, endingAt: time, into: &records)
        }
        #expect(records.map(\.time).allSatisfy { $0 == 0 } && !records.isEmpty)
        records.removeAll()
        // The clock steps back: the window in progress starts over, nothing recorded for it.
        window.add(800, endingAt: 2, into: &records)
        window.finish(into: &records)
        #expect(records.isEmpty)
    }
}
