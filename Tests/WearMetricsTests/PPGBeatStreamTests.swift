import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// Beats from a live PPG: windows of 40 s every 30 s, the middle 30 s of each kept.
@Suite struct PPGBeatStreamTests {
    /// A reflective sensor's raw counts at `rate` Hz: pulses that dip (more blood, less light)
    /// 0.2 s after each beat, a systolic and a broader diastolic Gaussian, plus noise; the beats
    /// at intervals of 0.9 s ± a respiratory sine and jitter.
    static func recording(seconds: Double, rate: Double, seed: UInt64) -> (samples: [Double], beats: [Double]) {
        var random = SeededGenerator(seed: seed)
        var beats: [Double] = [0.5]
        while beats.last! < seconds + 2 {
            let interval = 0.9 + 0.05 * sin(2 * .pi * 0.25 * beats.last!) + 0.01 * Double.random(in: -1...1, using: &random)
            beats.append(beats.last! + interval)
        }
        let samples = (0..<Int(seconds * rate)).map { n -> Double in
            let t = Double(n) / rate
            var pulse = 0.0
            for beat in beats where abs(t - beat - 0.35) < 1.5 {
                let x = (t - beat - 0.27) / 0.07, y = (t - beat - 0.5) / 0.14
                pulse += exp(-0.5 * x * x) + 0.45 * exp(-0.5 * y * y)
            }
            return 1_000_000 - 2_000 * pulse + 20 * Double.random(in: -1...1, using: &random)
        }
        return (samples, beats)
    }

    @Test(arguments: [25.0, 50.0, 100.0])
    func intervalsAreTheBeats(rate: Double) throws {
        let (samples, beats) = Self.recording(seconds: 300, rate: rate, seed: 3)
        var stream = try #require(PPGBeatStream(rate: rate))
        var intervals: [(end: Double, milliseconds: Double)] = []
        var quality: [MetricRecord] = []
        let start = 1_740_816_000.0
        for (n, value) in samples.enumerated() {
            stream.add(value, at: start + Double(n) / rate, intervals: &intervals, into: &quality)
        }
        // Windows end at 40, 70, ..., 280 s: their middles tile 5 s to 275 s.
        #expect(quality.count == 9 && quality.allSatisfy { $0.value > 0.5 }, "\(quality.map(\.value))")
        #expect(zip(quality, quality.dropFirst()).allSatisfy { $0.end == $1.time })
        // Every beat whose pulse peak is in a kept middle, once, and each interval its beat's.
        let expected = beats.filter { (5...275).contains($0 + 0.27) }
        #expect(intervals.count == expected.count - 1, "\(intervals.count) intervals, \(expected.count) beats")
        var errors: [Double] = []
        for interval in intervals {
            // The beat whose pulse peak is nearest the interval's end.
            guard let index = beats.indices.min(by: { abs(beats[$0] + 0.27 + start - interval.end) < abs(beats[$1] + 0.27 + start - interval.end) }),
                  index > 0 else { continue }
            errors.append(abs(interval.milliseconds - (beats[index] - beats[index - 1]) * 1000))
        }
        errors.sort()
        #expect(errors[errors.count / 2] < 3 && errors.last! < 15, "median \(errors[errors.count / 2]) ms, worst \(errors.last!) ms")
    }

    @Test func noiseGivesNoBeatsAndAGapStartsOver() throws {
        var random = SeededGenerator(seed: 9)
        var stream = try #require(PPGBeatStream(rate: 25))
        var intervals: [(end: Double, milliseconds: Double)] = []
        var quality: [MetricRecord] = []
        for n in 0..<(25 * 120) {
            // Gaussian-like noise (sum of uniforms): symmetric, so not skewed.
            let value = (0..<6).reduce(0.0) { total, _ in total + Double.random(in: -1...1, using: &random) }
            stream.add(value, at: Double(n) / 25, intervals: &intervals, into: &quality)
        }
        #expect(intervals.isEmpty && !quality.isEmpty && quality.allSatisfy { $0.value < PPGBeatStream.minimumQuality },
                "\(quality.map(\.value))")
        // A pulse recording with a 5 s hole: the window in progress is dropped, beats go on after.
        let (samples, _) = Self.recording(seconds: 200, rate: 25, seed: 4)
        var gapped = try #require(PPGBeatStream(rate: 25))
        quality.removeAll()
        for (n, value) in samples.enumerated() where !(2_500..<2_625).contains(n) {
            gapped.add(value, at: Double(n) / 25, intervals: &intervals, into: &quality)
        }
        // Before the hole (100 s): windows ending at 40 and 70 s; after it (105-200 s): at 145, 175.
        #expect(quality.map(\.time) == [5, 35, 110, 140], "\(quality.map(\.time))")
        #expect(PPGBeatStream(rate: 16) == nil && PPGBeatStream(rate: .nan) == nil)
    }
}
