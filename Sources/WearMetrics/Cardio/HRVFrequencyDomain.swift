#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frequency-domain heart rate variability: the power of the NN-interval series in the low
/// (LF, 0.04-0.15 Hz) and high (HF, 0.15-0.4 Hz) frequency bands of the Task Force of the ESC
/// and NASPE (Circulation 93:1043, 1996), and their ratio.
///
/// Method (each step as NeuroKit2 0.2.13 does it, so that its `intervals_process` and
/// `signal_power` configured alike give the same powers; tools/hrv_reference.py):
/// 1. The intervals (ms) are placed at the time each one ends (the running sum of the
///    intervals, s) and resampled at ``Parameters/resamplingRate`` (4 Hz, as Kubios does) by a
///    cubic spline with not-a-knot ends, from the first beat to the last.
/// 2. The resampled series is detrended by removing its least-squares line.
/// 3. Welch's power spectral density (Welch, IEEE Trans Audio Electroacoust 15:70, 1967):
///    segments of half the series (NeuroKit2's window for a series this long: two cycles of its
///    lowest resolvable frequency, 2·fs/(N/2), capped at N/2), 50 % overlap, a periodic Hann
///    window, each segment zero-padded to twice its length, no detrending per segment, one-sided
///    density scaling (ms²/Hz), segments averaged.
/// 4. Band power: the trapezoidal integral of the density over the bins with f in [low, high).
///
/// Too short a series for a band (under ``Parameters/minimumDuration`` s) gives no result:
/// the Task Force asks for at least 2 minutes for LF (ten cycles of its lowest frequency would
/// need more; 5 minutes is the standard short-term recording).
public struct HRVFrequencyDomain: Sendable, Equatable {
    public struct Parameters: Sendable, Equatable {
        public var resamplingRate = 4.0
        public var lowFrequency = 0.04...0.15
        public var highFrequency = 0.15...0.4
        public var minimumDuration = 120.0
        public init() {}
    }

    /// ms².
    public var lf: Double
    /// ms².
    public var hf: Double
    public var lfHF: Double { lf / hf }

    public init?(intervals: [Double], parameters: Parameters = Parameters()) {
        guard intervals.count >= 4, intervals.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        var times: [Double] = []
        times.reserveCapacity(intervals.count)
        var sum = 0.0
        for rr in intervals {
            sum += rr / 1000
            times.append(sum)
        }
        guard times[times.count - 1] - times[0] >= parameters.minimumDuration,
              let spline = CubicSpline(xs: times, ys: intervals) else { return nil }
        let fs = parameters.resamplingRate
        // NeuroKit2's grid: np.arange(t0, t_last + 1/fs, 1/fs).
        let count = Int(((times[times.count - 1] + 1 / fs - times[0]) * fs).rounded(.up))
        var series = spline.sampled(from: times[0], step: 1 / fs, count: count)
        Self.removeLine(&series)
        let (frequencies, density) = Self.welch(series, fs: fs, maximumFrequency: parameters.highFrequency.upperBound)
        let minimum = 2 * fs / (Double(series.count) / 2)
        lf = Self.power(frequencies, density, parameters.lowFrequency, above: minimum)
        hf = Self.power(frequencies, density, parameters.highFrequency, above: minimum)
    }

    /// Subtracts the least-squares line through (index, value).
    static func removeLine(_ series: inout [Double]) {
        let n = Double(series.count)
        var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for (i, y) in series.enumerated() {
            let x = Double(i)
            sx += x
            sy += y
            sxx += x * x
            sxy += x * y
        }
        let slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
        let intercept = (sy - slope * sx) / n
        for i in series.indices { series[i] -= intercept + slope * Double(i) }
    }

    /// Welch's density estimate at the bins up to `maximumFrequency`: (frequencies, density).
    static func welch(_ series: [Double], fs: Double, maximumFrequency: Double) -> ([Double], [Double]) {
        let n = series.count
        let segment = n / 2
        let nfft = 2 * segment
        let step = segment - segment / 2
        let window = (0..<segment).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(segment)) }
        let windowPower = window.reduce(0) { $0 + $1 * $1 }
        let bins = min(nfft / 2, Int((maximumFrequency * Double(nfft) / fs).rounded(.down)) + 1)
        var density = [Double](repeating: 0, count: bins + 1)
        var segments = 0
        var start = 0
        var re = [Double](repeating: 0, count: nfft), im = [Double](repeating: 0, count: nfft)
        var fourier = FourierTransform(count: nfft)
        while start + segment <= n {
            for i in 0..<nfft {
                re[i] = i < segment ? series[start + i] * window[i] : 0
                im[i] = 0
            }
            fourier.forward(&re, &im)
            for k in 0...bins {
                var value = (re[k] * re[k] + im[k] * im[k]) / (fs * windowPower)
                if k != 0 && !(nfft % 2 == 0 && k == nfft / 2) { value *= 2 }
                density[k] += value
            }
            segments += 1
            start += step
        }
        let frequencies = (0...bins).map { Double($0) * fs / Double(nfft) }
        return (frequencies, density.map { $0 / Double(max(segments, 1)) })
    }

    /// Trapezoidal integral of the density over bins with f in [band.lower, band.upper) and
    /// f >= `minimum`.
    static func power(_ frequencies: [Double], _ density: [Double], _ band: ClosedRange<Double>, above minimum: Double) -> Double {
        var total = 0.0
        var previous: (f: Double, p: Double)?
        for (f, p) in zip(frequencies, density) where f >= band.lowerBound && f < band.upperBound && f >= minimum {
            if let (f0, p0) = previous { total += (f - f0) * (p + p0) / 2 }
            previous = (f, p)
        }
        return total
    }
}
