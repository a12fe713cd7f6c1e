import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics
@testable import DeviceSim

/// The heart model against NeuroKit2 0.2.13 (Makowski et al. 2021, Behav Res Methods 53:1689),
/// which nobody here wrote, through tools/heart_reference.py in the repository's .venv
/// (tools/bootstrap.sh installs it from tools/requirements-reference.txt).
///
/// One Python run analyses every series (NeuroKit2 takes about a second to import); the tests
/// share its results. Without .venv the tests pass with a message, unless
/// GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets), when they fail.
@Suite struct HeartReferenceTests {
    // MARK: (a) time-domain HRV: ours equals NeuroKit2's on the same intervals

    @Test(arguments: ["resting", "ectopic"])
    func timeDomainMatchesNeuroKit(series: String) throws {
        guard let batch = try HeartReference.batch() else { return }
        let intervals = try #require(batch.series[series])
        let reference = try #require(batch.results.rr[series])
        let ours = try #require(HRVTimeDomain(intervals: intervals.map { $0 * 1000 }))
        #expect(reference.count == intervals.count)
        // Same definitions, double precision both sides: agreement to rounding.
        #expect(abs(ours.meanNN - reference.time.MeanNN) < 1e-9 * reference.time.MeanNN)
        #expect(abs(ours.sdnn - reference.time.SDNN) < 1e-9 * reference.time.SDNN)
        #expect(abs(ours.rmssd - reference.time.RMSSD) < 1e-9 * reference.time.RMSSD)
        #expect(abs(ours.pnn50 - reference.time.pNN50) < 1e-9)
        print("HRV time domain (\(series)): ours \(ours), NeuroKit2 \(reference.time)")
    }

    // MARK: (b) NeuroKit2's spectrum of 5 resting minutes shows our LF and HF lines

    @Test func restingSpectrumHasMayerAndRespiratoryPeaks() throws {
        guard let batch = try HeartReference.batch() else { return }
        let reference = try #require(batch.results.rr["resting"])
        let profile = HeartModel.Configuration(persona: HeartReference.persona).variability
        print("NeuroKit2 Welch spectrum of 5 resting minutes: \(reference.frequency), peaks \(reference.peaks)")
        #expect(abs(reference.peaks.LF - profile.lowFrequency) <= 0.03, "LF peak \(reference.peaks.LF) Hz")
        #expect(abs(reference.peaks.HF - profile.restingRespirationRate) <= 0.04, "HF peak \(reference.peaks.HF) Hz")
        // Ballpark of the configured ratio (the 1/f background adds to LF; 5 minutes of two
        // diffusing lines give a ratio that varies from run to run).
        let ratio = reference.frequency.LFHF
        #expect(ratio >= profile.lfHfRatio / 2 && ratio <= profile.lfHfRatio * 2,
                "LF/HF \(ratio), configured \(profile.lfHfRatio)")
        // Absolute powers of the order of the Task Force (1996) norms (LF 1170, HF 975 ms²).
        #expect((200...4000).contains(reference.frequency.LF))
        #expect((150...3000).contains(reference.frequency.HF))
    }

    // MARK: (c) NeuroKit2 finds our beats in our PPG

    @Test(arguments: ["ppg-rest", "ppg-motion"])
    func ppgPeaksRecoverTheBeats(recording: String) throws {
        guard let batch = try HeartReference.batch() else { return }
        let truth = try #require(batch.beats[recording])
        let reference = try #require(batch.results.ppg[recording])
        let duration = HeartReference.ppgDuration
        // Beats whose systolic peak (~0.35 s after the beat) falls inside the recording.
        let expected = truth.filter { $0 + 0.4 < duration }
        let countError = abs(Double(reference.count - expected.count)) / Double(expected.count)
        let ourRate = 60 / ((expected.last! - expected.first!) / Double(expected.count - 1))
        let theirRate = try #require(reference.mean_heart_rate)
        print("PPG \(recording): \(expected.count) beats at \(ourRate) bpm; NeuroKit2 \(reference.count) peaks at \(theirRate) bpm")
        #expect(countError <= 0.02, "\(reference.count) peaks for \(expected.count) beats")
        #expect(abs(ourRate - theirRate) <= 1, "\(theirRate) bpm vs \(ourRate) bpm")
        // Each peak sits a steady pulse-arrival-plus-rise delay after its beat.
        let lags = reference.peaks.compactMap { peak in expected.min { abs(peak - $0 - 0.35) < abs(peak - $1 - 0.35) }.map { peak - $0 } }
        let medianLag = lags.sorted()[lags.count / 2]
        let matched = lags.filter { abs($0 - medianLag) < 0.1 }.count
        #expect(Double(matched) >= 0.97 * Double(lags.count), "\(matched) of \(lags.count) peaks within 0.1 s of beat + \(medianLag) s")
    }
}

