/// Time-domain heart-rate variability of a series of RR (NN) intervals, defined as NeuroKit2's
/// `hrv_time` (0.2.13) defines them, so the two can be compared number for number:
///
/// - MeanNN: mean interval; SDNN: sample standard deviation (n − 1);
/// - RMSSD: root mean square of successive differences;
/// - pNN50: successive differences larger than 50 ms, as a percentage of the number of
///   *intervals* (NeuroKit2 divides by `len(diff) + 1`, not by the number of differences).
///
/// Values in milliseconds (pNN50 in percent), as NeuroKit2 and the Task Force (1996) report them.
public struct HRVTimeDomain: Sendable, Hashable {
    public var count: Int
    public var meanNN: Double
    public var sdnn: Double
    public var rmssd: Double
    public var pnn50: Double

    /// - Parameter intervals: RR intervals in seconds; `nil` for fewer than two.
    public init?<Intervals: Collection<Double>>(intervals: Intervals) {
        let count = intervals.count
        guard count >= 2 else { return nil }
        var sum = 0.0
        for interval in intervals { sum += interval * 1000 }
        let mean = sum / Double(count)
        var squares = 0.0, successiveSquares = 0.0
        var over50 = 0
        var previous: Double? = nil
        for interval in intervals {
            let milliseconds = interval * 1000
            squares += (milliseconds - mean) * (milliseconds - mean)
            if let previous {
                let difference = milliseconds - previous
                successiveSquares += difference * difference
                if abs(difference) > 50 { over50 += 1 }
            }
            previous = milliseconds
        }
        self.count = count
        meanNN = mean
        sdnn = (squares / Double(count - 1)).squareRoot()
        rmssd = (successiveSquares / Double(count - 1)).squareRoot()
        pnn50 = Double(over50) / Double(count) * 100
    }
}
