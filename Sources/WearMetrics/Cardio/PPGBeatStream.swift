extension Metric {
    /// A window of a live PPG stream: the skewness of its cleaned signal (``PPGQuality``).
    public static let ppgQuality = Metric("ppg_quality", unit: "1")
}

/// Beats from a live PPG stream (a band's raw green-LED photoplethysmogram), for heart rate
/// variability from a wristband that sends no RR intervals.
///
/// ``PPGBeats`` (Elgendi et al. 2013, as NeuroKit2 runs it) filters forward and backward, so it
/// needs the signal on both sides of a beat: the stream runs it on windows of 40 s every 30 s,
/// and keeps the beats of each window's middle 30 s (5 s from either end, where the zero-phase
/// filter and the moving averages have their edge effects), so the kept parts tile the stream.
/// A stream slower than 100 Hz is resampled to 100 Hz or more first (a not-a-knot cubic spline, ``CubicSpline``):
/// at 25 Hz the detector's 111 ms peak window is 3 samples, and the block of a narrow systolic
/// wave falls short of it (NeuroKit2 finds 921 of 1,052 beats of a simulated 16-minute rest at
/// 25 Hz, 1,051 after resampling to 100 Hz). Each beat's time is then refined by a parabola
/// through the filtered signal's three samples around the peak, as HRV needs beat times finer
/// than a sample of a slow stream.
/// Successive beats 0.3-2 s apart give an interval. The window's quality is the skewness of its
/// cleaned middle (Elgendi 2016's signal quality index): a pulse wave is skewed towards its
/// systolic peaks. Raw counts of a reflective sensor fall as the arteries fill (the simulator's
/// and most bands'), so a window skewed the other way is turned over first; a window whose
/// skewness stays below ``minimumQuality`` (no pulse wave in it) gives no beats and breaks the
/// series. Each window records its quality (time and end: its middle 30 s).
///
/// A gap in the samples (more than 2 periods), a step back in time or a new rate starts over.
/// Memory: 40 s of samples, kept with their capacity; the analysis of a window (every 30 s)
/// allocates its filtered arrays, a sample allocates nothing.
public struct PPGBeatStream: Sendable {
    public static let window = 40.0
    public static let step = 30.0
    public static let margin = 5.0
    /// The least skewness of a window whose beats are used (ours: a round number; a clean
    /// pulse wave is skewed well above it, white noise near 0).
    public static let minimumQuality = 0.2
    /// The rate beats are detected at: a slower stream is resampled to it.
    public static let detectionRate = 100.0

    /// Samples per second (above 16 Hz: the band-pass reaches 8 Hz).
    public let rate: Double
    private var values: [Double] = []
    /// The time of the first sample held and of the window being filled, s.
    private var firstTime = 0.0
    private var windowStart: Double?
    private var lastBeat: Double?
    private var nextSample = 0.0

    public init?(rate: Double) {
        guard rate.isFinite, rate > 16, rate <= 1_000 else { return nil }
        self.rate = rate
        values.reserveCapacity(Int(Self.window * rate) + 2)
    }

    /// One sample (ADC counts) at `time` (s); the intervals (ms, each with the time of the beat
    /// that ends it) of a window that completes go to `intervals`, its quality to `sink`.
    public mutating func add(_ value: Double, at time: Double, intervals: inout [(end: Double, milliseconds: Double)],
                             into sink: inout some MetricRecordSink) {
        guard value.isFinite, time.isFinite else { return }
        let period = 1 / rate
        if windowStart != nil, time < nextSample - period || time > nextSample + 2 * period { restart() }
        if windowStart == nil {
            windowStart = time
            firstTime = time
        }
        values.append(value)
        nextSample = firstTime + Double(values.count) * period
        guard let start = windowStart, time >= start + Self.window - period / 2 else { return }
        analyse(from: start, intervals: &intervals, into: &sink)
        // Keep the last 10 s for the next window.
        let drop = min(Int((Self.step * rate).rounded()), values.count)
        values.removeFirst(drop)
        firstTime += Double(drop) * period
        windowStart = start + Self.step
    }

    private mutating func restart() {
        values.removeAll(keepingCapacity: true)
        windowStart = nil
        lastBeat = nil
    }

    private mutating func analyse(from start: Double, intervals: inout [(end: Double, milliseconds: Double)],
                                  into sink: inout some MetricRecordSink) {
        // Below 100 Hz, resampled to it first (a cubic spline through the samples): at 25 Hz the
        // 111 ms peak window is 3 samples and a narrow systolic wave's block falls short of it.
        let factor = max(Int((Self.detectionRate / rate).rounded(.up)), 1)
        let detectionRate = rate * Double(factor)
        var signal = values
        if factor > 1, let spline = CubicSpline(xs: values.indices.map(Double.init), ys: values) {
            signal = spline.sampled(from: 0, step: 1 / Double(factor), count: (values.count - 1) * factor + 1)
        }
        var cleaned = PPGBeats.clean(signal, samplingRate: detectionRate)
        let keep = (start + Self.margin)..<(start + Self.window - Self.margin)
        let first = max(Int(((keep.lowerBound - firstTime) * detectionRate).rounded(.up)), 0)
        let last = min(Int(((keep.upperBound - firstTime) * detectionRate).rounded(.up)), cleaned.count)
        var skewness = first < last ? PPGQuality.skewness(Array(cleaned[first..<last])) ?? 0 : 0
        // A reflective sensor's counts fall as the arteries fill: such a wave is skewed the
        // other way, and is turned over so that its systolic peaks point up.
        if skewness < 0 {
            for index in cleaned.indices { cleaned[index] = -cleaned[index] }
            skewness = -skewness
        }
        sink.record(MetricRecord(.ppgQuality, time: keep.lowerBound, end: keep.upperBound, value: skewness))
        guard skewness >= Self.minimumQuality else {
            lastBeat = nil
            return
        }
        for peak in PPGBeats.peaks(cleaned: cleaned, samplingRate: detectionRate) {
            var offset = 0.0
            if peak > 0, peak + 1 < cleaned.count {
                // The vertex of the parabola through the three samples.
                let a = cleaned[peak - 1], b = cleaned[peak], c = cleaned[peak + 1]
                let denominator = a - 2 * b + c
                if denominator < 0 { offset = min(max(0.5 * (a - c) / denominator, -0.5), 0.5) }
            }
            let time = firstTime + (Double(peak) + offset) / detectionRate
            guard keep.contains(time) else { continue }
            if let previous = lastBeat, (0.3...2.0).contains(time - previous) {
                intervals.append((time, (time - previous) * 1000))
            }
            lastBeat = time
        }
    }
}
