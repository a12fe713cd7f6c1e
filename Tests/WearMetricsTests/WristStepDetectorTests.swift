import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// The wrist pedometer (Zhao 2010's design on the magnitude): rhythmic bounces are steps, the
/// first four counted once they are four, noise and pauses are not.
@Suite struct WristStepDetectorTests {
    /// `seconds` at 50 Hz of a bounce of `amplitude` g at `frequency` Hz on 1 g, with noise.
    static func walk(seconds: Double, frequency: Double, amplitude: Double, seed: UInt64) -> [(Double, Double, Double)] {
        var random = SeededGenerator(seed: seed)
        return (0..<Int(seconds * 50)).map { n in
            let t = Double(n) / 50
            let bounce = amplitude * sin(2 * .pi * frequency * t)
            let noise = { Double.random(in: -0.01...0.01, using: &random) }
            return (-0.9 * (1 + bounce) + noise(), 0.3 * (1 + bounce) + noise(), 0.3 + noise())
        }
    }

    static func count(_ samples: [(Double, Double, Double)]) -> Int {
        var detector = WristStepDetector(rate: 50)
        return samples.reduce(0) { $0 + detector.add($1.0, $1.1, $1.2) }
    }

    @Test(arguments: [(1.8, 0.25), (2.7, 0.8), (1.2, 0.15)])
    func aMinuteOfStepsIsCounted(frequency: Double, amplitude: Double) {
        let steps = Self.count(Self.walk(seconds: 60, frequency: frequency, amplitude: amplitude, seed: 1))
        // Every bounce after the first second (the first threshold), the first four included.
        #expect(abs(Double(steps) - 59 * frequency) <= 2, "\(steps) steps at \(frequency) Hz")
    }

    @Test func stillnessAndNoiseAreNotSteps() {
        #expect(Self.count(Self.walk(seconds: 60, frequency: 1.8, amplitude: 0, seed: 2)) == 0)
        // Three bounces, a pause of 3 s, three more: never four in a row.
        let burst = Self.walk(seconds: 1.6, frequency: 1.8, amplitude: 0.3, seed: 3)
        let pause = Self.walk(seconds: 3, frequency: 1.8, amplitude: 0, seed: 4)
        let settle = Self.walk(seconds: 2, frequency: 1.8, amplitude: 0, seed: 5)
        #expect(Self.count(settle + burst + pause + burst + pause) == 0)
        // Too fast to be steps (8 Hz, under 0.2 s apart): at most every other crossing counts.
        let shaking = Self.count(Self.walk(seconds: 10, frequency: 8, amplitude: 0.3, seed: 6))
        #expect(shaking <= 10 * 8 / 2 + 2, "\(shaking)")
    }
}
