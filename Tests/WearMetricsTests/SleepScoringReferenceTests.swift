import Foundation
import GaitwayTestSupport
import Testing
import WearMetrics

/// Cole-Kripke and Sadeh against pyActigraphy 1.1 (Hammad et al. 2021, its `CK` and `Sadeh`;
/// tools/sleep_scoring_reference.py), on the seeded nights of SleepScoringTests.
///
/// pyActigraphy does not pad the series: where a window reaches past an end it scores wake, so
/// the comparison is within its `*_valid` ranges. Cole-Kripke there must be equal epoch for
/// epoch. Its Sadeh differs from the paper's formula, which ours follows, in three ways: LG is
/// taken from the next epoch's count (`data.shift(-1)`), sleep is PS > 0, and NAT counts
/// 50 < x < 100. The test checks that the package is our formula with exactly those three
/// changes (``pyActigraphySadeh(_:)``), epoch for epoch, and reports how many epochs they move.
/// One run of the script for all six nights: six Python processes (numba, pandas) at once
/// starved the timing-sensitive tests that run beside them on two cores.
@Suite struct SleepScoringReferenceTests {
    struct Result: Decodable {
        var package: String
        var cole_kripke: [Int]
        var sadeh: [Int]
        var cole_kripke_valid: [Int]
        var sadeh_valid: [Int]
    }

    /// The package's scorings of `nights`, in one run of the script (its imports take seconds).
    static func reference(_ nights: [[Double]]) throws -> [Result]? {
        guard Reference.pythonAvailable(for: "sleep scoring reference") else { return nil }
        let start = 1_740_870_000.0  // 2025-03-01T23:00:00Z
        let formatter = ISO8601DateFormatter()
        var files: [URL] = []
        defer { for file in files { try? FileManager.default.removeItem(at: file) } }
        for counts in nights {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("epochs-\(UUID().uuidString).csv")
            files.append(file)
            let lines = counts.enumerated().map { "\(formatter.string(from: Date(timeIntervalSince1970: start + Double($0.offset) * 60))),\($0.element)" }
            try (["time,counts"] + lines).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        }
        let run = try Reference.executeBlocking(Reference.python,
                                                [Reference.path("tools/sleep_scoring_reference.py")] + files.map(\.path))
        if run.status == 3 {
            Reference.missing("sleep scoring reference: \(run.errorText) (run tools/bootstrap.sh)")
            return nil
        }
        try #require(run.status == 0, "\(run.errorText)")
        return try run.outputText.split(separator: "\n").map { try JSONDecoder().decode(Result.self, from: Data($0.utf8)) }
    }

    @Test func coleKripkeEqualsPyActigraphysAndItsSadehIsOursWithItsChanges() throws {
        let seeds: [UInt64] = [1, 2, 3, 4, 5, 6]
        let nights = seeds.map { SleepScoringTests.night(seed: $0, epochs: 600) }
        guard let references = try Self.reference(nights) else { return }
        try #require(references.count == nights.count)
        for (seed, (counts, reference)) in zip(seeds, zip(nights, references)) {
            Self.compare(counts, reference, seed: seed)
        }
    }

    static func compare(_ counts: [Double], _ reference: Result, seed: UInt64) {
        let coleKripke = SleepScoring.coleKripke(counts).map { $0 ? 1 : 0 }
        let ck = reference.cole_kripke_valid[0]..<reference.cole_kripke_valid[1]
        #expect(ck == 4..<596)
        let ckDiffering = ck.filter { coleKripke[$0] != reference.cole_kripke[$0] }
        #expect(ckDiffering.isEmpty, "\(reference.package): Cole-Kripke differs at \(ckDiffering)")

        let sd = reference.sadeh_valid[0]..<reference.sadeh_valid[1]
        #expect(sd == 5..<595)
        let emulated = pyActigraphySadeh(counts)
        let emulationDiffering = sd.filter { emulated[$0] != reference.sadeh[$0] }
        #expect(emulationDiffering.isEmpty, "\(reference.package): Sadeh is not ours with its three changes at \(emulationDiffering)")
        let sadeh = SleepScoring.sadeh(counts).map { $0 ? 1 : 0 }
        let sadehDiffering = sd.filter { sadeh[$0] != reference.sadeh[$0] }
        print("seed \(seed): Cole-Kripke equal on \(ck.count) epochs, Sadeh differs on \(sadehDiffering.count) of \(sd.count) (\(reference.package))")
    }

    /// SleepScoring.sadeh's formula (Sadeh et al. 1994) with pyActigraphy's three changes: LG of
    /// the next epoch's count, NAT for 50 < x < 100, sleep when PS > 0 (1 sleep).
    static func pyActigraphySadeh(_ counts: [Double]) -> [Int] {
        let a = counts.map { min(max($0, 0), 300) }
        return a.indices.map { i in
            guard i >= 5, i + 5 < a.count else { return 0 }
            let window = a[(i - 5)...(i + 5)]
            let mw5 = window.reduce(0, +) / 11
            let nat = Double(window.filter { $0 > 50 && $0 < 100 }.count)
            let six = Array(a[(i - 5)...i])
            let mean = six.reduce(0, +) / 6
            let sd6 = (six.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5).squareRoot()
            let ps = 7.601 - 0.065 * mw5 - 1.08 * nat - 0.056 * sd6 - 0.703 * log(a[i + 1] + 1)
            return ps > 0 ? 1 : 0
        }
    }
}
