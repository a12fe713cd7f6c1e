/// Detrended fluctuation analysis of a stride-interval series (Peng et al., "Quantification of
/// scaling exponents and crossover phenomena in nonstationary heartbeat time series", Chaos
/// 5:82, 1995; applied to stride intervals by Hausdorff et al., J Appl Physiol 78:349, 1995).
///
/// Method: the series minus its mean is integrated, y(k) = Σᵢ≤ₖ (xᵢ − x̄); for each window size n
/// the integrated series is cut into ⌊N/n⌋ non-overlapping windows, a least-squares line is
/// removed from each, and F(n) is the root-mean-square of what is left. α is the slope of
/// log F(n) against log n, fitted by least squares over window sizes from 4 to N/4 strides,
/// spaced evenly in log n (Peng et al. fit from n = 4; N/4 keeps at least four windows at the
/// largest size). White noise gives α ≈ 0.5, 1/f noise α ≈ 1, a random walk α ≈ 1.5.
///
/// Computed once per bout, not per frame: it allocates the integrated series.
public enum DetrendedFluctuation {
    /// Fewer strides than this give no α: with N/4 = 16 the fit spans at least a factor of 4 in
    /// n (4…16), the least that makes a slope mean something.
    public static let minimumCount = 64
    public static let smallestWindow = 4

    /// α of `intervals`, or nil when there are fewer than ``minimumCount``.
    public static func alpha(_ intervals: [Double]) -> Double? {
        let count = intervals.count
        guard count >= minimumCount else { return nil }
        let mean = intervals.reduce(0, +) / Double(count)
        var profile = [Double](repeating: 0, count: count)
        var sum = 0.0
        for i in 0..<count {
            sum += intervals[i] - mean
            profile[i] = sum
        }
        var sizes: [Int] = []
        let largest = count / 4
        let steps = 10
        for k in 0...steps {
            let n = Int((Double(smallestWindow) * binaryPower(binaryLog(Double(largest) / Double(smallestWindow)) * Double(k) / Double(steps))).rounded())
            if sizes.last != n, n >= smallestWindow, n <= largest { sizes.append(n) }
        }
        guard sizes.count >= 2 else { return nil }
        var xs: [Double] = [], ys: [Double] = []
        for n in sizes {
            let fluctuation = Self.fluctuation(profile, window: n)
            guard fluctuation > 0 else { continue }
            xs.append(binaryLog(Double(n)))
            ys.append(binaryLog(fluctuation))
        }
        guard xs.count >= 2 else { return nil }
        return slope(xs, ys)
    }

    /// F(n): RMS of the profile about a least-squares line in each window of `n`.
    static func fluctuation(_ profile: [Double], window n: Int) -> Double {
        let windows = profile.count / n
        // Sums of k and k² over 0..<n for the line fit, the same in every window.
        let sk = Double(n * (n - 1)) / 2, skk = Double((n - 1) * n * (2 * n - 1)) / 6
        let denominator = Double(n) * skk - sk * sk
        var total = 0.0
        for w in 0..<windows {
            let start = w * n
            var sy = 0.0, sky = 0.0
            for k in 0..<n {
                let y = profile[start + k]
                sy += y
                sky += Double(k) * y
            }
            let b = (Double(n) * sky - sk * sy) / denominator
            let a = (sy - b * sk) / Double(n)
            for k in 0..<n {
                let r = profile[start + k] - (a + b * Double(k))
                total += r * r
            }
        }
        return (total / Double(windows * n)).squareRoot()
    }

    static func slope(_ xs: [Double], _ ys: [Double]) -> Double {
        let n = Double(xs.count)
        let mx = xs.reduce(0, +) / n, my = ys.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for i in xs.indices {
            sxy += (xs[i] - mx) * (ys[i] - my)
            sxx += (xs[i] - mx) * (xs[i] - mx)
        }
        return sxy / sxx
    }

    // log2 and 2^x without Foundation: exp/log from the standard library's floating-point API are
    // not there, so these go through the binary exponent and a short series, to ~1e-12.
    static func binaryLog(_ x: Double) -> Double {
        guard x > 0 else { return -.infinity }
        let exponent = Double(x.exponent)
        let mantissa = x.significand  // 1 ≤ m < 2
        // ln m by atanh series: ln m = 2 atanh((m−1)/(m+1)).
        let z = (mantissa - 1) / (mantissa + 1), z2 = z * z
        var term = z, sum = 0.0
        var k = 1.0
        while k < 60 {
            sum += term / k
            term *= z2
            k += 2
        }
        return exponent + 2 * sum / 0.693_147_180_559_945_3
    }

    static func binaryPower(_ x: Double) -> Double {
        let whole = x.rounded(.down)
        let fraction = (x - whole) * 0.693_147_180_559_945_3  // e^(f ln 2)
        var term = 1.0, sum = 1.0
        for k in 1..<30 {
            term *= fraction / Double(k)
            sum += term
        }
        return Double(sign: .plus, exponent: Int(whole), significand: sum)
    }
}
