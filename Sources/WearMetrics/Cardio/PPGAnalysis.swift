#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Beats, heart rate and heart rate variability of a file of raw PPG, for `gaitway analyze ppg`.
public enum PPGAnalysis {
    /// Why a PPG file could not be read: the 1-based line and what is wrong there.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// A CSV of raw PPG samples: either one numeric column without a header, or a header row
    /// and `column` (the first column when nil) read from the rows below. Blank lines and lines
    /// starting with `#` are skipped.
    public static func parse(_ text: String, column: String? = nil) throws(ParseError) -> [Double] {
        var values: [Double] = []
        var index: Int?
        var number = 0
        for line in text.fileLines {
            number += 1
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
                .map { String($0.trimmingWhitespace()) }
            if index == nil {
                if let column {
                    guard let found = fields.firstIndex(of: column) else {
                        throw ParseError(line: number, reason: "no column \"\(column)\" in the header")
                    }
                    index = found
                    continue
                }
                index = 0
                if Double(fields[0]) == nil { continue }  // a header row
            }
            let at = index!
            guard at < fields.count else {
                throw ParseError(line: number, reason: "\(fields.count) fields, column \(at + 1) missing")
            }
            guard let value = Double(fields[at]), value.isFinite else {
                throw ParseError(line: number, reason: "not a number: \"\(fields[at].prefix(40))\"")
            }
            values.append(value)
        }
        guard !values.isEmpty else { throw ParseError(line: max(number, 1), reason: "no samples") }
        return values
    }

    /// The report of `samples` taken at `samplingRate` Hz.
    public static func report(_ samples: [Double], samplingRate: Double,
                              parameters: PPGBeats.Parameters = .init()) -> PPGReport {
        let cleaned = PPGBeats.clean(samples, samplingRate: samplingRate, parameters: parameters)
        let peaks = PPGBeats.peaks(cleaned: cleaned, samplingRate: samplingRate, parameters: parameters)
        let intervals = zip(peaks.dropFirst(), peaks).map { Double($0 - $1) / samplingRate * 1000 }
        let hrv = HRVTimeDomain(intervals: intervals)
        let meanIBI = intervals.isEmpty ? nil : intervals.reduce(0, +) / Double(intervals.count)
        return PPGReport(bpm: meanIBI.map { 60_000 / $0 }, beats: peaks.count, ibiMs: meanIBI,
                         sdnnMs: hrv?.sdnn, rmssdMs: hrv?.rmssd,
                         quality: PPGQuality.skewness(cleaned),
                         peaks: peaks.map { Double($0) / samplingRate })
    }
}

/// Signal quality index of a PPG: the skewness of the cleaned signal, which Elgendi M (2016),
/// "Optimal signal quality index for photoplethysmogram signals", Bioengineering 3(4):21,
/// found the best of eight indices at telling excellent from unfit PPG (a clean pulse wave
/// has a sharp systolic upstroke, so a positively skewed distribution; noise is near 0).
/// Estimator: the biased sample skewness m₃ / m₂^{3/2}, as `scipy.stats.skew` computes it.
public enum PPGQuality {
    public static func skewness(_ x: [Double]) -> Double? {
        guard x.count >= 3 else { return nil }
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        var m2 = 0.0, m3 = 0.0
        for v in x { let d = v - mean; m2 += d * d; m3 += d * d * d }
        m2 /= n; m3 /= n
        guard m2 > 0 else { return nil }
        return m3 / pow(m2, 1.5)
    }
}

/// What `gaitway analyze ppg` prints.
public struct PPGReport: Sendable, Encodable, Equatable {
    /// 60,000 / mean inter-beat interval; nil with fewer than 2 beats.
    public var bpm: Double?
    public var beats: Int
    public var ibiMs: Double?
    /// From ``HRVTimeDomain`` on the inter-beat intervals; nil with fewer than 3 intervals.
    public var sdnnMs: Double?
    public var rmssdMs: Double?
    /// ``PPGQuality/skewness(_:)`` of the cleaned signal.
    public var quality: Double?
    /// Beat times, s from the first sample.
    public var peaks: [Double]

    enum CodingKeys: String, CodingKey {
        case bpm, beats, ibiMs = "ibi_ms", sdnnMs = "sdnn_ms", rmssdMs = "rmssd_ms", quality
        case qualityMethod = "quality_method"
        case peaks = "peaks_s"
    }

    /// Every key present, `null` where a value cannot be computed, so that a reader of the
    /// JSON finds the same keys whatever the file.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bpm, forKey: .bpm)
        try container.encode(beats, forKey: .beats)
        try container.encode(ibiMs, forKey: .ibiMs)
        try container.encode(sdnnMs, forKey: .sdnnMs)
        try container.encode(rmssdMs, forKey: .rmssdMs)
        try container.encode(quality, forKey: .quality)
        try container.encode("skewness of the band-passed signal (Elgendi 2016); clean PPG > 0, noise near 0",
                             forKey: .qualityMethod)
        try container.encode(peaks, forKey: .peaks)
    }

    /// A short human-readable summary.
    public var text: String {
        func f(_ value: Double?, _ digits: Int = 1) -> String {
            guard let value else { return "-" }
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            return "\((value * scale).rounded() / scale)"
        }
        return """
            beats: \(beats), heart rate \(f(bpm)) bpm, mean inter-beat interval \(f(ibiMs)) ms
            SDNN \(f(sdnnMs)) ms, RMSSD \(f(rmssdMs)) ms
            quality (skewness) \(f(quality, 2))
            """
    }
}
