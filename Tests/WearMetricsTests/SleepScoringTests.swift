import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// Cole-Kripke and Sadeh against a second implementation written here from the papers'
/// formulas (a zero-padded copy of the series and plain index arithmetic, not the module's
/// code), on seeded random nights of several kinds; Webster's rules and the night's summary by
/// hand.
@Suite struct SleepScoringTests {
    /// The second implementation: the series padded with zeros, then each formula as printed.
    enum Second {
        static func coleKripke(_ counts: [Double]) -> [Bool] {
            let a = [0, 0, 0, 0] + counts.map { min($0 / 100, 300) } + [0, 0]
            return (0..<counts.count).map { i in
                let j = i + 4
                let d = 0.001 * (106 * a[j - 4] + 54 * a[j - 3] + 58 * a[j - 2] + 76 * a[j - 1] + 230 * a[j]
                                 + 74 * a[j + 1] + 67 * a[j + 2])
                return d < 1
            }
        }

        static func sadeh(_ counts: [Double]) -> [Bool] {
            let a = [Double](repeating: 0, count: 5) + counts.map { min($0, 300) } + [Double](repeating: 0, count: 5)
            return (0..<counts.count).map { i in
                let j = i + 5
                let window = Array(a[(j - 5)...(j + 5)])
                let mw5 = window.reduce(0, +) / 11
                let nat = Double(window.filter { $0 >= 50 && $0 < 100 }.count)
                let six = Array(a[(j - 5)...j])
                let mean = six.reduce(0, +) / 6
                let sd6 = sqrt(six.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5)
                let ps = 7.601 - 0.065 * mw5 - 1.08 * nat - 0.056 * sd6 - 0.703 * log(a[j] + 1)
                return ps >= 0
            }
        }
    }

    /// Nights of quiet sleep with movements, of restless wake, and mixed, with counts of every size.
    static func night(seed: UInt64, epochs: Int) -> [Double] {
        var random = SeededGenerator(seed: seed)
        var counts: [Double] = []
        var awake = Bool.random(using: &random)
        for _ in 0..<epochs {
            if Double.random(in: 0..<1, using: &random) < 0.05 { awake.toggle() }
            let roll = Double.random(in: 0..<1, using: &random)
            if awake {
                counts.append(Double(Int.random(in: 0...4000, using: &random)))
            } else if roll < 0.6 {
                counts.append(0)
            } else {
                counts.append(Double(Int.random(in: 1...(roll < 0.95 ? 120 : 1500), using: &random)))
            }
        }
        return counts
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func bothAlgorithmsEqualTheSecondImplementation(seed: UInt64) {
        let counts = Self.night(seed: seed, epochs: 600)
        let coleKripke = SleepScoring.coleKripke(counts), sadeh = SleepScoring.sadeh(counts)
        #expect(coleKripke == Second.coleKripke(counts))
        #expect(sadeh == Second.sadeh(counts))
        // Neither all sleep nor all wake: the nights exercise both sides of each threshold.
        #expect(coleKripke.contains(true) && coleKripke.contains(false))
        #expect(sadeh.contains(true) && sadeh.contains(false))
    }

    /// Webster's rules one at a time (S sleep, W wake, one letter a minute).
    @Test func webstersRulesByHand() {
        func scoring(_ text: String) -> [Bool] { text.map { $0 == "S" } }
        func text(_ sleep: [Bool]) -> String { String(sleep.map { $0 ? "S" : "W" }) }
        // (a) 4 min of wake: the next minute of sleep becomes wake; 3 min: nothing.
        #expect(text(SleepScoring.webster(scoring("WWWWSSSSSSSSSSSSSSSSSSSSSS"))) == "WWWWWSSSSSSSSSSSSSSSSSSSSS")
        #expect(text(SleepScoring.webster(scoring("SWWWSSSSSSSSSSSSSSSSSSSSSS"))) == "SWWWSSSSSSSSSSSSSSSSSSSSSS")
        // (b) 10 min: the next 3; (c) 15 min: the next 4.
        #expect(text(SleepScoring.webster(scoring(String(repeating: "W", count: 10) + String(repeating: "S", count: 12))))
                == String(repeating: "W", count: 13) + String(repeating: "S", count: 9))
        #expect(text(SleepScoring.webster(scoring(String(repeating: "W", count: 15) + String(repeating: "S", count: 12))))
                == String(repeating: "W", count: 19) + String(repeating: "S", count: 8))
        // (d) 6 min of sleep between 10 min of wake on both sides: all wake; 7 min: only (b)'s 3.
        let w10 = String(repeating: "W", count: 10)
        #expect(text(SleepScoring.webster(scoring(w10 + "SSSSSS" + w10))) == w10 + "WWWWWW" + w10)
        #expect(text(SleepScoring.webster(scoring(w10 + "SSSSSSS" + w10))) == w10 + "WWWSSSS" + w10)
        // (e) 10 min of sleep between 20 min of wake on both sides: all wake.
        let w20 = String(repeating: "W", count: 20)
        #expect(text(SleepScoring.webster(scoring(w20 + "SSSSSSSSSS" + w20))) == w20 + "WWWWWWWWWW" + w20)
    }

    /// The summary of a scoring: onset, wake time, WASO and its runs, efficiency.
    @Test func theNightsSummaryByHand() throws {
        // 5 epochs of movement, 20 still, 3 of movement, 20 still, 2 of movement: 50 minutes.
        let counts = [Double](repeating: 3000, count: 5) + [Double](repeating: 0, count: 20)
            + [Double](repeating: 3000, count: 3) + [Double](repeating: 0, count: 20) + [Double](repeating: 3000, count: 2)
        let start: Int64 = 1_764_626_400_000_000  // 2025-12-01T22:00:00Z
        let report = ActigraphyAnalysis.report(.init(startMicros: start, counts: counts), algorithm: .sadeh,
                                               rescore: false) { "\(($0 - start) / 60_000_000)" }
        let sleep = SleepScoring.sadeh(counts)
        let first = try #require(sleep.firstIndex(of: true)), last = try #require(sleep.lastIndex(of: true))
        #expect(report.sleep == sleep.map { $0 ? 1 : 0 })
        #expect(report.sleep_onset == "\(first)" && report.wake_time == "\(last + 1)")
        #expect(report.total_sleep_min == sleep.filter { $0 }.count)
        #expect(report.waso_min == sleep[first...last].filter { !$0 }.count)
        #expect(report.awakenings == (report.waso_min > 0 ? 1 : 0))
        #expect(abs(report.efficiency_pct - Double(report.total_sleep_min) / 50 * 100) < 1e-9)
        #expect(report.total_sleep_min > 20 && report.waso_min > 0, "the movement in the middle is an awakening")
    }

    @Test func badLinesAreNamed() {
        func problem(_ text: String) -> String? {
            do {
                _ = try ActigraphyAnalysis.parse(text) { Int64($0) }
                return nil
            } catch { return error.description }
        }
        #expect(problem("time,counts\n0,5\n60000000,5\n") == nil)
        #expect(problem("time,counts\n0,5\n90000000,5\n")?.contains("line 3: 90.0 s after the epoch before") == true)
        #expect(problem("0,5\nsoon,5\n")?.contains("line 2:") == true)
        #expect(problem("0,-1\n")?.contains("line 1: counts") == true)
        #expect(problem("0\n")?.contains("line 1: expected time,counts") == true)
        #expect(problem("# nothing\n")?.contains("no epochs") == true)
    }
}

