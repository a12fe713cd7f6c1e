import Foundation
import Testing

/// `gaitway analyze insole` as a device tester runs it on a gaitpdb walk.
@Suite struct AnalyzeInsoleCommandTests {
    /// The first of the PhysioNet walks beside the repository (../shared/data/gaitpdb/).
    static let walk = GaitwayRun.repository.deletingLastPathComponent()
        .appendingPathComponent("shared/data/gaitpdb/GaCo01_01.txt").path

    @Test func aWalkGivesTheDocumentedKeysAndPlausibleValues() throws {
        try #require(FileManager.default.fileExists(atPath: Self.walk), "no gaitpdb walk at \(Self.walk)")
        let run = try GaitwayRun.run(["analyze", "insole", Self.walk, "--layout", "gaitpdb"])
        #expect(run.exited(0), "status \(run.status): \(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        for key in ["left", "right", "double_support_pct", "cadence_spm", "symmetry_index_pct", "strides"] {
            #expect(report[key] != nil, "no \(key)")
        }
        for foot in ["left", "right"] {
            let summary = try #require(report[foot] as? [String: Any])
            let strides = try #require(summary["strides"] as? Int)
            let strideTime = try #require(summary["stride_time_mean_s"] as? Double)
            let stance = try #require(summary["stance_pct"] as? Double)
            let swing = try #require(summary["swing_pct"] as? Double)
            // A two-minute walk of a healthy adult: strides about 1.0-1.4 s, stance about 60 %.
            #expect(strides > 60, "\(foot): \(strides) strides")
            #expect((0.9...1.5).contains(strideTime), "\(foot): stride time \(strideTime)")
            #expect((55...70).contains(stance) && abs(stance + swing - 100) < 1e-6, "\(foot): stance \(stance), swing \(swing)")
            #expect(summary["stride_time_cv_pct"] is Double)
        }
        let cadence = try #require(report["cadence_spm"] as? Double)
        #expect((80...130).contains(cadence), "cadence \(cadence)")
        let perStride = try #require(report["strides"] as? [[String: Any]])
        #expect(perStride.count > 120 && perStride.allSatisfy { $0["ic_s"] is Double && $0["foot"] is String })

        let text = try GaitwayRun.run(["analyze", "insole", Self.walk, "--format", "text"])
        #expect(text.exited(0) && text.output.contains("stride time mean (s)"), "\(text.output)")
    }

    @Test func badFilesAreMessagesThatNameTheLine() throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("walk.txt")
        let line = (["0.00"] + Array(repeating: "10", count: 18)).joined(separator: "\t")
        try Data((line + "\n" + "0.01\t10\tten\n").utf8).write(to: file)
        let run = try GaitwayRun.run(["analyze", "insole", file.path])
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("walk.txt: line 2"), "\(run.errors)")
        #expect(run.output.isEmpty)

        let missing = try GaitwayRun.run(["analyze", "insole", directory.appendingPathComponent("none.txt").path])
        #expect(missing.exited(1) && missing.errors.contains("none.txt"), "\(missing.errors)")
        let weight = try GaitwayRun.run(["analyze", "insole", file.path, "--weight-kg", "-70"])
        #expect(weight.exited(64) && weight.errors.contains("outside 10...300 kg"), "\(weight.errors)")
    }
}
