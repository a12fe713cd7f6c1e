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
    func agreesWithTheNumpyReference(_ walk: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(walk), encoding: .utf8)
        let report = try InsoleGaitAnalysis.gaitpdb(text)
        print("\(walk):\n\(report.text)")
        guard Reference.pythonAvailable(for: "gaitpdb reference") else { return }
        let run = try Reference.execute(Reference.python, [Reference.path("tools/insole_gait_reference.py"),
                                                           Self.directory.appendingPathComponent(walk).path])
        guard run.status == 0 else {
            if run.status == 3 { Reference.missing("numpy: \(run.errorText)") } else { Issue.record("reference: \(run.errorText)") }
            return
        }
        let reference = try JSONDecoder().decode(ReferenceResult.self, from: run.output)
        for (ours, theirs, side) in [(report.left, reference.left, "left"), (report.right, reference.right, "right")] {
            let stride = try #require(ours.strideTimeMean), stance = try #require(ours.stancePercent)
            let refStride = try #require(theirs.stride_time_mean_s), refStance = try #require(theirs.stance_pct)
            print("\(walk) \(side): stride \(stride) s vs \(refStride) s (\(ours.strides) vs \(theirs.strides) strides), "
                + "stance \(stance) % vs \(refStance) %")
            #expect(abs(stride / refStride - 1) < 0.01, "\(walk) \(side) stride time")
            #expect(abs(stance - refStance) < 2, "\(walk) \(side) stance share")
            // Most of the reference's strides are found (a gait bout has no gaps to lose them in).
            #expect(Double(ours.strides) >= 0.9 * Double(theirs.strides), "\(walk) \(side) stride count")
            // Plausible for adults walking, including a slow Parkinsonian gait (GaPt03: 0.78 m/s):
            // stride 0.8–1.8 s, stance 55–72 % (Parkinsonian gait lengthens stance and double
            // support: Morris et al., Brain 119:551, 1996).
            #expect(stride > 0.8 && stride < 1.8)
            #expect(stance > 55 && stance < 72)
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
