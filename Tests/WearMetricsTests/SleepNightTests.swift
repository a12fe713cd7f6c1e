import Foundation
import GaitwayTestSupport
import Testing
@testable import WearMetrics

/// The sleep period (HDCZA), the night's summary and stages, and the live collector.
@Suite struct SleepNightTests {
    /// A day of 5 s z-angles from noon: moving about (large changes every epoch) except in
    /// `rests` (hours after noon), where the arm holds a posture with 0.01° of noise and turns
    /// once every 30 minutes.
    static func day(rests: [ClosedRange<Double>], seed: UInt64 = 1) -> [Double] {
        var random = SeededGenerator(seed: seed)
        var posture = 20.0
        return (0..<(86_400 / 5)).map { epoch in
            let hours = Double(epoch) * 5 / 3600
            guard rests.contains(where: { $0.contains(hours) }) else { return Double.random(in: -60...60, using: &random) }
            if epoch % 360 == 0 { posture = Double.random(in: -40...40, using: &random) }
            return posture + Double.random(in: -0.01...0.01, using: &random)
        }
    }

    static func hours(_ epoch: Int) -> Double { Double(epoch) * 5 / 3600 }

    @Test func theSleepPeriodIsTheLongestRestJoinedOverShortBreaks() throws {
        // Noon + 11 h = 23:00 to noon + 19 h = 07:00; a nap of 40 min in the afternoon.
        let night = try #require(SleepPeriod.window(angles: Self.day(rests: [2...2.67, 11...19])))
        // The 5-minute median moves each edge by at most half its window.
        #expect(abs(Self.hours(night.epochs.lowerBound) - 11) < 3 / 60.0, "\(Self.hours(night.epochs.lowerBound))")
        #expect(abs(Self.hours(night.epochs.upperBound) - 19) < 3 / 60.0, "\(Self.hours(night.epochs.upperBound))")
        #expect(SleepPeriod.Parameters().thresholdRange.contains(night.threshold))
        // Up for 40 minutes at 3 am: one period still; up for 80 minutes: the longer part.
        let broken = try #require(SleepPeriod.window(angles: Self.day(rests: [11...15, 15.67...19])))
        #expect(abs(Self.hours(broken.epochs.lowerBound) - 11) < 0.05 && abs(Self.hours(broken.epochs.upperBound) - 19) < 0.05)
        let split = try #require(SleepPeriod.window(angles: Self.day(rests: [11...13.5, 14.83...19])))
        #expect(abs(Self.hours(split.epochs.lowerBound) - 14.83) < 0.05 && abs(Self.hours(split.epochs.upperBound) - 19) < 0.05)
        // No rest over 30 minutes: none; a day without data: none.
        #expect(SleepPeriod.window(angles: Self.day(rests: [3...3.4])) == nil)
        #expect(SleepPeriod.window(angles: [Double](repeating: .nan, count: 17_280)) == nil)
        #expect(SleepPeriod.window(angles: []) == nil)
    }

    @Test func theThresholdIsTheTenthPercentileTimesFifteenWithinGGIRsBounds() {
        // Changes of 0.02° a few minutes, then large: the 10th percentile of the rolling median is
        // 0.02°, × 15 = 0.3°, within 0.13-0.50.
        var angles: [Double] = []
        var angle = 0.0
        for epoch in 0..<2_000 {
            angle += epoch < 400 ? (epoch % 2 == 0 ? 0.02 : -0.02) : (epoch % 2 == 0 ? 30 : -30)
            angles.append(angle)
        }
        #expect(abs((SleepPeriod.window(angles: angles)?.threshold ?? 0) - 0.3) < 1e-9)
        // Perfectly still most of the day: 0 × 15, raised to 0.13.
        let still = [Double](repeating: 10, count: 2_000) + (0..<200).map { Double($0 % 2) * 50 }
        #expect(SleepPeriod.window(angles: still)?.threshold == 0.13)
        #expect(SleepPeriod.rollingMedian([1, 5, 2, 8, 3], window: 3) == [3, 2, 5, 3, 5.5])
        #expect(SleepPeriod.percentile([1, 2, 3, 4, 5], 10) == 1.4)
    }

