/// Artefacts in a series of RR intervals, found and corrected by the method of Lipponen &
/// Tarvainen, "A robust algorithm for heart rate variability time series artefact correction
/// using novel beat classification", J Med Eng Technol 43(3):173-181, 2019 (the method of
/// Kubios HRV; NeuroKit2's `signal_fixpeaks(method="Kubios")`).
///
/// **Detection.** Two series are made of the intervals RRᵢ (s) and compared with
/// time-varying thresholds, each α = 5.2 times the quartile deviation ((Q₃ − Q₁)/2) of the
/// series' absolute values over the 91 intervals around it:
/// - dRRᵢ = RRᵢ − RRᵢ₋₁, normalised by its threshold Th₁;
/// - mRRᵢ = RRᵢ − medRRᵢ (medRR: the median of the 11 intervals around), negative values
///   doubled, normalised by its threshold Th₂.
/// From dRR come two subspaces: S12ᵢ = max(dRRᵢ₋₁, dRRᵢ₊₁) when dRRᵢ > 0, else the min (an
/// ectopic beat is a short-long or long-short pair); S22ᵢ = min(dRRᵢ₊₁, dRRᵢ₊₂) when
/// dRRᵢ ≥ 0, else the max (a long or short beat returns to normal after it).
/// An interval with |dRRᵢ| > 1 is, by the paper's decision tree (its Figure 1):
/// - **ectopic** when (dRRᵢ > 1 and S12ᵢ < −c₁·dRRᵢ − c₂) or (dRRᵢ < −1 and S12ᵢ > −c₁·dRRᵢ + c₂),
///   c₁ = 0.13, c₂ = 0.17;
/// - else, when it (or the next, if the next's |dRR| is smaller than the one after) is long
///   (dRR > 1 and S22 < −1), short (dRR < −1 and S22 > 1) or far from the median (|mRR| > 3):
///   **missed** (a beat not detected) when long and |RR/2 − medRR| < Th₂; **extra** (a beat
///   detected twice) when short and |RRⱼ + RRⱼ₊₁ − medRR| < Th₂; else **long/short**.
///
/// **Correction**, as the paper does: an extra beat's interval is merged with the next; a
/// missed beat's interval is split in two; an ectopic or long/short interval is replaced by
/// linear interpolation between the nearest intervals on either side not judged artefacts.
public enum RRArtifacts {
    public enum Kind: String, Sendable, CaseIterable, Encodable {
        case ectopic, missed, extra, longShort = "long_short"
    }

    public struct Artifact: Sendable, Equatable {
        /// 0-based position of the interval in the input.
        public var index: Int
        public var kind: Kind
    }

    public static let alpha = 5.2
    public static let c1 = 0.13
    public static let c2 = 0.17
    public static let thresholdWindow = 91
    public static let medianWindow = 11

    /// The artefacts of `intervals` (any unit: the method is scale-free), in order of position.
    public static func detect(_ intervals: [Double]) -> [Artifact] {
        let n = intervals.count
        guard n >= 3 else { return [] }
        let rr = intervals
        var drr = [Double](repeating: 0, count: n)
        for i in 1..<n { drr[i] = rr[i] - rr[i - 1] }
        // The first difference has no predecessor: the mean of the others (as NeuroKit2 does).
        drr[0] = drr[1...].reduce(0, +) / Double(n - 1)
        let th1 = threshold(drr)
        for i in 0..<n { drr[i] = th1[i] != 0 ? drr[i] / th1[i] : .nan }

        let medrr = rollingMedian(rr, window: medianWindow)
        var mrr = (0..<n).map { rr[$0] - medrr[$0] }
        for i in 0..<n where mrr[i] < 0 { mrr[i] *= 2 }
        let th2 = threshold(mrr)
        for i in 0..<n { mrr[i] = th2[i] != 0 ? mrr[i] / th2[i] : .nan }

        // dRR with two reflected values at each end, for the neighbours of the first and last.
        func d(_ i: Int) -> Double {
            if i < 0 { return drr[-i] }
            if i >= n { return drr[2 * (n - 1) - i] }
            return drr[i]
        }
        func s12(_ i: Int) -> Double { drr[i] > 0 ? max(d(i - 1), d(i + 1)) : drr[i] < 0 ? min(d(i - 1), d(i + 1)) : 0 }
        func s22(_ i: Int) -> Double { drr[i] >= 0 ? min(d(i + 1), d(i + 2)) : max(d(i + 1), d(i + 2)) }

        var found: [Artifact] = []
        var i = 0
        while i < n - 2 {
            defer { i += 1 }
            guard abs(drr[i]) > 1 else { continue }
            let ectopic = (drr[i] > 1 && s12(i) < -c1 * drr[i] - c2) || (drr[i] < -1 && s12(i) > -c1 * drr[i] + c2)
            if ectopic {
                found.append(Artifact(index: i, kind: .ectopic))
                continue
            }
            var candidates = [i]
            if abs(drr[i + 1]) < abs(drr[i + 2]) { candidates.append(i + 1) }
            for j in candidates {
                let long = drr[j] > 1 && s22(j) < -1
                let short = drr[j] < -1 && s22(j) > 1
                guard long || short || abs(mrr[j]) > 3 else { continue }
                if short, j + 1 < n, abs(rr[j] + rr[j + 1] - medrr[j]) < th2[j] {
                    found.append(Artifact(index: j, kind: .extra))
                } else if long, abs(rr[j] / 2 - medrr[j]) < th2[j] {
                    found.append(Artifact(index: j, kind: .missed))
                } else {
                    found.append(Artifact(index: j, kind: .longShort))
                }
                if j > i { i = j }  // the next interval was judged here: go on after it
                break
            }
        }
        return found
    }