/// The live Cole-Kripke: two epochs late, the batch scores of each unbroken run.
@Suite struct SleepWakeStreamTests {
    @Test func eachRunScoresAsTheBatchDoes() {
        var random = SeededGenerator(seed: 12)
        // Two runs of a night's counts, the second starting 10 minutes after the first ends.
        let first = (0..<200).map { _ in Double.random(in: 0..<1, using: &random) < 0.7 ? 0 : Double.random(in: 0...900, using: &random) }
        let second = (0..<37).map { _ in Double.random(in: 0...400, using: &random) }
        var stream = SleepWakeStream()
        var records: [MetricRecord] = []
        for (index, counts) in first.enumerated() { stream.add(counts, epochStart: 6_000 + Double(index) * 60, into: &records) }
        let late = records.count
        let secondStart = 6_000 + Double(first.count + 10) * 60
        for (index, counts) in second.enumerated() { stream.add(counts, epochStart: secondStart + Double(index) * 60, into: &records) }
        stream.finish(into: &records)
        #expect(late == first.count - 2)  // two epochs late
        let expected = SleepScoring.coleKripke(first).enumerated().map { (6_000 + Double($0.offset) * 60, $0.element) }
            + SleepScoring.coleKripke(second).enumerated().map { (secondStart + Double($0.offset) * 60, $0.element) }
        #expect(records.map(\.time) == expected.map(\.0))
        #expect(records.map { $0.value == 1 } == expected.map(\.1))
        #expect(records.allSatisfy { $0.metric == .sleepWake && $0.end == $0.time + 60 })
    }

    @Test func shortRunsAreScoredWhole() {
        for length in 1...3 {
            var stream = SleepWakeStream()
            var records: [MetricRecord] = []
            let counts = Array([0.0, 2000, 50].prefix(length))
            for (index, value) in counts.enumerated() { stream.add(value, epochStart: Double(index) * 60, into: &records) }
            stream.finish(into: &records)
            #expect(records.map { $0.value == 1 } == SleepScoring.coleKripke(counts), "\(length)")
        }
    }
}
