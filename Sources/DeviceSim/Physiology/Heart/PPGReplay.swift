/// A recorded PPG waveform (a scenario's `replay: ppg`) played on the wristband's `gaitway-ppg`
/// stream instead of the ``PPGSynthesizer``'s.
///
/// The band samples on its own clock, so its instants fall between the recorded samples: the
/// value at an instant is the linear interpolation of the two recorded samples around it.
/// Recording time `offset` plays at simulation time 0. At the end of the recording:
///
/// - with `loops` (the default), it starts again: one pass lasts from the first sample to the
///   last plus one mean sample interval, and the instants in that last interval interpolate
///   from the last sample to the first (as gaitpdb replays wrap to their first sample);
/// - without, ``counts(at:)`` returns nil after the last sample (and before the first), and
///   the heart model's synthetic PPG takes over (`ReplaySpec.loop`: "otherwise the model takes
///   over").
///
/// Recordings come in any unit (a normalised waveform, volts, another sensor's counts), so
/// values are scaled linearly into the stream's unsigned 24-bit range: the recording's minimum
/// becomes ``lowCounts`` (2²²) and its maximum ``highCounts`` (3 × 2²²), the middle half of the
/// ADC range, leaving headroom as a real front end does; peaks keep their recorded direction.
/// A flat recording sits at mid-scale (2²³). One count is (max − min) / 2²³ of the recording's
/// unit, so the stream carries the recording to about 7 significant digits.
public struct PPGReplay: Sendable {
    /// Recording seconds of each sample, ascending (equal times allowed).
    public let times: [Double]
    /// The recorded values, in the recording's unit.
    public let values: [Double]
    public let loops: Bool
    /// Recording time played at simulation time 0.
    public let offset: Double
    /// Length of one pass when looping: first to last sample plus one mean sample interval.
    public let period: Double
    public let minimum: Double
    public let maximum: Double
    /// Where a sample is between its neighbours: the index of the one at or before the last
    /// instant asked for (instants mostly come in order, so the search starts here).
    private var cursor = 0

    public static let lowCounts = 4_194_304.0
    public static let highCounts = 12_582_912.0

    /// `times` and `values` as `ReplaySpec.readPPG` returns them: the same count, at least one.
    public init(times: [Double], values: [Double], loops: Bool = true, offset: Double = 0) {
        precondition(!values.isEmpty && times.count == values.count, "a PPG replay needs a time for every value")
        self.times = times
        self.values = values
        self.loops = loops
        self.offset = offset
        let span = times[times.count - 1] - times[0]
        let interval = times.count > 1 ? span / Double(times.count - 1) : 0
        // A recording of one instant (or of equal times) still loops: once per second.
        period = span + interval > 0 ? span + interval : 1
        minimum = values.min() ?? 0
        maximum = values.max() ?? 0
    }

    /// The recorded value (interpolated) at simulation time `time`, or nil outside the recording
    /// when it does not loop.
    public mutating func value(at time: Double) -> Double? {
        let first = times[0], last = times[times.count - 1]
        var position = time + offset
        if loops {
            position -= period * ((position - first) / period).rounded(.down)
            // Rounding can leave `position` a hair outside [first, first + period).
            position = min(max(position, first), first + period)
            if position > last {
                // Between the last sample and the first sample of the next pass.
                let gap = first + period - last
                let fraction = gap > 0 ? (position - last) / gap : 0
                return values[values.count - 1] + (values[0] - values[values.count - 1]) * fraction
            }
        } else if position < first || position > last {
            return nil
        }
        let index = sampleIndex(atOrBefore: position)
        guard index + 1 < times.count else { return values[index] }
        let gap = times[index + 1] - times[index]
        guard gap > 0 else { return values[index + 1] }
        return values[index] + (values[index + 1] - values[index]) * ((position - times[index]) / gap)
    }

    /// The stream's ADC counts at simulation time `time` (see the type's scaling), or nil when
    /// the recording is over and does not loop.
    public mutating func counts(at time: Double) -> UInt32? {
        guard let value = value(at: time) else { return nil }
        return UInt32(min(max(counts(of: value).rounded(), 0), 16_777_215))
    }

    /// A recorded value in counts, before rounding.
    public func counts(of value: Double) -> Double {
        guard maximum > minimum else { return (Self.lowCounts + Self.highCounts) / 2 }
        return Self.lowCounts + (value - minimum) * ((Self.highCounts - Self.lowCounts) / (maximum - minimum))
    }

    /// A count back in the recording's unit: what a receiver of the stream recovers.
    public func value(ofCounts counts: Double) -> Double {
        guard maximum > minimum else { return minimum }
        return minimum + (counts - Self.lowCounts) * ((maximum - minimum) / (Self.highCounts - Self.lowCounts))
    }

    /// The last sample at or before `position` (which is at or after the first sample): a few
    /// steps forward from the previous answer, a binary search after a jump back or far ahead.
    private mutating func sampleIndex(atOrBefore position: Double) -> Int {
        if times[cursor] <= position {
            var steps = 0
            while cursor + 1 < times.count, times[cursor + 1] <= position, steps < 8 {
                cursor += 1
                steps += 1
            }
            if cursor + 1 == times.count || times[cursor + 1] > position { return cursor }
        }
        var low = 0, high = times.count - 1  // times[low] <= position
        while low < high {
            let middle = (low + high + 1) / 2
            if times[middle] <= position { low = middle } else { high = middle - 1 }
        }
        cursor = low
        return low
    }
}
