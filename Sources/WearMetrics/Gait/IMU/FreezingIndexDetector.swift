#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Freezing-of-gait episodes from one foot's acceleration, one sample at a time.
///
/// **Method.** Moore, MacDougall and Ondo, "Ambulatory monitoring of freezing of gait in
/// Parkinson's disease", J Neurosci Methods 167(2):340–348, 2008: the freezing index FI is the
/// power of the vertical acceleration in the "freeze" band (3–8 Hz) over its power in the
/// "locomotor" band (0.5–3 Hz), over a sliding window. Here: a 4 s window (Moore's; the
/// window length is a parameter), Hann-tapered after removing its mean, evaluated every
/// ``Parameters/hop`` s; band powers are sums of the periodogram bins whose frequency lies in
/// each band (Goertzel's recurrence per bin, so no FFT buffer). The vertical axis is the
/// direction of the window's mean specific force (gravity), so the sensor may sit at any
/// angle on the shoe.
///
/// A window freezes when FI ≥ ``Parameters/threshold`` (default 2.3, of the order of the
/// global threshold Moore et al. discuss; they show that thresholds set per patient do better)
/// and the total band power ≥ ``Parameters/minimumPower`` (Bächlin et al., IEEE Trans Inf
/// Technol Biomed 14:436, 2010, add this power gate so that standing still, whose FI is
/// noise over noise, does not count). Consecutive freezing windows form an episode from the
/// centre of its first window to the centre of its last (at least one hop long); its
/// record (``Metric/freezingEpisode``) has value = duration in s and quality = confidence =
/// 1 − threshold / (the episode's peak FI), 0 at the threshold and towards 1 as the tremor
/// dominates.
///
/// Allocation-free per sample: the window is a ring allocated once; each hop costs
/// (number of bins in 0.5–8 Hz) × (window samples) multiply-adds.
public struct FreezingIndexDetector: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Samples per second of the input (the detector assumes a steady rate).
        public var sampleRate: Double
        public var window: Double
        public var hop: Double
        public var threshold: Double
        /// Power gate, (m/s²)²: the mean square of the Hann-tapered window's 0.5–8 Hz content
        /// (2·Σ_band |X_k|² / N², Parseval); the taper alone scales a steady sine's mean square by 3/8.
        public var minimumPower: Double

        public init(sampleRate: Double, window: Double = 4, hop: Double = 0.5, threshold: Double = 2.3,
                    minimumPower: Double = 0.05) {
            self.sampleRate = sampleRate
            self.window = window
            self.hop = hop
            self.threshold = threshold
            self.minimumPower = minimumPower
        }
    }

    public let parameters: Parameters
    private let windowSamples: Int
    private let hopSamples: Int
    private var accelerations: [SIMD3<Double>]
    private var times: [Double]
    private var taper: [Double]
    private var signal: [Double]
    private var next = 0
    private var filled = 0
    private var sinceHop = 0
    private var episodeStart: Double?
    private var episodeLast = 0.0
    private var episodePeak = 0.0
    /// The freezing index of the last window evaluated.
    public private(set) var freezingIndex = 0.0

    public init(parameters: Parameters) {
        self.parameters = parameters
        windowSamples = max(8, Int((parameters.window * parameters.sampleRate).rounded()))
        hopSamples = max(1, Int((parameters.hop * parameters.sampleRate).rounded()))
        accelerations = Array(repeating: .zero, count: windowSamples)
        times = Array(repeating: 0, count: windowSamples)
        signal = Array(repeating: 0, count: windowSamples)
        let n = Double(windowSamples)
        taper = (0..<windowSamples).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / n) }
    }

    /// Feeds one sample; a finished episode's record goes to `sink`.
    public mutating func process<Sink: MetricRecordSink>(_ sample: FootIMUSample, into sink: inout Sink) {
        accelerations[next] = sample.acceleration
        times[next] = sample.time
        next = (next + 1) % windowSamples
        filled = min(filled + 1, windowSamples)
        sinceHop += 1
        guard filled == windowSamples, sinceHop >= hopSamples else { return }
        sinceHop = 0
        let (index, power) = evaluateWindow()
        freezingIndex = index
        // The window's centre: the sample half a window back from the newest.
        let centre = times[(next + windowSamples / 2) % windowSamples]
        if index >= parameters.threshold, power >= parameters.minimumPower {
            if episodeStart == nil { episodeStart = centre; episodePeak = 0 }
            episodeLast = centre
            episodePeak = max(episodePeak, index)
        } else {
            finishEpisode(into: &sink)
        }
    }

    /// Closes an open episode at the last freezing window (call at the end of a recording).
    public mutating func finish<Sink: MetricRecordSink>(into sink: inout Sink) {
        finishEpisode(into: &sink)
    }

    private mutating func finishEpisode<Sink: MetricRecordSink>(into sink: inout Sink) {
        guard let start = episodeStart else { return }
        episodeStart = nil
        let end = max(episodeLast, start + parameters.hop)
        let confidence = max(0, min(1, 1 - parameters.threshold / episodePeak))
        sink.record(MetricRecord(.freezingEpisode, time: start, end: end, value: end - start, quality: confidence))
    }

    /// (FI, total 0.5–8 Hz power) of the current window.
    private mutating func evaluateWindow() -> (Double, Double) {
        var mean = SIMD3<Double>.zero
        for a in accelerations { mean += a }
        mean /= Double(windowSamples)
        let norm = (mean * mean).sum().squareRoot()
        let up = norm > 0 ? mean / norm : SIMD3(0, 0, 1)
        var vertical = 0.0
        for k in 0..<windowSamples {
            let a = accelerations[(next + k) % windowSamples]
            signal[k] = (a * up).sum()
            vertical += signal[k]
        }
        vertical /= Double(windowSamples)
        for k in 0..<windowSamples { signal[k] = (signal[k] - vertical) * taper[k] }
        let n = Double(windowSamples)
        let resolution = parameters.sampleRate / n
        var locomotor = 0.0, freeze = 0.0
        let first = max(1, Int((0.5 / resolution).rounded(.up)))
        let last = Int((8 / resolution).rounded(.down))
        guard first <= last else { return (0, 0) }
        for bin in first...last {
            let f = Double(bin) * resolution
            let p = 2 * binPower(bin) / (n * n)
            if f < 3 { locomotor += p } else { freeze += p }
        }
        let index = locomotor > 0 ? freeze / locomotor : (freeze > 0 ? .infinity : 0)
        return (index, locomotor + freeze)
    }

    /// |X_k|² of the windowed signal by Goertzel's recurrence.
    private func binPower(_ bin: Int) -> Double {
        let omega = 2 * Double.pi * Double(bin) / Double(windowSamples)
        let coefficient = 2 * cos(omega)
        var s1 = 0.0, s2 = 0.0
        for x in signal {
            let s0 = x + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        return s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }
}
