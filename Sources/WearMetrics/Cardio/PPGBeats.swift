#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Systolic peaks (beats) in raw wrist photoplethysmography, after Elgendi M, Norton I,
/// Brearley M, Abbott D, Schuurmans D (2013), PLoS ONE 8(10):e76585, each step as NeuroKit2
/// 0.2.13 does it (`ppg_clean(method="elgendi")` then `ppg_findpeaks(method="elgendi")`):
/// 1. 2nd-order Butterworth band-pass 0.5-8 Hz, applied forward and backward (zero phase),
///    with SciPy `sosfiltfilt`'s odd extension and steady-state initial conditions.
/// 2. Negative samples set to 0, then squared (the paper's emphasis of the systolic wave).
/// 3. Two centred moving averages of the squared signal: W1 = 111 ms (peak) and
///    W2 = 667 ms (beat), edges extended with the first / last sample (`signal_smooth`).
/// 4. Blocks of interest: where MA_peak > MA_beat + β·mean(squared), β = 0.02; blocks shorter
///    than W1 samples are dropped (the paper's threshold 2).
/// 5. In each block the local maximum of the filtered signal with the largest prominence is
///    the beat, kept only if more than 0.3 s (NeuroKit2's `mindelay`) after the previous one.
public enum PPGBeats {
    public struct Parameters: Sendable, Equatable {
        public var lowCut = 0.5
        public var highCut = 8.0
        public var peakWindow = 0.111
        public var beatWindow = 0.667
        public var beatOffset = 0.02
        public var minimumDelay = 0.3
        public init() {}
    }

    /// The band-passed signal (step 1).
    public static func clean(_ raw: [Double], samplingRate: Double,
                             parameters: Parameters = Parameters()) -> [Double] {
        let sections = butterworthBandPass(low: parameters.lowCut, high: parameters.highCut,
                                           samplingRate: samplingRate)
        return filtfilt(sections, raw)
    }

    /// Sample indices of the beats in an already cleaned signal (steps 2-5).
    public static func peaks(cleaned signal: [Double], samplingRate: Double,
                             parameters: Parameters = Parameters()) -> [Int] {
        guard signal.count > 2 else { return [] }
        let squared = signal.map { $0 > 0 ? $0 * $0 : 0 }
        let peakKernel = samples(parameters.peakWindow, samplingRate)
        let beatKernel = samples(parameters.beatWindow, samplingRate)
        let maPeak = movingAverage(squared, size: peakKernel)
        let maBeat = movingAverage(squared, size: beatKernel)
        let offset = parameters.beatOffset * squared.reduce(0, +) / Double(squared.count)
        let waves = (0..<signal.count).map { maPeak[$0] > maBeat[$0] + offset }
        var begins: [Int] = [], ends: [Int] = []
        for i in 0..<(waves.count - 1) {
            if !waves[i] && waves[i + 1] { begins.append(i) }
            if waves[i] && !waves[i + 1] { ends.append(i) }
        }
        guard let firstBegin = begins.first else { return [] }
        ends = ends.filter { $0 > firstBegin }
        let minimumLength = peakKernel
        let minimumDelay = samples(parameters.minimumDelay, samplingRate)
        var found = [0]
        for i in 0..<min(begins.count, ends.count) {
            let begin = begins[i], end = ends[i]
            guard end - begin >= minimumLength, end > begin else { continue }
            if let local = mostProminentPeak(signal[begin..<end]), local - found.last! > minimumDelay {
                found.append(local)
            }
        }
        return Array(found.dropFirst())
    }

    /// `int(np.rint(seconds * rate))`: NumPy rounds half to even.
    static func samples(_ seconds: Double, _ rate: Double) -> Int {
        Int((seconds * rate).rounded(.toNearestOrEven))
    }

    /// NeuroKit2 `signal_smooth(kernel="boxcar")`: edges extended by `size` copies of the end
    /// samples, `np.convolve(mode="same")`, so output j averages j - size/2 ... j + (size-1)/2.
    static func movingAverage(_ x: [Double], size: Int) -> [Double] {
        let n = x.count, m = max(size, 1)
        func at(_ i: Int) -> Double { x[min(max(i, 0), n - 1)] }
        var out = [Double](repeating: 0, count: n)
        var sum = 0.0
        let lo = -(m / 2), hi = (m - 1) / 2
        for i in lo...hi { sum += at(i) }
        for j in 0..<n {
            out[j] = sum / Double(m)
            sum += at(j + 1 + hi) - at(j + lo)
        }
        return out
    }

    /// The index (in the base collection) of the local maximum with the largest prominence, as
    /// SciPy `find_peaks(prominence=(None, None))` then `argmax(prominences)` (first on ties).
    /// Plateaus count once, at their middle (rounded down), as SciPy does.
    static func mostProminentPeak(_ data: ArraySlice<Double>) -> Int? {
        let start = data.startIndex, end = data.endIndex
        var best: (index: Int, prominence: Double)?
        var i = start + 1
        while i < end - 1 {
            if data[i - 1] < data[i] {
                var ahead = i + 1
                while ahead < end - 1 && data[ahead] == data[i] { ahead += 1 }
                if data[ahead] < data[i] {
                    let peak = (i + ahead - 1) / 2
                    let height = data[peak]
                    var leftMin = height, j = peak
                    while j >= start && data[j] <= height { leftMin = min(leftMin, data[j]); j -= 1 }
                    var rightMin = height; j = peak
                    while j < end && data[j] <= height { rightMin = min(rightMin, data[j]); j += 1 }
                    let prominence = height - max(leftMin, rightMin)
                    if best == nil || prominence > best!.prominence { best = (peak, prominence) }
                    i = ahead
                    continue
                }
                i = ahead
                continue
            }
            i += 1
        }
        return best?.index
    }

