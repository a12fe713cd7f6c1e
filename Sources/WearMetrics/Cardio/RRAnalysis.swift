/// Heart rate variability of a whole file of RR intervals, for `gaitway analyze rr`.
public enum RRAnalysis {
    /// What to do with artefacts before the indices are computed.
    public enum ArtifactHandling: String, Sendable, CaseIterable {
        /// Use the intervals as they are.
        case none
        /// Find them (``RRArtifacts/detect(_:)``), report them, and analyse the corrected series.
        case correct
    }

    /// Why an RR file could not be read: the 1-based line and what is wrong there.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// One interval per line, in ms, or in s when every value is below 10 (no human heart beats
    /// 6 times a second, nor once in 10 ms); blank lines and lines starting with `#` are skipped.
    /// Returns the intervals in ms.
    public static func parse(_ text: String) throws(ParseError) -> [Double] {
        var values: [Double] = []
        var number = 0
        for line in text.fileLines {
            number += 1
            let field = line.trimmingWhitespace()
            if field.isEmpty || field.hasPrefix("#") { continue }
            guard let value = Double(field) else {
                throw ParseError(line: number, reason: "not a number: \"\(field.prefix(40))\"")
            }
            guard value.isFinite, value > 0 else {
                throw ParseError(line: number, reason: "\(field) is not an interval (a positive number of ms or s)")
            }
            values.append(value)
        }
        guard !values.isEmpty else { throw ParseError(line: max(number, 1), reason: "no intervals") }
        if values.allSatisfy({ $0 < 10 }) { values = values.map { $0 * 1000 } }
        if let index = values.firstIndex(where: { $0 > 10_000 }) {
            throw ParseError(line: lineNumber(ofValue: index, in: text),
                             reason: "\(values[index]) ms is longer than any heartbeat (10 s)")
        }
        return values
    }

    /// The report of `intervals` (ms).
    public static func report(_ intervals: [Double], artifacts handling: ArtifactHandling,
                              parameters: HRVFrequencyDomain.Parameters = .init()) -> RRReport {
        var series = intervals
        var found: [RRArtifacts.Artifact]?
        if handling == .correct {
            let artifacts = RRArtifacts.detect(intervals)
            found = artifacts
            series = RRArtifacts.correct(intervals, artifacts)
        }
        return RRReport(inputCount: intervals.count, series: series, artifacts: found, parameters: parameters)
    }

    /// The line of the `index`-th value (skipped lines counted).
    static func lineNumber(ofValue index: Int, in text: String) -> Int {
        var seen = -1, number = 0
        for line in text.fileLines {
            number += 1
            let field = line.trimmingWhitespace()
            if field.isEmpty || field.hasPrefix("#") { continue }
            seen += 1
            if seen == index { return number }
        }
        return number
    }
}

/// `gaitway analyze rr`'s output: the HRV of the series analysed (the corrected one when
/// artefacts were corrected), with the issue's keys, and the artefacts found.
public struct RRReport: Sendable, Encodable {
    public struct Artifacts: Sendable, Encodable {
        public var indices: [Int]
        public var kinds: [RRArtifacts.Kind]
    }

    public var inputCount: Int
    public var n: Int
    public var meanNN: Double?
    public var sdnn: Double?
    public var rmssd: Double?
    public var pnn50: Double?
    public var sd1: Double?
    public var sd2: Double?
    public var lf: Double?
    public var hf: Double?
    public var lfHF: Double?
    public var meanHeartRate: Double?
    public var artifacts: Artifacts?
    /// The frequency-domain method, stated because tools differ there.
    public var frequencyMethod: String

    enum CodingKeys: String, CodingKey {
        case inputCount = "input_n", n, meanNN = "mean_nn_ms", sdnn = "sdnn_ms", rmssd = "rmssd_ms"
        case pnn50 = "pnn50_pct", sd1 = "sd1_ms", sd2 = "sd2_ms", lf = "lf_ms2", hf = "hf_ms2", lfHF = "lf_hf"
        case meanHeartRate = "mean_hr_bpm", artifacts, frequencyMethod = "frequency_method"
    }

    /// Every key is written; an index that could not be computed (too few intervals, too short
    /// for LF and HF) is null rather than missing.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(inputCount, forKey: .inputCount)
        try container.encode(n, forKey: .n)
        try container.encode(meanNN, forKey: .meanNN)
        try container.encode(sdnn, forKey: .sdnn)
        try container.encode(rmssd, forKey: .rmssd)
        try container.encode(pnn50, forKey: .pnn50)
        try container.encode(sd1, forKey: .sd1)
        try container.encode(sd2, forKey: .sd2)
        try container.encode(lf, forKey: .lf)
        try container.encode(hf, forKey: .hf)
        try container.encode(lfHF, forKey: .lfHF)
        try container.encode(meanHeartRate, forKey: .meanHeartRate)
        try container.encodeIfPresent(artifacts, forKey: .artifacts)
        try container.encode(frequencyMethod, forKey: .frequencyMethod)
    }

    init(inputCount: Int, series: [Double], artifacts: [RRArtifacts.Artifact]?, parameters: HRVFrequencyDomain.Parameters) {
        self.inputCount = inputCount
        n = series.count
        if let time = HRVTimeDomain(intervals: series) {
            meanNN = time.meanNN
            sdnn = time.sdnn
            rmssd = time.rmssd
            pnn50 = time.pnn50
            sd1 = time.sd1
            sd2 = time.sd2
            meanHeartRate = time.meanHeartRate
        }
        if let frequency = HRVFrequencyDomain(intervals: series, parameters: parameters) {
            lf = frequency.lf
            hf = frequency.hf
            lfHF = frequency.hf > 0 ? frequency.lfHF : nil
        }
        self.artifacts = artifacts.map { Artifacts(indices: $0.map(\.index), kinds: $0.map(\.kind)) }
        frequencyMethod = "Welch (half-length Hann segments, 50 % overlap, zero-padded x2) on a "
            + "\(Int(parameters.resamplingRate)) Hz not-a-knot cubic spline resampling, linear detrend; "
            + "LF \(parameters.lowFrequency.lowerBound)-\(parameters.lowFrequency.upperBound) Hz, "
            + "HF \(parameters.highFrequency.lowerBound)-\(parameters.highFrequency.upperBound) Hz; "
            + "at least \(Int(parameters.minimumDuration)) s of intervals"
    }

    /// A short human-readable summary.
    public var text: String {
        func f(_ value: Double?, _ digits: Int = 1) -> String {
            guard let value else { return "-" }
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let rounded = (value * scale).rounded() / scale
            return "\(rounded)"
        }
        var lines = ["RR intervals: \(inputCount) read, \(n) analysed"]
        if let artifacts {
            lines.append("artefacts: \(artifacts.indices.count)"
                + (artifacts.indices.isEmpty ? "" : " at " + zip(artifacts.indices, artifacts.kinds)
                    .prefix(20).map { "\($0) (\($1.rawValue))" }.joined(separator: ", ")
                    + (artifacts.indices.count > 20 ? ", ..." : "")))
        }
        lines.append("mean NN \(f(meanNN)) ms, mean HR \(f(meanHeartRate)) bpm")
        lines.append("SDNN \(f(sdnn)) ms, RMSSD \(f(rmssd)) ms, pNN50 \(f(pnn50)) %")
        lines.append("SD1 \(f(sd1)) ms, SD2 \(f(sd2)) ms")
        lines.append("LF \(f(lf)) ms², HF \(f(hf)) ms², LF/HF \(f(lfHF, 2))")
        return lines.joined(separator: "\n")
    }
}
