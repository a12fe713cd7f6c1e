import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// Heart rate variability against NeuroKit2 0.2.13 (Makowski et al. 2021, Behav Res Methods
/// 53:1689), which nobody here wrote, through tools/hrv_reference.py in the repository's .venv.
/// One Python run analyses every series; the tests share its results. Without .venv the tests
/// pass with a message, unless GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets).
@Suite struct HRVReferenceTests {
    /// RR series (ms): seeded synthetic ones with a 0.1 Hz (Mayer wave) and a respiratory line,
    /// at rest and during effort, and the synthetic resting file the simulator replays.
    static let series: [String: [Double]] = {
        func synthetic(seed: UInt64, count: Int, mean: Double, lf: Double, hf: Double, breathing: Double, noise: Double) -> [Double] {
            var generator = SeededGenerator(seed: seed)
            var time = 0.0
            return (0..<count).map { _ in
                // Box-Muller from two uniforms for the white part.
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator), u2 = Double.random(in: 0..<1, using: &generator)
                let gaussian = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
                let rr = mean + lf * sin(2 * .pi * 0.1 * time) + hf * sin(2 * .pi * breathing * time) + noise * gaussian
                time += rr / 1000
                return rr
            }
        }
        var series = [
            "rest": synthetic(seed: 1, count: 400, mean: 850, lf: 40, hf: 25, breathing: 0.25, noise: 10),
            "slow-breathing": synthetic(seed: 2, count: 360, mean: 950, lf: 20, hf: 45, breathing: 0.18, noise: 15),
            "effort": synthetic(seed: 3, count: 800, mean: 480, lf: 6, hf: 4, breathing: 0.33, noise: 4),
        ]
        let file = Reference.path("Simulators/data/rr-synthetic-rest.txt")
        if let text = try? String(contentsOfFile: file, encoding: .utf8), let intervals = try? RRAnalysis.parse(text) {
            series["simulator-rest"] = intervals
        }
        return series
    }()

    struct Result: Decodable {
        struct Time: Decodable { var MeanNN, SDNN, RMSSD, pNN50: Double }
        struct Nonlinear: Decodable { var SD1, SD2: Double }
        struct Frequency: Decodable { var LF, HF: Double }
        var time: Time
        var nonlinear: Nonlinear
        var frequency: Frequency
    }

    static let reference: Swift.Result<[String: Result], any Error>? = {
        guard Reference.executable(Reference.python) else { return nil }
        return Swift.Result {
            let folder = try Reference.temporaryDirectory("hrv-reference")
            defer { try? FileManager.default.removeItem(at: folder) }
            let manifest = folder.appendingPathComponent("manifest.json")
            try JSONSerialization.data(withJSONObject: series).write(to: manifest)
            let output = try Reference.run(Reference.python, [Reference.path("tools/hrv_reference.py"), manifest.path])
            return try JSONDecoder().decode([String: Result].self, from: Data(output.utf8))
        }
    }()

    static func results() throws -> [String: Result]? {
        guard let reference else {
            Reference.missing("NeuroKit2 reference: .venv missing (run tools/bootstrap.sh)")
            return nil
        }
        return try reference.get()
    }

    static func relative(_ ours: Double, _ theirs: Double) -> Double { abs(ours - theirs) / abs(theirs) }

    @Test(arguments: ["rest", "slow-breathing", "effort", "simulator-rest"])
    func timeDomainAndPoincareAgreeWithin0_5Percent(name: String) throws {
        guard let results = try Self.results() else { return }
        let intervals = try #require(Self.series[name], "no series \(name)")
        let theirs = try #require(results[name])
        let ours = try #require(HRVTimeDomain(intervals: intervals))
        print("HRV \(name): ours \(ours); NeuroKit2 \(theirs.time), \(theirs.nonlinear)")
        #expect(Self.relative(ours.meanNN, theirs.time.MeanNN) < 0.005)
        #expect(Self.relative(ours.sdnn, theirs.time.SDNN) < 0.005)
        #expect(Self.relative(ours.rmssd, theirs.time.RMSSD) < 0.005)
        #expect(abs(ours.pnn50 - theirs.time.pNN50) < 0.5)
        #expect(Self.relative(ours.sd1, theirs.nonlinear.SD1) < 0.005)
        #expect(Self.relative(ours.sd2, theirs.nonlinear.SD2) < 0.005)
    }

    @Test(arguments: ["rest", "slow-breathing", "effort", "simulator-rest"])
    func frequencyDomainAgreesWithin5PercentWithTheSameMethod(name: String) throws {
        guard let results = try Self.results() else { return }
        let intervals = try #require(Self.series[name])
        let theirs = try #require(results[name])
        let ours = try #require(HRVFrequencyDomain(intervals: intervals))
        print("HRV \(name): LF \(ours.lf) / \(theirs.frequency.LF) ms², HF \(ours.hf) / \(theirs.frequency.HF) ms² (ours / NeuroKit2)")
        #expect(Self.relative(ours.lf, theirs.frequency.LF) < 0.05)
        #expect(Self.relative(ours.hf, theirs.frequency.HF) < 0.05)
    }
}
