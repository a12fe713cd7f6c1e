/// `gaitway analyze counts`: ActiGraph activity counts (``ActivityCounts``) of a raw
/// accelerometer file, per epoch and axis.
public enum ActivityCountsAnalysis {
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A CSV of samples in g, one per line: `x,y,z`, or `time,x,y,z` (the first field, a
    /// timestamp, is not read: the rate gives the times). Lines before the first sample that
    /// are not samples are a header and skipped (an ActiGraph CSV export's ten lines and its
    /// column names); blank lines and lines starting with # are skipped anywhere. After the
    /// first sample, a line that is not one is an error naming it.
    public static func parse(_ text: String) throws(ParseError) -> [(x: Double, y: Double, z: Double)] {
        var samples: [(x: Double, y: Double, z: Double)] = []
        for (index, rawLine) in text.fileLines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            let axes = fields.count == 4 ? fields.dropFirst() : fields[...]
            let values = axes.compactMap { Double($0) }.filter(\.isFinite)
            guard axes.count == 3, values.count == 3 else {
                if samples.isEmpty { continue }  // still the header
                throw ParseError(description: "line \(index + 1): expected x,y,z or time,x,y,z in g, found \"\(line.prefix(60))\"")
            }
            guard values.allSatisfy({ abs($0) <= 1_000 }) else {
                throw ParseError(description: "line \(index + 1): \"\(line.prefix(60))\" is beyond 1000 g; the file must be in g")
            }
            samples.append((values[0], values[1], values[2]))
        }
        guard !samples.isEmpty else { throw ParseError(description: "no samples (expected lines of x,y,z in g)") }
        return samples
    }

    public struct Report: Sendable, Encodable, Equatable {
        public var rate_hz: Int
        public var epoch_s: Int
        public var epochs: Int
        /// Per epoch, the counts of the file's first, second and third axis.
        public var counts_x: [Int]
        public var counts_y: [Int]
        public var counts_z: [Int]
        /// Per epoch, √(x² + y² + z²) of the three counts (ActiLife's vector magnitude).
        public var vector_magnitude: [Double]
        /// Samples after the last whole epoch, not counted.
        public var samples_left: Int

        public var text: String {
            let minutes = Double(epochs * epoch_s) / 60
            let total = vector_magnitude.reduce(0, +)
            let perMinute = minutes > 0 ? total / minutes : 0
            return """
                \(epochs) epochs of \(epoch_s) s at \(rate_hz) Hz (\(samples_left) samples after the last left out)
                counts x \(counts_x.reduce(0, +)), y \(counts_y.reduce(0, +)), z \(counts_z.reduce(0, +)); \
                vector magnitude \((perMinute * 10).rounded() / 10) per minute
                """
        }
    }

    /// The counts of `samples` at `rate` Hz in epochs of `epochSeconds`; `nil` for a rate or
    /// epoch ``ActivityCounts`` does not take.
    public static func report(_ samples: [(x: Double, y: Double, z: Double)], rate: Int, epochSeconds: Int) -> Report? {
        guard var counter = ActivityCounts(rate: rate, epochSeconds: epochSeconds) else { return nil }
        var report = Report(rate_hz: rate, epoch_s: epochSeconds, epochs: 0, counts_x: [], counts_y: [], counts_z: [],
                            vector_magnitude: [], samples_left: 0)
        for sample in samples {
            guard let epoch = counter.add(sample.x, sample.y, sample.z) else { continue }
            report.counts_x.append(epoch.x)
            report.counts_y.append(epoch.y)
            report.counts_z.append(epoch.z)
            report.vector_magnitude.append(epoch.vectorMagnitude)
        }
        report.epochs = report.counts_x.count
        report.samples_left = samples.count - report.epochs * rate * epochSeconds
        return report
    }
}
