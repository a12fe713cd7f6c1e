#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sleep period time window (SPT) of a day of wrist acceleration: van Hees et al. 2018's
/// heuristic algorithm looking at the distribution of change in z-angle (HDCZA; Sci Rep 8:12975),
/// the method of GGIR:
///
/// 1. the arm's z-angle, atan(a_z / √(a_x² + a_y²)) in degrees, per 5 s epoch;
/// 2. the absolute difference between successive epochs' angles;
/// 3. its rolling median over 5 minutes (60 epochs);
/// 4. a threshold: the 10th percentile of that median over the day × 15, kept within 0.13-0.50°
///    (the bounds GGIR applies);
/// 5. blocks where the median is below the threshold for more than 30 minutes are candidate
///    rest; candidates less than 60 minutes apart are joined;
/// 6. the longest joined block is the SPT window.
///
/// The arm barely turns while the person sleeps or lies still, and turns often while they are up,
/// so the window is the main rest period of the day, onset to waking; sleep and wake within it
/// come from the activity counts (``SleepScoring``).
public enum SleepPeriod {
    public struct Parameters: Sendable, Equatable {
        /// Seconds per z-angle epoch.
        public var epoch = 5.0
        /// Epochs in the rolling median of the angle change.
        public var medianEpochs = 60
        /// The percentile of the rolling median that sets the threshold, and its multiplier.
        public var percentile = 10.0
        public var multiplier = 15.0
        /// Degrees: the threshold is kept within this range.
        public var thresholdRange: ClosedRange<Double> = 0.13...0.50
        /// Seconds: a rest block must last longer than this.
        public var minimumBlock = 30 * 60.0
        /// Seconds: rest blocks less far apart than this are joined.
        public var maximumGap = 60 * 60.0

        public init() {}
    }

    /// The window found: epochs `epochs` (indices into the angles given), and the threshold
    /// (degrees) the day's distribution set.
    public struct Window: Sendable, Equatable {
        public var epochs: Range<Int>
        public var threshold: Double
    }

    /// The z-angle (degrees, −90 … 90) of an acceleration.
    @inline(__always)
    public static func zAngle(x: Double, y: Double, z: Double) -> Double {
        atan(z / (x * x + y * y).squareRoot()) * 180 / Double.pi
    }

    /// The SPT window in `angles`, one z-angle per epoch of the parameters' length (nan where
    /// none was measured: such epochs never count as rest); nil when no block is long enough.
    public static func window(angles: [Double], parameters: Parameters = Parameters()) -> Window? {
        guard angles.count > 1 else { return nil }
        // Change in angle between successive epochs (the first epoch has none: GGIR repeats
        // the first difference so the series keeps its length).
        var change = [Double](repeating: .nan, count: angles.count)
        for index in 1..<angles.count { change[index] = abs(angles[index] - angles[index - 1]) }
        change[0] = change[1]
        let median = rollingMedian(change, window: parameters.medianEpochs)
        let measured = median.filter { !$0.isNaN }.sorted()
        guard !measured.isEmpty else { return nil }
        let threshold = min(max(percentile(measured, parameters.percentile) * parameters.multiplier,
                                parameters.thresholdRange.lowerBound), parameters.thresholdRange.upperBound)
        // Rest blocks (median below the threshold) longer than the minimum.
        let minimum = Int((parameters.minimumBlock / parameters.epoch).rounded(.down))
        let gap = Int((parameters.maximumGap / parameters.epoch).rounded(.down))
        var blocks: [Range<Int>] = []
        var start: Int?
        for index in 0...median.count {
            let rest = index < median.count && median[index] < threshold
            if rest, start == nil { start = index }
            if !rest, let begin = start {
                if index - begin > minimum { blocks.append(begin..<index) }
                start = nil
            }
        }
        // Join blocks less than the maximum gap apart; the longest is the window.
        var joined: [Range<Int>] = []
        for block in blocks {
            if let last = joined.last, block.lowerBound - last.upperBound < gap {
                joined[joined.count - 1] = last.lowerBound..<block.upperBound
            } else {
                joined.append(block)
            }
        }
        guard let longest = joined.max(by: { $0.count < $1.count }) else { return nil }
        return Window(epochs: longest, threshold: threshold)
    }

    /// The median of each centred window of `window` values (shorter at the ends), ignoring nan.
    static func rollingMedian(_ values: [Double], window: Int) -> [Double] {
        let half = max(window, 1) / 2
        var buffer: [Double] = []
        buffer.reserveCapacity(window + 1)
        return values.indices.map { index in
            buffer.removeAll(keepingCapacity: true)
            for value in values[max(index - half, 0)..<min(index + window - half, values.count)] where !value.isNaN {
                buffer.append(value)
            }
            guard !buffer.isEmpty else { return .nan }
            buffer.sort()
            let middle = buffer.count / 2
            return buffer.count % 2 == 1 ? buffer[middle] : (buffer[middle - 1] + buffer[middle]) / 2
        }
    }

    /// The `p`th percentile of sorted `values`, linearly interpolated (R's and numpy's default).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let position = Double(sorted.count - 1) * p / 100
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
