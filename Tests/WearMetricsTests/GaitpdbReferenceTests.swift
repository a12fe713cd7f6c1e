import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// The insole analysis on real walks (PhysioNet gaitpdb, ../shared/data/gaitpdb/, or the
/// directory in GAITWAY_GAITPDB, so that other walks of the database can be checked the same
/// way) against tools/insole_gait_reference.py: numpy, a fixed 5 %-of-body-weight threshold
/// over the whole recording, nothing shared with the Swift code.
@Suite struct GaitpdbReferenceTests {
    static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["GAITWAY_GAITPDB"] { return URL(fileURLWithPath: path) }
        return Reference.repository.deletingLastPathComponent().appendingPathComponent("shared/data/gaitpdb")
    }()

    /// Every walk in the directory (names like GaCo01_01.txt).
    static var walks: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.range(of: #"^[A-Z][a-z](Co|Pt)\d+_\d+\.txt$"#, options: .regularExpression) != nil }.sorted()
    }

    struct ReferenceFoot: Decodable {
        var strides: Int
        var stride_time_mean_s: Double?
        var stance_pct: Double?
        /// [IC s, stride time s, stance %] per stride.
        var stride_list: [[Double]]
    }

    struct ReferenceResult: Decodable {
        var body_weight_n: Double
        var left: ReferenceFoot
        var right: ReferenceFoot
    }

    @Test func theWalksAreThere() {
        if Self.walks.count < 4 { Reference.missing("gaitpdb walks not found in \(Self.directory.path)") }
    }

    @Test(arguments: walks)
    func agreesWithTheNumpyReference(_ walk: String) async throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(walk), encoding: .utf8)
        let report = try InsoleGaitAnalysis.gaitpdb(text)
        print("\(walk):\n\(report.text)")
        guard Reference.pythonAvailable(for: "gaitpdb reference") else { return }
        let run = try await Reference.execute(Reference.python, [Reference.path("tools/insole_gait_reference.py"),
                                                           Self.directory.appendingPathComponent(walk).path])
        guard run.status == 0 else {
            if run.status == 3 { Reference.missing("numpy: \(run.errorText)") } else { Issue.record("reference: \(run.errorText)") }
            return
        }
        let reference = try JSONDecoder().decode(ReferenceResult.self, from: run.output)
        for (ours, theirs, side) in [(report.left, reference.left, "left"), (report.right, reference.right, "right")] {
            // Compared stride for stride: the strides both found (IC within 50 ms). The two differ
            // on purpose in what they keep at turns and stops (the reference keeps any IC-TO-IC of
            // 0.4–3 s, ours needs a clean stance and swing); the means of all strides are printed.
            let mine = report.strides.filter { $0.foot == (side == "left" ? .left : .right) }
            var pairs: [(ours: InsoleGaitReport.Stride, reference: [Double])] = []
            for row in theirs.stride_list {
                if let match = mine.first(where: { abs($0.ic - row[0]) <= 0.05 }) { pairs.append((match, row)) }
            }
            let n = Double(pairs.count)
            let stride = pairs.map(\.ours.strideTime).reduce(0, +) / n, refStride = pairs.map { $0.reference[1] }.reduce(0, +) / n
            let stance = pairs.map(\.ours.stancePercent).reduce(0, +) / n, refStance = pairs.map { $0.reference[2] }.reduce(0, +) / n
            print("\(walk) \(side): \(pairs.count) strides in common of \(ours.strides) / \(theirs.strides); stride \(stride) s vs "
                + "\(refStride) s, stance \(stance) % vs \(refStance) %; all strides: \(ours.strideTimeMean ?? 0) s vs "
                + "\(theirs.stride_time_mean_s ?? 0) s, \(ours.stancePercent ?? 0) % vs \(theirs.stance_pct ?? 0) %")
            #expect(abs(stride / refStride - 1) < 0.01, "\(walk) \(side) stride time")
            #expect(abs(stance - refStance) < 2, "\(walk) \(side) stance share")
            // Nearly all of the reference's strides are found, and few others.
            #expect(n >= 0.9 * Double(theirs.strides), "\(walk) \(side) strides found")
            #expect(n >= 0.9 * Double(ours.strides), "\(walk) \(side) strides the reference has too")
            // Plausible for adults walking, including a slow Parkinsonian gait (GaPt03: 0.78 m/s):
            // stride 0.8–1.8 s, stance 55–72 % (Parkinsonian gait lengthens stance and double
            // support: Morris et al., Brain 119:551, 1996).
            let all = try #require(ours.strideTimeMean), allStance = try #require(ours.stancePercent)
            #expect(all > 0.8 && all < 1.8)
            #expect(allStance > 55 && allStance < 72)
        }
        // Steady-state variability (inner strides of bouts, turns cut out): healthy ~1–3 %,
        // Parkinsonian higher (Hausdorff, Hum Mov Sci 26:555, 2007).
        for bout in report.bouts where bout.steps >= 20 {
            #expect(bout.strideTimeCV.map { $0 > 0.5 && $0 < 12 } ?? false, "bout at \(bout.start) s")
        }
        #expect(report.doubleSupportPercent.map { $0 > 10 && $0 < 45 } ?? false)
        #expect(report.cadence.map { $0 > 65 && $0 < 150 } ?? false)
        #expect(report.bouts.contains { $0.mode == .walking })
    }
}
