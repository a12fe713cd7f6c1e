#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sleep or wake for each 60 s epoch of wrist activity counts (ActiGraph counts per minute, as
/// `agcounts` or ActiLife give them), by the two published scoring rules that actigraphy
/// software offers, with the count scaling ActiGraph's ActiLife documents for its counts.
///
/// - ``coleKripke(_:)``: Cole, Kripke, Gruen, Mullaney & Gillin (1992), Sleep 15:461, the
///   parameter set for 1-minute epochs of mean activity: D = 0.001 (106 A₋₄ + 54 A₋₃ + 58 A₋₂
///   + 76 A₋₁ + 230 A₀ + 74 A₊₁ + 67 A₊₂), sleep when D < 1, where A is the epoch's count / 100,
///   at most 300 (ActiLife's scaling of ActiGraph counts to the paper's units).
/// - ``webster(_:)``: the rescoring rules Cole et al. took from Webster et al. (1982), applied to
///   the runs of the scoring: after 4 or more minutes of wake the first minute of sleep becomes
///   wake, after 10 or more the first 3, after 15 or more the first 4; then a run of 6 minutes or
///   less of sleep between 10 or more minutes of wake on both sides becomes wake, and one of 10
///   minutes or less between 20 or more on both sides.
/// - ``sadeh(_:)``: Sadeh, Sharkey & Carskadon (1994), Sleep 17:201: PS = 7.601 − 0.065 MW5 −
///   1.08 NAT − 0.056 SD6 − 0.703 LG, sleep when PS ≥ 0, with counts capped at 300; MW5 the mean
///   of the 11-epoch window centred on the epoch, NAT the number of its epochs with 50 ≤ count
///   < 100, SD6 the standard deviation (n − 1) of the epoch and the 5 before it, LG ln(count + 1).
///
/// Epochs beyond either end of the series count as zero activity (the windows are not
/// shortened), as in the R package actigraph.sleepr.
public enum SleepScoring {
    public enum Algorithm: String, Sendable, CaseIterable {
        case coleKripke = "cole-kripke"
        case sadeh
    }

    /// Sleep (true) or wake per epoch.
    public static func score(_ counts: [Double], algorithm: Algorithm, rescore: Bool) -> [Bool] {
        switch algorithm {
        case .coleKripke:
            let sleep = coleKripke(counts)
            return rescore ? webster(sleep) : sleep
        case .sadeh:
            let sleep = sadeh(counts)
            return rescore ? webster(sleep) : sleep
        }
    }

    static let coleKripkeWeights: [(offset: Int, weight: Double)] = [
        (-4, 106), (-3, 54), (-2, 58), (-1, 76), (0, 230), (1, 74), (2, 67),
    ]

    public static func coleKripke(_ counts: [Double]) -> [Bool] {
        let scaled = counts.map { min(max($0, 0) / 100, 300) }
        return scaled.indices.map { index in
            var sum = 0.0
            for (offset, weight) in coleKripkeWeights where scaled.indices.contains(index + offset) {
                sum += weight * scaled[index + offset]
            }
            return 0.001 * sum < 1
        }
    }

    public static func sadeh(_ counts: [Double]) -> [Bool] {
        let capped = counts.map { min(max($0, 0), 300) }
        func count(at index: Int) -> Double { capped.indices.contains(index) ? capped[index] : 0 }
        return capped.indices.map { index in
            var sum = 0.0, nat = 0.0
            for offset in -5...5 {
                let value = count(at: index + offset)
                sum += value
                if value >= 50, value < 100 { nat += 1 }
            }
            let mw5 = sum / 11
            let six = (-5...0).map { count(at: index + $0) }
            let mean = six.reduce(0, +) / 6
            let sd6 = (six.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 5).squareRoot()
            let lg = log(capped[index] + 1)
            return 7.601 - 0.065 * mw5 - 1.08 * nat - 0.056 * sd6 - 0.703 * lg >= 0
        }
    }

    /// Webster's rescoring of a sleep (true) / wake scoring.
    public static func webster(_ sleep: [Bool]) -> [Bool] {
        // Runs of the scoring as it came: (sleep?, start, length).
        var runs: [(sleep: Bool, start: Int, length: Int)] = []
        for (index, value) in sleep.enumerated() {
            if let last = runs.last, last.sleep == value {
                runs[runs.count - 1].length += 1
            } else {
                runs.append((value, index, 1))
            }
        }
        var rescored = sleep
        for (place, run) in runs.enumerated() where run.sleep {
            let before = place > 0 ? runs[place - 1].length : 0
            let after = place + 1 < runs.count ? runs[place + 1].length : 0
            // A sleep run's neighbours are wake runs (runs alternate), or nothing at the ends.
            let first = before >= 15 ? 4 : before >= 10 ? 3 : before >= 4 ? 1 : 0
            for index in run.start..<(run.start + min(first, run.length)) { rescored[index] = false }
            let surrounded = (run.length <= 6 && before >= 10 && after >= 10)
                || (run.length <= 10 && before >= 20 && after >= 20)
            if surrounded {
                for index in run.start..<(run.start + run.length) { rescored[index] = false }
            }
        }
        return rescored
    }
}