    @Test func theSummaryCountsTheNightsMinutes() {
        let asleep = [false, false, true, true, false, true, true, true, false, false, true, false]
        let summary = SleepSummary(asleep)
        #expect(summary.onset == 2 && summary.wake == 11)
        #expect(summary.totalSleep == 6 && summary.wakeAfterSleepOnset == 3 && summary.awakenings == 2)
        #expect(SleepSummary([false, false]) == SleepSummary([]))
    }

    /// Synthetic beats by stage: deep slow, steady and with large respiratory variability, REM
    /// faster and unsteady, light between. The stages come back.
    @Test func stagesFollowTheHeartsSignatureOfEachStage() throws {
        var random = SeededGenerator(seed: 4)
        // 300 minutes: light, deep, light, REM blocks of 30 minutes, twice, plus 60 of light.
        let plan: [SleepStage] = [.light, .deep, .light, .rem, .light, .deep, .light, .rem, .light, .light]
        var truth: [SleepStage] = []
        var beats: [MinuteBeats] = []
        var previous: Double?
        var surge = 0.0
        for stage in plan {
            for _ in 0..<30 {
                truth.append(stage)
                var minute = MinuteBeats()
                let (rate, breathing, drift): (Double, Double, Double) = switch stage {
                case .deep: (52, 45, 0.2)
                case .rem: (57, 20, 2.5)
                default: (55, 30, 0.8)
                }
                surge = 0.8 * surge + drift * Double.random(in: -1...1, using: &random)
                var elapsed = 0.0, beat = 0
                while elapsed < 60_000 {
                    let respiratory: Double = breathing * sin(Double(beat) * 1.3)
                    let noise: Double = 5 * Double.random(in: -1...1, using: &random)
                    let interval: Double = 60_000 / (rate + surge) + respiratory + noise
                    minute.add(interval, previous: previous)
                    previous = interval
                    elapsed += interval
                    beat += 1
                }
                beats.append(minute)
            }
        }
        let asleep = [Bool](repeating: true, count: truth.count)
        let stages = try #require(SleepStaging.stages(asleep: asleep, beats: beats, onset: 0))
        let agreement = Double(zip(stages, truth).filter { $0 == $1 }.count) / Double(truth.count)
        #expect(agreement > 0.8, "\(agreement): \(stages.map(\.rawValue))")
        // Wake is the movement's: kept as it is given.
        var awake = asleep
        awake[100] = false
        #expect(SleepStaging.stages(asleep: awake, beats: beats, onset: 0)?[100] == .wake)
        // Without heart data, no stages.
        #expect(SleepStaging.stages(asleep: asleep, beats: [MinuteBeats](repeating: MinuteBeats(), count: 300), onset: 0) == nil)
    }