    /// `intervals` with `artifacts` corrected (extra: merged with the next; missed: split in
    /// two; ectopic and long/short: interpolated between normal neighbours).
    public static func correct(_ intervals: [Double], _ artifacts: [Artifact]) -> [Double] {
        guard !artifacts.isEmpty else { return intervals }
        var kinds = [Kind?](repeating: nil, count: intervals.count)
        for artifact in artifacts where intervals.indices.contains(artifact.index) { kinds[artifact.index] = artifact.kind }
        // Interpolated values first, on the original positions.
        var values = intervals
        for i in intervals.indices where kinds[i] == .ectopic || kinds[i] == .longShort {
            let before = stride(from: i - 1, through: 0, by: -1).first { kinds[$0] == nil }
            let after = (i + 1 < intervals.count) ? (i + 1..<intervals.count).first { kinds[$0] == nil } : nil
            switch (before, after) {
            case let (b?, a?):
                let t = Double(i - b) / Double(a - b)
                values[i] = intervals[b] + t * (intervals[a] - intervals[b])
            case let (b?, nil): values[i] = intervals[b]
            case let (nil, a?): values[i] = intervals[a]
            case (nil, nil): break
            }
        }
        var corrected: [Double] = []
        corrected.reserveCapacity(intervals.count)
        var i = 0
        while i < intervals.count {
            switch kinds[i] {
            case .extra where i + 1 < intervals.count:
                corrected.append(intervals[i] + intervals[i + 1])
                i += 2
                continue
            case .missed:
                corrected.append(intervals[i] / 2)
                corrected.append(intervals[i] / 2)
            default:
                corrected.append(values[i])
            }
            i += 1
        }
        return corrected
    }

    /// α × the quartile deviation of |x| over the window centred on each element (fewer at the
    /// ends), quartiles by linear interpolation (NumPy's and pandas' default).
    static func threshold(_ x: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        forEachCentredWindow(x.map(abs), width: thresholdWindow) { i, sorted in
            result[i] = alpha * (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2
        }
        return result
    }

    static func rollingMedian(_ x: [Double], window: Int) -> [Double] {
        var result = [Double](repeating: 0, count: x.count)
        forEachCentredWindow(x, width: window) { i, sorted in result[i] = quantile(sorted, 0.5) }
        return result
    }

    /// Calls `body` with each index and the sorted values of the window of `width` centred on it
    /// (truncated at the ends, as pandas' `rolling(center=True, min_periods=1)`), keeping one
    /// sorted buffer that slides: an insertion and a removal per step, no sort, no allocation.
    static func forEachCentredWindow(_ x: [Double], width: Int, _ body: (Int, [Double]) -> Void) {
        let half = width / 2
        var sorted: [Double] = []
        sorted.reserveCapacity(width + 1)
        func insert(_ value: Double) {
            var low = 0, high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                if sorted[mid] < value { low = mid + 1 } else { high = mid }
            }
            sorted.insert(value, at: low)
        }
        func remove(_ value: Double) {
            var low = 0, high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                if sorted[mid] < value { low = mid + 1 } else { high = mid }
            }
            if low < sorted.count { sorted.remove(at: low) }
        }
        for j in 0..<min(half, x.count) { insert(x[j]) }
        for i in x.indices {
            if i + half < x.count { insert(x[i + half]) }
            if i - half - 1 >= 0 { remove(x[i - half - 1]) }
            body(i, sorted)
        }
    }

    /// The `q` quantile of sorted values, linear between order statistics.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (position - Double(low)) * (sorted[high] - sorted[low])
    }
}