    /// One biquad, b0 + b1 z⁻¹ + b2 z⁻² over 1 + a1 z⁻¹ + a2 z⁻² (transposed direct form II).
    struct Biquad { var b0, b1, b2, a1, a2: Double }

    /// Butterworth band-pass of order 2 (two biquads): analog prototype poles, prewarped band
    /// edges, low-pass to band-pass transform, bilinear transform (SciPy `butter`'s zpk path).
    static func butterworthBandPass(low: Double, high: Double, samplingRate fs: Double) -> [Biquad] {
        let order = 2
        let w1 = 2 * fs * tan(Double.pi * low / fs), w2 = 2 * fs * tan(Double.pi * high / fs)
        let bw = w2 - w1, w0sq = w1 * w2
        // Prototype poles exp(iπ(2k + n - 1)/(2n)), k = 1...n: for n = 2, -√½ ± i√½.
        var analogPoles: [Complex] = []
        for k in 1...order {
            let theta = Double.pi * Double(2 * k + order - 1) / Double(2 * order)
            let p = Complex(cos(theta), sin(theta)) * (bw / 2)
            let root = (p * p - Complex(w0sq, 0)).squareRoot()
            analogPoles.append(p + root)
            analogPoles.append(p - root)
        }
        let twoFs = Complex(2 * fs, 0)
        let poles = analogPoles.map { (twoFs + $0) / (twoFs - $0) }
        // Zeros: `order` at s = 0 (z = 1) and `order` at infinity (z = -1).
        var gain = Complex(bw * bw, 0)
        for p in analogPoles { gain = gain / (twoFs - p) }
        gain = gain * Complex(pow(2 * fs, Double(order)), 0)
        // Conjugate pole pairs, one per section; each section has zeros {1, -1}: 1 - z⁻².
        let upper = poles.filter { $0.im > 0 }
        precondition(upper.count == order, "band-pass poles come in conjugate pairs")
        var sections = upper.map { p in
            Biquad(b0: 1, b1: 0, b2: -1, a1: -2 * p.re, a2: p.re * p.re + p.im * p.im)
        }
        sections[0].b0 *= gain.re; sections[0].b2 *= gain.re
        return sections
    }

    /// SciPy `sosfiltfilt`: odd extension of 3·(2·sections + 1) samples (fewer for a short
    /// signal), steady-state initial conditions scaled by the first sample, forward and back.
    static func filtfilt(_ sections: [Biquad], _ x: [Double]) -> [Double] {
        guard x.count > 1 else { return x }
        let padLength = min(3 * (2 * sections.count + 1), x.count - 1)
        var extended: [Double] = []
        extended.reserveCapacity(x.count + 2 * padLength)
        for i in stride(from: padLength, through: 1, by: -1) { extended.append(2 * x[0] - x[i]) }
        extended += x
        let last = x.count - 1
        for i in 1...max(padLength, 1) where padLength > 0 { extended.append(2 * x[last] - x[last - i]) }
        var y = filter(sections, extended)
        y.reverse()
        y = filter(sections, y)
        y.reverse()
        return Array(y[padLength..<(padLength + x.count)])
    }

    /// Cascade with `sosfilt_zi` initial state (the steady state for a constant input equal to
    /// the first sample).
    static func filter(_ sections: [Biquad], _ x: [Double]) -> [Double] {
        var y = x
        var scale = x.first ?? 0
        for s in sections {
            let g = (s.b0 + s.b1 + s.b2) / (1 + s.a1 + s.a2)
            var z2 = (s.b2 - s.a2 * g) * scale
            var z1 = (s.b1 - s.a1 * g) * scale + z2
            for i in 0..<y.count {
                let input = y[i]
                let out = s.b0 * input + z1
                z1 = s.b1 * input - s.a1 * out + z2
                z2 = s.b2 * input - s.a2 * out
                y[i] = out
            }
            scale *= g
        }
        return y
    }
}

/// Minimal complex arithmetic for the filter design.
struct Complex {
    var re, im: Double
    init(_ re: Double, _ im: Double) { self.re = re; self.im = im }
    static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    static func * (a: Complex, b: Complex) -> Complex {
        Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
    }
    static func * (a: Complex, k: Double) -> Complex { Complex(a.re * k, a.im * k) }
    static func / (a: Complex, b: Complex) -> Complex {
        let d = b.re * b.re + b.im * b.im
        return Complex((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d)
    }
    /// Principal square root.
    func squareRoot() -> Complex {
        let r = (re * re + im * im).squareRoot()
        let a = ((r + re) / 2).squareRoot()
        let b = ((r - re) / 2).squareRoot()
        return Complex(a, im < 0 ? -b : b)
    }
}
