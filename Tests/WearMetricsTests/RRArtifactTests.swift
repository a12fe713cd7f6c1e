import Foundation
import GaitwayTestSupport
import Testing
@testable import WearMetrics

/// Lipponen & Tarvainen's artefact detection and correction on clean series with artefacts put
/// in at known places: the bar is 95 % of them found and a corrected RMSSD within 8 % of
/// the clean one.
@Suite struct RRArtifactTests {
    enum Injected { case extra, missed, ectopic }

    /// `clean` with `count` artefacts of each kind at seeded places at least 12 beats apart;
    /// the corrupted series and the positions (in it) of the artefacts.
    static func corrupt(_ clean: [Double], count: Int, seed: UInt64) -> (series: [Double], positions: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var kinds: [Injected] = []
        for _ in 0..<count { kinds += [.extra, .missed, .ectopic] }
        kinds.shuffle(using: &generator)
        var series: [Double] = []
        var positions: [Int] = []
        var source = 20
        series += clean[0..<source]
        for kind in kinds {
            let gap = Int.random(in: 12...20, using: &generator)
            guard source + gap + 2 < clean.count else { break }
            series += clean[source..<(source + gap)]
            source += gap
            positions.append(series.count)
            switch kind {
            case .extra:  // a beat detected twice: the interval split unevenly
                series += [0.4 * clean[source], 0.6 * clean[source]]
                source += 1
            case .missed:  // a beat not detected: two intervals as one
                series.append(clean[source] + clean[source + 1])
                source += 2
            case .ectopic:  // a premature beat and its compensatory pause
                series += [0.7 * clean[source], clean[source + 1] + 0.3 * clean[source]]
                source += 2
            }
        }
        series += clean[source...]
        return (series, positions)
    }

    @Test(arguments: ["rest", "slow-breathing", "simulator-rest"])
    func injectedArtifactsAreFoundAndCorrected(name: String) throws {
        let clean = try #require(HRVReferenceTests.series[name])
        // The clean series itself: nothing (or next to nothing) flagged.
        #expect(RRArtifacts.detect(clean).count <= clean.count / 100, "\(RRArtifacts.detect(clean))")
        let (series, positions) = Self.corrupt(clean, count: 6, seed: 7)
        #expect(positions.count == 18)
        let found = RRArtifacts.detect(series)
        let flagged = Set(found.map(\.index))
        let hits = positions.filter { flagged.contains($0) || flagged.contains($0 + 1) }
        let spurious = found.filter { artifact in !positions.contains { abs($0 - artifact.index) <= 1 } }
        let corrected = RRArtifacts.correct(series, found)
        let cleanRMSSD = try #require(HRVTimeDomain(intervals: clean)).rmssd
        let corruptRMSSD = try #require(HRVTimeDomain(intervals: series)).rmssd
        let correctedRMSSD = try #require(HRVTimeDomain(intervals: corrected)).rmssd
        print("artefacts \(name): \(hits.count) of \(positions.count) found, \(spurious.count) spurious; RMSSD clean \(cleanRMSSD), "
              + "corrupted \(corruptRMSSD), corrected \(correctedRMSSD) ms; \(series.count) -> \(corrected.count) intervals (clean \(clean.count))")
        #expect(Double(hits.count) >= 0.95 * Double(positions.count))
        #expect(spurious.count <= 2, "\(spurious)")
        #expect(abs(correctedRMSSD - cleanRMSSD) <= 0.08 * cleanRMSSD)
        #expect(abs(corrected.count - clean.count) <= 3)
    }

    @Test func kindsFollowTheDecisionTree() {
        // A flat 800 ms series with one of each: the classes the paper's Figure 1 gives them.
        var series = [Double](repeating: 800, count: 60)
        for i in series.indices { series[i] += Double(i % 3) * 5 }  // some variability for the thresholds
        series[20] = 1600  // missed beat
        series.replaceSubrange(35...35, with: [300, 500])  // extra beat
        series[50] = 560
        series[51] += 240  // ectopic pair
        let found = RRArtifacts.detect(series)
        #expect(found.contains(RRArtifacts.Artifact(index: 20, kind: .missed)), "\(found)")
        #expect(found.contains(RRArtifacts.Artifact(index: 35, kind: .extra)), "\(found)")
        #expect(found.contains { $0.index == 51 && $0.kind == .ectopic }, "\(found)")
        let corrected = RRArtifacts.correct(series, found)
        #expect(corrected.count == 61)  // 61 intervals: the missed one split (+1), the extra pair merged (-1)
        #expect(corrected.allSatisfy { (780...830).contains($0) }, "\(corrected)")
    }

    @Test func rrFilesInMillisecondsOrSecondsAndTheirErrors() throws {
        #expect(try RRAnalysis.parse("# header\n800\n\n 850 \n") == [800, 850])
        #expect(try RRAnalysis.parse("0.8\n0.85\n") == [800, 850])
        #expect(throws: RRAnalysis.ParseError(line: 3, reason: "not a number: \"eight\"")) { try RRAnalysis.parse("800\n810\neight\n") }
        #expect(throws: RRAnalysis.ParseError(line: 2, reason: "-5 is not an interval (a positive number of ms or s)")) {
            try RRAnalysis.parse("800\n-5\n")
        }
        #expect(throws: RRAnalysis.ParseError(line: 1, reason: "no intervals")) { try RRAnalysis.parse("") }
        #expect(throws: RRAnalysis.ParseError(line: 3, reason: "25000.0 ms is longer than any heartbeat (10 s)")) {
            try RRAnalysis.parse("800\n#\n25000\n")
        }
    }
}