/// The series the reference tests analyse, and NeuroKit2's results for them.
enum HeartReference {
    static let persona = HeartPersona(age: 35, sex: .female, fitness: 0.5)
    static let ppgDuration = 120.0
    static let ppgRate = 50.0

    struct Batch: Sendable {
        var series: [String: [Double]]
        var beats: [String: [Double]]
        var results: Results
    }

    struct Results: Sendable {
        var rr: [String: RRResult] = [:]
        var ppg: [String: PPGResult] = [:]
    }

    struct RRResult: Decodable, Sendable {
        struct Time: Decodable, Sendable { var MeanNN, SDNN, RMSSD, pNN50: Double }
        struct Frequency: Decodable, Sendable {
            var method: String
            var interpolation_rate: Double
            var LF, HF, LFHF: Double
        }
        struct Peaks: Decodable, Sendable { var LF, HF: Double }
        var count: Int
        var time: Time
        var frequency: Frequency
        var peaks: Peaks
    }

    struct PPGResult: Decodable, Sendable {
        var count: Int
        var peaks: [Double]
        var mean_heart_rate: Double?
    }

    enum Outcome: Sendable {
        case missing
        case failed(String)
        case ran(Batch)
    }

    /// The shared results; `nil` (after saying why) when the reference environment is missing
    /// and not required.
    static func batch() throws -> Batch? {
        switch outcome {
        case .ran(let batch):
            return batch
        case .missing:
            Reference.missing("NeuroKit2 reference: .venv with neurokit2 missing (run tools/bootstrap.sh)")
            return nil
        case .failed(let reason):
            Issue.record(Comment(rawValue: "tools/heart_reference.py failed: \(reason)"))
            return nil
        }
    }

    private static let outcome: Outcome = {
        guard Reference.executable(Reference.python) else { return .missing }
        do {
            return try run()
        } catch {
            return .failed("\(error)")
        }
    }()

    private static func run() throws -> Outcome {
        var series: [String: [Double]] = [:], beats: [String: [Double]] = [:], ppgSamples: [String: [UInt32]] = [:]

        var resting = HeartModel(persona: persona, seed: 2024)
        var intervals: [Double] = []
        while resting.time < 300 { intervals.append(resting.nextBeat(intensity: 0).rr) }
        series["resting"] = intervals

        var configuration = HeartModel.Configuration(persona: persona)
        configuration.ectopicBeatProbability = 0.03
        var ectopic = HeartModel(configuration: configuration, seed: 7)
        intervals = []
        while ectopic.time < 180 { intervals.append(ectopic.nextBeat(intensity: 0).rr) }
        series["ectopic"] = intervals

        for (name, intensity, motion) in [("ppg-rest", 0.0, 0.0), ("ppg-motion", 0.4, 0.4)] {
            var heart = HeartModel(configuration: .init(persona: persona), seed: 99, initialIntensity: intensity)
            var ppg = PPGSynthesizer(configuration: .init(sampleRate: ppgRate), seed: 99)
            var samples: [UInt32] = [], times: [Double] = []
            for _ in 0..<Int(ppgDuration * ppgRate) {
                // A brisk walk (intensity and motion 0.4): 1.8 steps/s, the wrist swinging at 0.9 Hz.
                samples.append(ppg.nextSample(heart: &heart, intensity: intensity, motion: motion,
                                              stepFrequency: 1.8) { times.append($0.time) })
            }
            ppgSamples[name] = samples
            beats[name] = times
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-heart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var jobs: [[String: Any]] = []
        for (name, values) in series {
            let file = folder.appendingPathComponent("\(name).txt")
            // Swift's description of a Double round-trips exactly.
            try values.map { "\($0)" }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            jobs.append(["name": name, "kind": "rr", "path": file.path])
        }
        for (name, samples) in ppgSamples {
            let file = folder.appendingPathComponent("\(name).txt")
            try samples.map { "\($0)" }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            jobs.append(["name": name, "kind": "ppg", "path": file.path, "rate": ppgRate, "invert": true])
        }
        let manifest = folder.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: jobs).write(to: manifest)

        let result = try Reference.executeBlocking(Reference.python, [Reference.path("tools/heart_reference.py"), "batch", manifest.path])
        guard result.status == 0 else {
            if result.errorText.contains("No module named 'neurokit2'") { return .missing }
            return .failed("exit \(result.status): \(result.errorText)")
        }

        let object = try JSONSerialization.jsonObject(with: result.output) as? [String: Any] ?? [:]
        var results = Results()
        let decoder = JSONDecoder()
        for name in series.keys {
            let json = try JSONSerialization.data(withJSONObject: object[name] ?? [:])
            results.rr[name] = try decoder.decode(RRResult.self, from: json)
        }
        for name in ppgSamples.keys {
            let json = try JSONSerialization.data(withJSONObject: object[name] ?? [:])
            results.ppg[name] = try decoder.decode(PPGResult.self, from: json)
        }
        return .ran(Batch(series: series, beats: beats, results: results))
    }
}
