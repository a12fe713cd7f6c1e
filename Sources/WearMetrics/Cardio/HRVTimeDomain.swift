/// Time-domain and Poincaré heart rate variability of a series of normal-to-normal (NN)
/// intervals, as the Task Force of the ESC and NASPE defines them ("Heart rate variability:
/// standards of measurement, physiological interpretation and clinical use", Circulation
/// 93:1043, 1996), and with the estimators NeuroKit2 0.2.13 uses (`hrv_time`,
/// `hrv_nonlinear`), so that the two agree to rounding:
///
/// | index | definition | unit |
/// |---|---|---|
/// | mean NN | mean of the intervals | ms |
/// | SDNN | standard deviation of the intervals, n − 1 in the denominator | ms |
/// | RMSSD | root mean square of successive differences | ms |
/// | pNN50 | successive differences above 50 ms, as a % of the number of intervals (NeuroKit2's denominator, len(diff) + 1) | % |
/// | SD1 | standard deviation across the Poincaré plot's line of identity: of (RRₙ₊₁ − RRₙ)/√2 | ms |
/// | SD2 | standard deviation along it: of (RRₙ₊₁ + RRₙ)/√2 | ms |
/// | mean HR | 60,000 / mean NN | bpm |
///
/// Poincaré plot: Brennan, Palaniswami & Kamen, "Do existing measures of Poincaré plot
/// geometry reflect nonlinear features of heart rate variability?", IEEE Trans Biomed Eng
/// 48:1342, 2001 (SD1 and SD2 as the standard deviations of the rotated coordinates).
public struct HRVTimeDomain: Sendable, Equatable {
    public var count: Int
    public var meanNN: Double
    public var sdnn: Double
    public var rmssd: Double
    public var pnn50: Double
    public var sd1: Double
    public var sd2: Double
    public var meanHeartRate: Double

    /// The indices of `intervals` (ms); nil for fewer than 3 intervals (two successive
    /// differences are the least SD1 needs).
    public init?(intervals: some Collection<Double>) {
        let count = intervals.count
        guard count >= 3 else { return nil }
        var sum = 0.0
        for rr in intervals { sum += rr }
        let mean = sum / Double(count)
        var squares = 0.0, successiveSquares = 0.0, over50 = 0
        var previous: Double?
        // Rotated Poincaré coordinates x1 = (b − a)/√2, x2 = (b + a)/√2 of each pair (a, b).
        var x1Sum = 0.0, x1Squares = 0.0, x2Sum = 0.0, x2Squares = 0.0
        for rr in intervals {
            squares += (rr - mean) * (rr - mean)
            if let a = previous {
                let difference = rr - a
                successiveSquares += difference * difference
                if abs(difference) > 50 { over50 += 1 }
                let x1 = difference / 2.0.squareRoot(), x2 = (rr + a) / 2.0.squareRoot()
                x1Sum += x1
                x1Squares += x1 * x1
                x2Sum += x2
                x2Squares += x2 * x2
            }
            previous = rr
        }
        let pairs = Double(count - 1)
        func sampleDeviation(_ sum: Double, _ squares: Double, _ n: Double) -> Double {
            max(0, (squares - sum * sum / n) / (n - 1)).squareRoot()
        }
        self.count = count
        meanNN = mean
        sdnn = (squares / Double(count - 1)).squareRoot()
        rmssd = (successiveSquares / pairs).squareRoot()
        pnn50 = Double(over50) / Double(count) * 100
        sd1 = sampleDeviation(x1Sum, x1Squares, pairs)
        sd2 = sampleDeviation(x2Sum, x2Squares, pairs)
        meanHeartRate = 60_000 / mean
    }
}
