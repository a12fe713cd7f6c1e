@testable import DeviceSim
import Foundation
import GaitwayTestSupport
import ProtocolSpecs
import Testing
import WearMetrics

/// The sleep period window (HDCZA, ``SleepPeriod``) against scikit-digital-health's (skdh 0.17.18,
/// `skdh.sleep.tso.get_total_sleep_opportunity`: van Hees et al. 2018's method as Pfizer's
/// package implements it; tools/sleep_period_reference.py), on the simulated wrist of the `sleep`
/// scenario's night with three seeds.
///
/// skdh differs from ours in two details, so the windows are compared within minutes, not
/// exactly: it takes the z-angle of a 5 s rolling median of the raw acceleration (we take that of
/// the 5 s mean), and its rolling windows are left-aligned with the result moved to the window's
/// centre (ours are centred). Ours runs with skdh's threshold bounds (0.1-1.0°) here; the
/// gateway uses GGIR's (0.13-0.50°). skdh's movement non-wear check is off (plain HDCZA).
/// Serialized: each skdh run takes half a gigabyte and a core for seconds.
@Suite(.serialized) struct SleepPeriodReferenceTests {
    static let rate = 25.0

    @Test(arguments: [UInt64(11), 12, 13])
    func theWindowIsSkdhsWithinMinutes(seed: UInt64) throws {
        guard Reference.pythonAvailable(for: "sleep period reference") else { return }
        let catalog = try ProtocolCatalog.bundled()
        let file = try #require(ScenarioLoader.locate("sleep"))
        let scenario = try Scenario.load(file: file, options: .init(catalog: catalog), seed: seed)
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let body = simulation.bodies[0]
        let epoch = simulation.epoch
        let night = try #require(body.nights.first)

        // The wrist at 25 Hz over the scenario, written as skdh reads it, and into 5 s mean angles.
        var csv = "time,x,y,z\n"
        csv.reserveCapacity(40 * Int(scenario.duration * Self.rate))
        var angles: [Double] = []
        var sum = (x: 0.0, y: 0.0, z: 0.0)
        let perEpoch = Int(5 * Self.rate)
        for tick in 0..<Int(scenario.duration * Self.rate) {
            let time = Double(tick) / Self.rate
            body.advance(to: time)
            let sample = body.wristSample(at: time)
            csv += "\(epoch + time),\(Self.rounded(sample.x)),\(Self.rounded(sample.y)),\(Self.rounded(sample.z))\n"
            sum = (sum.x + Self.rounded(sample.x), sum.y + Self.rounded(sample.y), sum.z + Self.rounded(sample.z))
            if (tick + 1) % perEpoch == 0 {
                let n = Double(perEpoch)
                angles.append(SleepPeriod.zAngle(x: sum.x / n, y: sum.y / n, z: sum.z / n))
                sum = (0, 0, 0)
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("night-\(seed)-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: path) }
        try csv.write(to: path, atomically: false, encoding: .utf8)
        let run = try Reference.executeBlocking(Reference.python,
                                                [Reference.path("tools/sleep_period_reference.py"), path.path, "\(Self.rate)", "--no-nonwear"])
        if run.status == 3 {
            Reference.missing("sleep period reference: \(run.errorText) (run tools/bootstrap.sh)")
            return
        }
        try #require(run.status == 0, "\(run.errorText)")
        struct Result: Decodable { var start: Double?; var end: Double?; var threshold: Double; var package: String }
        let reference = try JSONDecoder().decode(Result.self, from: run.output)
        let referenceStart = try #require(reference.start) - epoch, referenceEnd = try #require(reference.end) - epoch

        var parameters = SleepPeriod.Parameters()
        parameters.thresholdRange = 0.1...1.0
        let ours = try #require(SleepPeriod.window(angles: angles, parameters: parameters))
        let start = Double(ours.epochs.lowerBound) * 5, end = Double(ours.epochs.upperBound) * 5
        let report = "seed \(seed): ours \(start / 60)-\(end / 60) min (threshold \(ours.threshold)°), "
            + "\(reference.package) \(referenceStart / 60)-\(referenceEnd / 60) min (\(reference.threshold)°), "
            + "in bed \(night.start / 60)-\(night.end / 60) min"
        print(report)
        #expect(abs(start - referenceStart) <= 5 * 60 && abs(end - referenceEnd) <= 5 * 60, "\(report)")
        #expect(abs(ours.threshold - reference.threshold) <= 0.25 * reference.threshold, "\(report)")
        // And both where the simulated person was in bed.
        #expect(abs(referenceStart - night.start) <= 15 * 60 && abs(referenceEnd - night.end) <= 15 * 60, "\(report)")
    }

    /// Four decimals of g, as an accelerometer's CSV export writes them.
    static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}
