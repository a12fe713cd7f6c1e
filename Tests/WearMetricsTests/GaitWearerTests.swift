import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// Two feet on one clock (WearerGait) on synthetic walks and runs with known timing, the
/// bout and standing records, the DFA against series of known scaling, and the gaitpdb
/// parser's errors.
@Suite struct GaitWearerTests {
    struct Records {
        var foot: [MetricRecord] = []
        var wearer: [MetricRecord] = []

        func values(_ metric: Metric, in list: KeyPath<Records, [MetricRecord]>) -> [Double] {
            self[keyPath: list].filter { $0.metric == metric }.map(\.value)
        }
    }

    static func feed(_ walk: inout SyntheticGait, duration: Double, standingFrom: Double? = nil) -> (Records, [WearerStride]) {
        var gait = WearerGait(left: .gaitpdb(.left), right: .gaitpdb(.right), retainsStrides: true)
        var records = Records()
        var strides: [WearerStride] = []
        for k in 0..<Int(duration * 100) {
            let t = Double(k) / 100
            for foot in FootSide.allCases {
                var cells = walk.cells(foot, at: t)
                if let from = standingFrom, t >= from {
                    // Both feet flat, half the body weight each, still.
                    cells = [Double](repeating: walk.bodyWeight / 16, count: 8)
                }
                gait.process(foot, time: t, force: cells.reduce(0, +), cells: cells.span,
                             footRecords: &records.foot, wearerRecords: &records.wearer)
            }
            while let s = gait.nextStride() { strides.append(s) }
        }
        gait.finish(footRecords: &records.foot, wearerRecords: &records.wearer)
        while let s = gait.nextStride() { strides.append(s) }
        return (records, strides)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    @Test func walkingTemporalParameters() throws {
        // Stance 62 % of a 1.1 s stride, right half a stride after left: double support is
        // 2 × (0.62 − 0.5) = 24 % of the stride, single support 0.38 × 1.1 s, step 0.55 s.
        var walk = SyntheticGait(seed: 41, duration: 90, cv: 0.01)
        let (records, strides) = Self.feed(&walk, duration: 90)
        let walking = strides.filter { $0.mode == .walking }
        #expect(Double(walking.count) > 0.95 * Double(strides.count))
        // Each stance is timed ~4.5 ms late at IC and early at TO (the event level sits above
        // the noise of the idle cells: GaitEventTests), which takes ~2 × 9 ms off double support.
        #expect(abs(Self.median(records.values(.doubleSupport, in: \.wearer)) - 24) < 2.5)
        #expect(abs(Self.median(records.values(.singleSupportTime, in: \.wearer)) - 0.38 * 1.1) < 0.015)
        #expect(abs(Self.median(records.values(.stepTime, in: \.wearer)) - 0.55) < 0.015)
        #expect(records.values(.flightTime, in: \.wearer).isEmpty)
        // One bout over the walk: cadence 120 / 1.1 s, symmetric, CV near the 1 % drawn.
        let bouts = records.wearer.filter { $0.metric == .walkingBout }
        #expect(bouts.count == 1)
        let cadence = try #require(records.values(.cadence, in: \.wearer).first)
        #expect(abs(cadence - 120 / 1.1) < 1)
        let cv = try #require(records.values(.strideTimeCV, in: \.wearer).first)
        #expect(cv > 0.5 && cv < 1.6)
        for si in [Metric.strideTimeSymmetry, .stanceTimeSymmetry, .swingTimeSymmetry] {
            #expect(abs(try #require(records.values(si, in: \.wearer).first)) < 2)
        }
        #expect(records.values(.dfaAlpha, in: \.wearer).count == 1)  // ~80 strides of the left foot
        // Per-foot records: one stride_time per stride, each at its IC.
        let strideTimes = records.foot.filter { $0.metric == .strideTime }
        #expect(strideTimes.count == strides.count)
        #expect(Set(strideTimes.map(\.time)) == Set(strides.map(\.stride.initialContact)))
        #expect(records.foot.filter { $0.metric == .strikePattern }.allSatisfy { $0.value == 0 })
    }

    @Test func runningHasFlightAndNoDoubleSupport() throws {
        // Stance 35 % of a 0.72 s stride: flight 2 × (0.5 − 0.35) × 0.72 s split over the two
        // gaps of a stride, duty factor 35 %.
        var run = SyntheticGait(seed: 42, duration: 60, strideMean: 0.72, cv: 0.01, stanceShare: 0.35, running: true)
        let (records, strides) = Self.feed(&run, duration: 60)
        #expect(Double(strides.filter { $0.mode == .running }.count) > 0.95 * Double(strides.count))
        #expect(abs(Self.median(records.values(.flightTime, in: \.wearer)) - 0.3 * 0.72) < 0.015)
        #expect(abs(Self.median(records.values(.dutyFactor, in: \.wearer)) - 35) < 1.5)
        #expect(abs(Self.median(records.values(.groundContactTime, in: \.wearer)) - 0.35 * 0.72) < 0.012)
        #expect(records.wearer.contains { $0.metric == .runningBout })
        let balance = try #require(records.values(.contactTimeBalance, in: \.wearer).first)
        #expect(abs(balance - 50) < 1)
    }

    @Test func standingEndsTheBoutAndIsRecorded() throws {
        var walk = SyntheticGait(seed: 43, duration: 60)
        let (records, strides) = Self.feed(&walk, duration: 60, standingFrom: 40)
        #expect(!strides.contains { $0.stride.nextContact > 40.5 })
        let standing = try #require(records.wearer.first { $0.metric == .standing })
        #expect(standing.time > 39 && standing.time < 41)
        #expect(abs(try #require(standing.end) - 60) < 0.02)
        #expect(records.wearer.filter { $0.metric == .walkingBout }.count == 1)
    }

    @Test func aLoneInsolesStridesGoOutAsTheyEnd() throws {
        // One right insole only: each stride is out by the frame of its next contact plus the
        // detector's confirmation, not held for a left foot that never comes.
        var walk = SyntheticGait(seed: 45, duration: 30)
        var gait = WearerGait(right: .gaitpdb(.right), onlyFoot: .right, retainsStrides: true)
        var records = Records()
        var lags: [Double] = []
        for k in 0..<3000 {
            let t = Double(k) / 100
            let cells = walk.cells(.right, at: t)
            gait.process(.right, time: t, force: cells.reduce(0, +), cells: cells.span,
                         footRecords: &records.foot, wearerRecords: &records.wearer)
            while let stride = gait.nextStride() { lags.append(t - stride.stride.nextContact) }
        }
        #expect(lags.count >= 20, "\(lags.count) strides")
        #expect((lags.max() ?? .infinity) < 1, "strides held back: \(lags)")
        // No other foot: no two-foot parameters.
        #expect(records.wearer.filter { $0.metric == .doubleSupport }.isEmpty)
    }

    @Test func dfaOfKnownScaling() throws {
        var g = SeededGenerator(seed: 7)
        print("DFA seed 7")
        let white = (0..<1024).map { _ in 1.1 + 0.02 * SyntheticGait.normal(&g) }
        var sum = 0.0
        let brown = white.map { sum += $0 - 1.1; return 1.1 + sum * 0.01 }
        let a = try #require(DetrendedFluctuation.alpha(white)), b = try #require(DetrendedFluctuation.alpha(brown))
        print("DFA alpha white \(a), brown \(b)")
        #expect(abs(a - 0.5) < 0.1)
        #expect(abs(b - 1.5) < 0.12)
        #expect(DetrendedFluctuation.alpha(Array(white.prefix(DetrendedFluctuation.minimumCount - 1))) == nil)
    }

    @Test func gaitpdbErrorsNameTheLine() {
        let good = "0.00\t" + Array(repeating: "1", count: 18).joined(separator: "\t")
        func error(_ text: String) -> GaitpdbTextError? {
            do {
                _ = try InsoleGaitAnalysis.gaitpdb(text)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(good + "\r\n" + "0.01\t1\t2\r\n")?.line == 2)
        #expect(error(good + "\r\n" + "0.01\t1\t2\r\n")?.reason == .columnCount(found: 3))
        let bad = error(good + "\n" + good.replacingOccurrences(of: "0.00", with: "0.01").replacingOccurrences(of: "\t1\t", with: "\tx\t"))
        #expect(bad?.line == 2 && bad?.column == 2 && bad?.reason == .notANumber("x"))
        #expect(error(good + "\n" + good)?.reason == .timeNotIncreasing(0))
        #expect(error(good + "\n" + good.replacingOccurrences(of: "0.00", with: "0.01").replacingOccurrences(of: "\t1\t", with: "\t-1\t"))?
            .reason == .badForce(-1))
        #expect(error("\n\n")?.reason == .empty)
        #expect(error(good + "\n") == nil)
    }

    @Test func reportEncodesTheNamedKeys() throws {
        var walk = SyntheticGait(seed: 44, duration: 40)
        var text = ""
        for k in 0..<4000 {
            let t = Double(k) / 100
            let l = walk.cells(.left, at: t), r = walk.cells(.right, at: t)
            let row = [t] + l + r + [l.reduce(0, +), r.reduce(0, +)]
            text += row.map { String($0) }.joined(separator: "\t") + "\r\n"
        }
        let report = try InsoleGaitAnalysis.gaitpdb(text)
        let json = try String(decoding: JSONEncoder().encode(report), as: UTF8.self)
        for key in ["\"left\"", "\"right\"", "\"strides\"", "\"stride_time_mean_s\"", "\"stride_time_cv_pct\"", "\"stance_pct\"",
                    "\"swing_pct\"", "\"double_support_pct\"", "\"cadence_spm\"", "\"symmetry_index_pct\"", "\"ic_s\"", "\"to_s\""] {
            #expect(json.contains(key), "\(key)")
        }
        #expect(abs(try #require(report.left.strideTimeMean) - 1.1) < 0.01)
        #expect(abs(try #require(report.cadence) - 120 / 1.1) < 1.5)
        #expect(report.text.contains("stride time mean (s)"))
    }
}
