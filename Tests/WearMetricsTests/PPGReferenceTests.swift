import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// PPG beats against NeuroKit2 0.2.13's implementation of the same paper (Elgendi et al. 2013,
/// `ppg_clean` + `ppg_findpeaks(method="elgendi")`), which nobody here wrote, through
/// tools/ppg_reference.py in the repository's .venv: NeuroKit2's seeded synthetic PPG at 25 and
/// 100 Hz and the file the simulator replays. Without .venv the tests pass with a message,
/// unless GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets).
@Suite struct PPGReferenceTests {
    struct Result: Decodable {
        var rate: Double
        var signal: [Double]
        var peaks: [Int]
        var bpm: Double
        var quality: Double
    }

    static let reference: Swift.Result<[String: Result], any Error>? = {
        guard Reference.executable(Reference.python) else { return nil }
        return Swift.Result {
            let output = try Reference.runBlocking(Reference.python, [
                Reference.path("tools/ppg_reference.py"),
                Reference.path("Simulators/data/ppg-neurokit-72bpm.csv"), "ppg", "25",
            ])
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

    @Test(arguments: ["simulated-25hz", "simulated-100hz", "simulator-72bpm"])
    func beatsWithinOneSampleAndRateWithin1Bpm(name: String) throws {
        guard let results = try Self.results() else { return }
        let theirs = try #require(results[name])
        let ours = PPGAnalysis.report(theirs.signal, samplingRate: theirs.rate)
        let ourPeaks = ours.peaks.map { Int(($0 * theirs.rate).rounded()) }
        let matched = theirs.peaks.filter { peak in ourPeaks.contains { abs($0 - peak) <= 1 } }.count
        print("PPG \(name): \(ourPeaks.count) beats ours, \(theirs.peaks.count) NeuroKit2, \(matched) within one sample; bpm \(ours.bpm ?? .nan) / \(theirs.bpm); skewness \(ours.quality ?? .nan) / \(theirs.quality)")
        #expect(Double(matched) >= 0.95 * Double(theirs.peaks.count))
        #expect(abs(ourPeaks.count - theirs.peaks.count) <= max(1, theirs.peaks.count / 20))
        #expect(abs(try #require(ours.bpm) - theirs.bpm) < 1)
        #expect(abs(try #require(ours.quality) - theirs.quality) < 0.01)
        #expect(ours.beats == ours.peaks.count)
    }

    @Test func fileParsesWithHeaderAndColumn() throws {
        let text = try String(contentsOfFile: Reference.path("Simulators/data/ppg-neurokit-72bpm.csv"), encoding: .utf8)
        let samples = try PPGAnalysis.parse(text, column: "ppg")
        #expect(samples.count == 500)
        #expect(try PPGAnalysis.parse("1.5\n2\n\n3\n") == [1.5, 2, 3])
        let error = #expect(throws: PPGAnalysis.ParseError.self) {
            try PPGAnalysis.parse("t,ppg\n0,1\n1,x\n", column: "ppg")
        }
        #expect(error?.line == 3)
        #expect(throws: PPGAnalysis.ParseError.self) { try PPGAnalysis.parse("a,b\n1,2\n", column: "ppg") }
    }
}