    /// The live collector records what the batch analysis of the same day does, when the day
    /// ends (a value of the next day) or the run does.
    @Test func theLiveNightIsTheBatchAnalysisOfItsDay() {
        var random = SeededGenerator(seed: 8)
        let noon = 1_740_830_400.0  // 2025-03-01T12:00:00Z
        // From 18:00 to 08:00 at 1 Hz, in bed 23:00 to 07:00: the arm's z (g; x 0.5, y 0.2),
        // each minute's counts, an RR interval (ms) a second.
        let seconds = Array(stride(from: 6 * 3600, to: 20 * 3600, by: 1))
        let inBed = seconds.map { (11 * 3600..<19 * 3600).contains($0) }
        let tilts = inBed.map { $0 ? 0.3 + 0.001 * Double.random(in: -1...1, using: &random) : Double.random(in: -1...1, using: &random) }
        let minuteCounts = inBed.map { $0 ? Double.random(in: 0...20, using: &random) : Double.random(in: 500...3000, using: &random) }
        let intervals = seconds.map { _ in 1000 + 30 * Double.random(in: -1...1, using: &random) }

        var night = SleepNight()
        var live: [MetricRecord] = []
        for (index, second) in seconds.enumerated() {
            let time = noon + Double(second)
            night.addAcceleration(x: 0.5, y: 0.2, z: tilts[index], at: time, into: &live)
            if second % 60 == 0 { night.addEpoch(counts: minuteCounts[index], start: time, into: &live) }
            night.addInterval(intervals[index], endingAt: time, into: &live)
        }
        #expect(live.isEmpty)
        // Past the next noon: the day is analysed.
        night.addEpoch(counts: 0, start: noon + 86_400 + 60, into: &live)

        var angles = [Double](repeating: .nan, count: 17_280)
        var counts = [Double](repeating: .nan, count: 1_440)
        var beats = [MinuteBeats](repeating: MinuteBeats(), count: 1_440)
        for (index, second) in seconds.enumerated() {
            if second % 5 == 4 {
                let mean = tilts[(index - 4)...index].reduce(0, +) / 5
                angles[second / 5] = SleepPeriod.zAngle(x: 0.5, y: 0.2, z: mean)
            }
            if second % 60 == 0 { counts[second / 60] = minuteCounts[index] }
            beats[second / 60].add(intervals[index], previous: index > 0 ? intervals[index - 1] : nil)
        }
        var batch: [MetricRecord] = []
        SleepNight.analyse(dayStart: noon, angles: angles, counts: counts, beats: beats, into: &batch)
        #expect(!batch.isEmpty && live == batch, "\(live.count) live, \(batch.count) batch")
        let period = batch.first { $0.metric == .sleepPeriod }
        #expect(period.map { abs($0.time - (noon + 11 * 3600)) < 180 && abs(($0.end ?? 0) - (noon + 19 * 3600)) < 180 } ?? false,
                "\(String(describing: period))")
        #expect(batch.first { $0.metric == .totalSleepTime }.map { $0.value > 470 } ?? false)
        // The next day holds only the one epoch: no period, nothing recorded at the end.
        var rest: [MetricRecord] = []
        night.finish(into: &rest)
        #expect(rest.isEmpty)
    }

    /// A night from 01:00 to 09:00 in Los Angeles (09:00-17:00 UTC): cut in two at UTC noon, whole
    /// with the wearer's local days.
    @Test func aNightIsWholeInItsOwnTimeZone() {
        func periods(_ days: LocalDays) -> [MetricRecord] {
            var random = SeededGenerator(seed: 5)
            var night = SleepNight(days: days)
            var records: [MetricRecord] = []
            let start = 1_740_787_200.0  // 2025-03-01T00:00:00Z
            for second in stride(from: 0, to: 30 * 3600, by: 1) {
                let time = start + Double(second)
                let inBed = (9 * 3600..<17 * 3600).contains(second)
                let tilt = inBed ? 0.3 + 0.001 * Double.random(in: -1...1, using: &random) : Double.random(in: -1...1, using: &random)
                night.addAcceleration(x: 0.5, y: 0.2, z: tilt, at: time, into: &records)
                if second % 60 == 0 {
                    night.addEpoch(counts: inBed ? 5 : Double.random(in: 500...3000, using: &random), start: time, into: &records)
                }
            }
            night.finish(into: &records)
            return records.filter { $0.metric == .sleepPeriod }
        }
        let utc = periods(.utc)
        #expect(utc.count == 2 && utc.allSatisfy { $0.value < 330 }, "\(utc.map(\.value))")
        let losAngeles = periods(LocalDays(offset: -8 * 3600))
        #expect(losAngeles.count == 1 && losAngeles.allSatisfy { abs($0.value - 480) < 5 }, "\(losAngeles.map(\.value))")
    }
}
