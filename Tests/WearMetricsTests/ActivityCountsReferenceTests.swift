import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// ActiGraph activity counts against agcounts 0.2.6 (Neishabouri et al. 2022's reference
/// implementation, which nobody here wrote), through tools/counts_reference.py in the
/// repository's .venv: seeded wrist-like recordings (gravity on a slowly turning arm, arm swing
/// at the step frequency with harmonics, still spells, sensor noise) at every rate ActiGraph's
/// legacy path takes. Without .venv the tests pass with a message, unless
/// GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets).
@Suite struct ActivityCountsReferenceTests {
    /// `seconds` of three axes in g at `rate` Hz.
    static func recording(seed: UInt64, rate: Int, seconds: Int) -> [(Double, Double, Double)] {
        var random = SeededGenerator(seed: seed)
        func gaussian() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        var samples: [(Double, Double, Double)] = []
        samples.reserveCapacity(rate * seconds)
        var amplitude = 0.0, stepFrequency = 1.8, tilt = 0.3
        for n in 0..<(rate * seconds) {
            let t = Double(n) / Double(rate)
            // Every 20 s a new spell: still, walking or running, a new tilt of the arm.
            if n % (20 * rate) == 0 {
                let kind = Int.random(in: 0..<3, using: &random)
                amplitude = [0.0, 0.35, 1.2][kind] * Double.random(in: 0.7...1.3, using: &random)
                stepFrequency = [1.8, 1.8, 2.7][kind] * Double.random(in: 0.9...1.1, using: &random)
                tilt = Double.random(in: -1...1, using: &random)
            }
            let swing = amplitude * (sin(2 * .pi * stepFrequency / 2 * t) + 0.4 * sin(2 * .pi * stepFrequency * t + 0.7))
            let x = sin(tilt) + swing + 0.01 * gaussian()
            let y = cos(tilt) * 0.8 + 0.6 * swing + 0.01 * gaussian()
            let z = 0.2 + 0.3 * swing * swing + 0.01 * gaussian()
            // Rounded as an accelerometer's CSV export writes them.
            samples.append(((x * 10_000).rounded() / 10_000, (y * 10_000).rounded() / 10_000, (z * 10_000).rounded() / 10_000))
        }
        return samples
    }

    static func reference(_ samples: [(Double, Double, Double)], rate: Int, epoch: Int) throws -> [[Int]]? {
        guard Reference.executable(Reference.python) else {
            Reference.missing("agcounts reference: .venv missing (run tools/bootstrap.sh)")
            return nil
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("counts-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: file) }
        try samples.map { "\($0.0),\($0.1),\($0.2)" }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let output = try Reference.runBlocking(Reference.python,
                                               [Reference.path("tools/counts_reference.py"), file.path, "\(rate)", "\(epoch)"])
        struct Result: Decodable { var counts: [[Int]] }
        return try JSONDecoder().decode(Result.self, from: Data(output.utf8)).counts
    }

    static func counts(_ samples: [(Double, Double, Double)], rate: Int, epoch: Int) throws -> [[Int]] {
        var counter = try #require(ActivityCounts(rate: rate, epochSeconds: epoch))
        return samples.compactMap { counter.add($0.0, $0.1, $0.2) }.map { [$0.x, $0.y, $0.z] }
    }

    /// Ten minutes (and a part epoch) at each rate: agcounts' integers, every epoch and axis.
    @Test(arguments: ActivityCounts.supportedRates)
    func countsEqualAgcounts(rate: Int) throws {
        let samples = Self.recording(seed: UInt64(rate), rate: rate, seconds: 610)
        guard let reference = try Self.reference(samples, rate: rate, epoch: 60) else { return }
        let counts = try Self.counts(samples, rate: rate, epoch: 60)
        #expect(reference.count == 10)
        #expect(counts == reference, "\(zip(counts, reference).enumerated().filter { $0.element.0 != $0.element.1 }.prefix(3))")
        // Spells of every kind: still epochs count little, running ones thousands.
        let totals = reference.map { $0.reduce(0, +) }
        #expect(totals.max()! > 1_000, "\(totals)")
    }

    /// 10 s epochs, as sleep and activity studies also use.
    @Test func shortEpochsEqualAgcounts() throws {
        let samples = Self.recording(seed: 99, rate: 50, seconds: 300)
        guard let reference = try Self.reference(samples, rate: 50, epoch: 10) else { return }
        #expect(reference.count == 30)
        #expect(try Self.counts(samples, rate: 50, epoch: 10) == reference)
    }

    @Test func unsupportedRatesAndEpochsAreRefused() {
        #expect(ActivityCounts(rate: 25) == nil)
        #expect(ActivityCounts(rate: 64) == nil)
        #expect(ActivityCounts(rate: 30, epochSeconds: 0) == nil)
        #expect(ActivityCounts(rate: 30, epochSeconds: 60) != nil)
        #expect(ActivityCounts.EpochCounts(x: 3, y: 4, z: 12).vectorMagnitude == 13)
    }
}
