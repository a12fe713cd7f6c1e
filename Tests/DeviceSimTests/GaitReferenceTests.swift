import Foundation
import GaitwayTestSupport
import Testing
@testable import DeviceSim

/// (b) Long-range correlation of the model's stride times, measured by NeuroKit2's DFA
/// (`tools/gait_reference.py`), which nobody here wrote. Skipped with a message when the
/// venv has no NeuroKit2 (`bash tools/bootstrap.sh`), failed then when
/// GAITWAY_REQUIRE_REFERENCES=1.
@Suite struct GaitReferenceTests {
    /// α of the series, or nil (with a recorded issue when references are required) when the tool cannot run.
    static func alpha(_ intervals: [Double]) async throws -> Double? {
        guard Reference.pythonAvailable(for: "NeuroKit2 DFA of stride times") else { return nil }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("gait-intervals-\(UUID().uuidString).txt")
        try intervals.map { String($0) }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try await Reference.execute(Reference.python, [Reference.path("tools/gait_reference.py"), input.path])
        let message = result.errorText
        if result.status == 3 {
            Reference.missing(message)
            return nil
        }
        guard result.status == 0,
              let object = try JSONSerialization.jsonObject(with: result.output) as? [String: Any],
              let alpha = object["alpha"] as? Double else {
            Issue.record("gait_reference.py failed: \(message)")
            return nil
        }
        return alpha
    }

    /// Left-foot stride intervals after the start ramp.
    static func strideIntervals(_ style: GaitStyle, seed: UInt64, count: Int) -> [Double] {
        var model = GaitModel(style: style, seed: seed, activity: .walk())
        var strikes: [Double] = []
        var t = 0.0
        while strikes.count < count + 21 {
            t += 10
            model.advance(to: t) { if $0.kind == .heelStrike && $0.foot == .left { strikes.append($0.time) } }
        }
        let tail = strikes.dropFirst(20).prefix(count + 1)
        return zip(tail.dropFirst(), tail).map { $0 - $1 }
    }

    @Test func healthyStrideTimesAreLongRangeCorrelatedAndParkinsonsLess() async throws {
        let healthyStyle = GaitStyle.healthy(bodyMass: 83, height: 1.80, speed: 1.075)
        let parkinsonStyle = GaitStyle.parkinsonian(bodyMass: 50, height: 1.45)
        var healthyAlphas: [Double] = [], parkinsonAlphas: [Double] = []
        for seed: UInt64 in [1, 2, 3] {
            guard let healthy = try await Self.alpha(Self.strideIntervals(healthyStyle, seed: seed, count: 1024)),
                  let parkinson = try await Self.alpha(Self.strideIntervals(parkinsonStyle, seed: seed, count: 1024)) else { return }
            healthyAlphas.append(healthy)
            parkinsonAlphas.append(parkinson)
        }
        // White noise through the same tool: α ≈ 0.5 (a check of the tool and of our reading of it).
        var random = ModelRandom.gait(seed: 99, stream: 1)
        let white = (0..<1024).map { _ in 1.1 + 0.02 * random.normal() }
        guard let whiteAlpha = try await Self.alpha(white) else { return }
        print("NeuroKit2 DFA α: healthy persona \(healthyAlphas), Parkinson persona \(parkinsonAlphas), white noise \(whiteAlpha)")
        for alpha in healthyAlphas { #expect(alpha > 0.7 && alpha < 1.05) }
        for parkinson in parkinsonAlphas { #expect(parkinson < 0.7) }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        #expect(mean(parkinsonAlphas) < mean(healthyAlphas) - 0.15)
        #expect(whiteAlpha > 0.35 && whiteAlpha < 0.65)
    }
}
