/// The lowest arrivals of the last few buckets of device time: the points that the clock
/// line must pass under, and so the ones that fix where it lies.
///
/// Arrivals come late by a positive, variable delay, so the true line is the lower
/// envelope of the `(x, y)` cloud, not its mean (Moon, Skelly & Towsley 1999, see
/// ``DeviceClockFit``). Keeping only each bucket's lowest point makes that O(1): in a
/// 10 s bucket at 10 notifications/s, the lowest of 100 exponential delays of mean 20 ms
/// is 0.2 ms late on average.
///
/// Fixed storage (an `InlineArray`), no allocation: the open bucket's minimum plus the
/// minima of the last four closed buckets. Four: enough low arrivals for a sparse stream
/// (40 at 1 notification/s), short enough that a slope error barely tilts the line over
/// them, and a step back of the device clock leaves the envelope within five buckets.
struct LowerEnvelope: Sendable {
    /// Width of a bucket in device seconds.
    let bucketSeconds: Double
    /// Closed buckets whose minimum is older than this (device seconds before the newest
    /// arrival) no longer place the line: after a long silence, an extrapolation over
    /// hours would carry any change of drift since (crystals drift with temperature), and
    /// fresh arrivals are better.
    let maximumAge: Double

    private var closed = InlineArray<4, OffsetSample>(repeating: OffsetSample(x: 0, y: 0))
    private var closedCount = 0
    private var nextSlot = 0
    private var openMinimum: OffsetSample?
    private var openStart = 0.0
    private var newestX = -Double.infinity

    init(bucketSeconds: Double, maximumAge: Double) {
        self.bucketSeconds = bucketSeconds
        self.maximumAge = maximumAge
    }

    /// Adds an arrival; `slope` is the current estimate, used to rank arrivals within a bucket.
    ///
    /// - Returns: The minimum of the bucket this arrival closed, if it closed one (it lies
    ///   a bucket width or more after the open bucket's first arrival).
    mutating func add(_ sample: OffsetSample, slope: Double) -> OffsetSample? {
        newestX = max(newestX, sample.x)
        guard let minimum = openMinimum else {
            openMinimum = sample
            openStart = sample.x
            return nil
        }
        if sample.x >= openStart + bucketSeconds {
            closed[nextSlot] = minimum
            nextSlot = (nextSlot + 1) % closed.count
            closedCount = min(closedCount + 1, closed.count)
            openMinimum = sample
            openStart = sample.x
            return minimum
        }
        // A slightly reordered arrival (x before the bucket began) stays in the open bucket.
        if sample.height(above: slope) < minimum.height(above: slope) { openMinimum = sample }
        return nil
    }

    /// The intercept `b` of the lowest line with slope `slope` that no kept minimum lies
    /// under: the line touches the lowest of them. `nil` before the first arrival.
    func intercept(slope: Double) -> Double? {
        guard let openMinimum else { return nil }
        var lowest = openMinimum.height(above: slope)
        for slot in 0 ..< closedCount where closed[slot].x >= newestX - maximumAge {
            lowest = min(lowest, closed[slot].height(above: slope))
        }
        return lowest
    }

    /// Forgets every arrival (a new clock segment starts).
    mutating func removeAll() {
        closedCount = 0
        nextSlot = 0
        openMinimum = nil
        newestX = -.infinity
    }
}
