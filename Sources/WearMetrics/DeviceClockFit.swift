/// Maps one device's own clock to gateway time, online: unwraps its counter, notices
/// reboots and clock jumps, and estimates its offset and drift.
///
/// A device stamps what it sends with a counter (our insoles: a `u32` of milliseconds since
/// boot, wrapping every 49.7 days, running fast or slow by tens of ppm); the gateway stamps
/// each arrival with its own clock. Feed every arrival to
/// ``observe(deviceCounter:gatewayTime:)``, then place each sample with
/// ``mapToGateway(deviceSeconds:)``, so that left and right insoles and the wristband line
/// up on one clock.
///
/// ## Model
///
/// Within a segment (between reboots and jumps), gateway time of sending is
/// `offset + (1 + σ) · device`, and an arrival comes a positive, variable delay later
/// (waiting for the next connection event, retransmissions). The device's rate error is
/// ``driftPPM`` = `1/(1 + σ) − 1` in ppm: positive when its crystal runs fast.
///
/// ## Method: the lower envelope, not the mean
///
/// Because delays are never negative, every arrival lies on or above the line of true send
/// times, and the line is the lower envelope of the arrivals. This is the observation
/// behind clock skew estimation from one-way delays: Moon, Skelly & Towsley, "Estimation
/// and removal of clock skew from network delay measurements", IEEE INFOCOM 1999 (a line
/// under all points, by linear programming over their convex hull); see also Paxson, "On
/// calibrating measurements of packet transit times", ACM SIGMETRICS 1998. A least-squares
/// or mean fit instead lands on the *mean* delay (tens of ms here) and is pulled by every
/// retransmission.
///
/// The hull needs memory that grows with the data; this fit keeps O(1) state and
/// allocates nothing per observation:
///
/// 1. Device time is cut into buckets (``bucketSeconds``, 10 s) and each bucket keeps
///    only its lowest arrival: with 100 arrivals a bucket, its delay is near the minimum.
/// 2. The slope σ is a least-squares line through the bucket minima with exponential
///    forgetting (``driftTimeConstant``), a zero-mean prior (ridge) so a short history
///    cannot produce a wild drift, and Huber weights against buckets that were all late.
///    It stays 0 until the minima span 5 s. Reboots and jumps change the counter, not
///    the crystal, so the slope carries over into a new segment.
/// 3. The offset puts the line with that slope under the open bucket's minimum and those
///    of the last four closed buckets, touching the lowest: the mapping rests on the
///    freshest low arrivals, so an error in σ costs at most σ error × 50 s.
///
/// ## Segments
///
/// The unwrapped counter (see ``CounterUnwrapper``) is checked against gateway time. If
/// the device advanced by more or less than gateway time did, by more than
/// ``jumpThreshold`` plus ``jumpTolerancePPM`` of the gap (delay differences are at most
/// hundreds of ms; drift at most hundreds of ppm), the clock broke: a counter small enough
/// to have started since the previous arrival is a ``ClockObservation/Event/reboot``,
/// anything else a ``ClockObservation/Event/jump(seconds:)``. Either starts a new
/// ``segment`` whose offset is learnt afresh. Two cases cannot be told apart: a reboot just
/// before the counter wrapped, whose new count happens to match the time elapsed, reads
/// as a wrap; and a counter silent for more than half its range (24.8 days for `u32` ms)
/// cannot be unwrapped and is reported as a jump. Smaller steps are not reported: the
/// envelope follows a step forward as soon as an arrival after it comes with a short
/// delay, and a step back once the older minima leave it (five buckets); the drift
/// estimate moves its history to the new level.
///
/// ## Rejected input
///
/// An observation whose gateway time is NaN, infinite or negative, or whose counter is not
/// below ``counterModulus``, is rejected: it is returned as
/// ``ClockObservation/Event/rejected(_:)`` and changes nothing.
public struct DeviceClockFit: Sendable {
    // MARK: Configuration

    /// The number of distinct counter values (2^32 for a `u32` counter).
    public let counterModulus: UInt64
    /// Seconds per counter tick (0.001 for milliseconds).
    public let counterUnitSeconds: Double
    /// Device and gateway time may disagree over a gap by this many seconds, plus
    /// ``jumpTolerancePPM``, before the device clock counts as jumped.
    public let jumpThreshold: Double
    /// The part of the jump tolerance that grows with the gap, in ppm of it.
    public let jumpTolerancePPM: Double
    /// Width of the lower-envelope buckets, device seconds.
    public let bucketSeconds: Double
    /// Time constant of the exponential forgetting in the drift estimate, device seconds.
    public let driftTimeConstant: Double

    // MARK: State

    private var counter: CounterUnwrapper
    private var lastGatewayTime = 0.0
    /// The unwrapped counter and gateway time of the segment's first observation: the
    /// origin of the `OffsetSample` coordinates, which keeps them small and exact.
    private var anchorCounter: Int64 = 0
    private var anchorGatewayTime = 0.0
    private var envelope: LowerEnvelope
    private var regression: DriftRegression
    /// `b` of the current line `y = b + σ·x`, refreshed after every observation so that
    /// mapping a frame is one multiply-add.
    private var intercept = 0.0

    /// The number of reboots and jumps so far: 0 in the first segment.
    public private(set) var segment = 0
    /// The number of accepted observations, over all segments.
    public private(set) var observations = 0

    // MARK: Creating a fit

    /// Creates a fit for one device's clock.
    ///
    /// - Parameters:
    ///   - counterModulus: The number of distinct counter values, at most 2^53.
    ///   - counterUnitSeconds: Seconds per counter tick.
    ///   - jumpThreshold: Seconds by which device and gateway time may disagree over a gap
    ///     before the device clock counts as rebooted or jumped. Larger than the largest
    ///     difference between two arrivals' delays.
    ///   - jumpTolerancePPM: The part of the tolerance that grows with the gap, in ppm of it:
    ///     larger than any plausible drift.
    ///   - bucketSeconds: Width of the lower-envelope buckets. Wide enough to hold many
    ///     arrivals of the slowest stream, narrow compared to the drift time constant.
    ///   - driftTimeConstant: Memory of the drift estimate, device seconds.
    ///   - expectedDriftPPM: Prior standard deviation of the drift, ppm: how far from 0 the
    ///     estimate may go on little data.
    public init(
        counterModulus: UInt64 = 1 << 32,
        counterUnitSeconds: Double = 0.001,
        jumpThreshold: Double = 2,
        jumpTolerancePPM: Double = 1000,
        bucketSeconds: Double = 10,
        driftTimeConstant: Double = 1800,
        expectedDriftPPM: Double = 100
    ) {
        precondition(counterUnitSeconds > 0 && counterUnitSeconds.isFinite, "counter unit must be positive")
        precondition(jumpThreshold > 0 && jumpTolerancePPM >= 0, "jump tolerances must be positive")
        precondition(bucketSeconds > 0 && driftTimeConstant > 0 && expectedDriftPPM > 0,
                     "bucket width, drift time constant and expected drift must be positive")
        self.counterModulus = counterModulus
        self.counterUnitSeconds = counterUnitSeconds
        self.jumpThreshold = jumpThreshold
        self.jumpTolerancePPM = jumpTolerancePPM
        self.bucketSeconds = bucketSeconds
        self.driftTimeConstant = driftTimeConstant
        counter = CounterUnwrapper(modulus: counterModulus)
        // Past 15 minutes, a change of drift since (a few ppm with temperature) would cost
        // more than fresh arrivals do.
        envelope = LowerEnvelope(bucketSeconds: bucketSeconds, maximumAge: 900)
        // Bucket minima scatter by about a millisecond (counter resolution, the least delay
        // of a bucket); the prior on σ has the expected drift as its standard deviation.
        let scatter = 0.001
        let prior = expectedDriftPPM * 1e-6
        regression = DriftRegression(timeConstant: driftTimeConstant, ridge: (scatter / prior) * (scatter / prior),
                                     minimumSpan: 5)
    }

    // MARK: The fit

    /// The device clock's rate error in ppm: positive when it runs fast (it counts
    /// `1 + driftPPM·10⁻⁶` seconds per gateway second). 0 until 5 s of data.
    public var driftPPM: Double { (1 / (1 + regression.slope) - 1) * 1e6 }

    /// Whether the drift has been estimated (the bucket minima span at least 5 s), rather
    /// than assumed to be 0.
    public var isDriftEstimated: Bool { regression.isEstimated }

    /// The gateway time, in seconds since the Unix epoch, at which the current segment's
    /// unwrapped device clock read zero (for a segment begun by a reboot: when the device
    /// booted); `nil` before the first observation.
    public var offset: Double? { mapToGateway(deviceSeconds: 0) }

    /// Gateway time, in seconds since the Unix epoch, at which the device sent what it
    /// stamped `deviceSeconds`.
    ///
    /// `deviceSeconds` is on the current segment's unwrapped clock, as
    /// ``ClockObservation/deviceSeconds`` gives it; it may be fractional (frame `n` of a
    /// notification: its timestamp plus `n` sample intervals) and need not be one observed.
    /// Times from an earlier segment do not map (their clock has been replaced).
    ///
    /// The result is the send time plus the smallest delay the link had (the floor of the
    /// delay cannot be told from a clock offset by one-way timestamps).
    ///
    /// - Returns: `nil` before the first observation or if `deviceSeconds` is not finite.
    public func mapToGateway(deviceSeconds: Double) -> Double? {
        guard observations > 0, deviceSeconds.isFinite else { return nil }
        let x = deviceSeconds - Double(anchorCounter) * counterUnitSeconds
        return anchorGatewayTime + intercept + (1 + regression.slope) * x
    }

    /// The unwrapped device seconds of `counter` if it followed the last observation, without
    /// recording it: for a second timestamp in a notification already observed.
    ///
    /// - Returns: `nil` if `counter` is not below ``counterModulus``.
    public func deviceSeconds(forCounter counter: UInt64) -> Double? {
        guard counter < counterModulus else { return nil }
        return Double(self.counter.unwrapped(counter)) * counterUnitSeconds
    }

    // MARK: Observing arrivals

    /// Records that a notification stamped `deviceCounter` arrived at `gatewayTime`.
    ///
    /// - Parameters:
    ///   - deviceCounter: The raw device counter, below ``counterModulus``.
    ///   - gatewayTime: Arrival time on the gateway's clock, seconds since the Unix epoch.
    /// - Returns: The unwrapped device time of the arrival, its segment, and whether the
    ///   counter wrapped, rebooted or jumped (or the input was rejected).
    @discardableResult
    public mutating func observe(deviceCounter: UInt64, gatewayTime: Double) -> ClockObservation {
        if let rejection = rejection(deviceCounter: deviceCounter, gatewayTime: gatewayTime) {
            return ClockObservation(event: .rejected(rejection), segment: segment, deviceSeconds: .nan,
                                    excessDelay: .nan)
        }
        let event: ClockObservation.Event
        if let lastCounter = counter.value {
            event = advance(to: deviceCounter, at: gatewayTime, after: lastCounter)
        } else {
            counter.advance(to: deviceCounter)
            anchorCounter = Int64(deviceCounter)
            anchorGatewayTime = gatewayTime
            event = .first
        }
        let unwrapped = counter.value ?? Int64(deviceCounter)
        let x = Double(unwrapped - anchorCounter) * counterUnitSeconds
        let sample = OffsetSample(x: x, y: (gatewayTime - anchorGatewayTime) - x)
        if let closedMinimum = envelope.add(sample, slope: regression.slope) {
            regression.add(closedMinimum)
        }
        intercept = envelope.intercept(slope: regression.slope) ?? sample.y
        lastGatewayTime = gatewayTime
        observations += 1
        return ClockObservation(event: event, segment: segment,
                                deviceSeconds: Double(unwrapped) * counterUnitSeconds,
                                excessDelay: sample.y - (intercept + regression.slope * x))
    }

    /// Records an arrival stamped in integer microseconds since the Unix epoch (as btsnoop
    /// records and the dissector's values are).
    @discardableResult
    public mutating func observe(deviceCounter: UInt64, gatewayMicroseconds: Int64) -> ClockObservation {
        observe(deviceCounter: deviceCounter, gatewayTime: Double(gatewayMicroseconds) / 1_000_000)
    }

    private func rejection(deviceCounter: UInt64, gatewayTime: Double) -> ClockObservation.Rejection? {
        if !gatewayTime.isFinite { return .gatewayTimeNotFinite }
        if gatewayTime < 0 { return .gatewayTimeNegative }
        if deviceCounter >= counterModulus { return .counterOutOfRange }
        return nil
    }

    /// Unwraps the counter and checks it against gateway time; starts a new segment if the
    /// device clock broke.
    private mutating func advance(to deviceCounter: UInt64, at gatewayTime: Double,
                                  after lastCounter: Int64) -> ClockObservation.Event {
        let deviceStep = Double(counter.unwrapped(deviceCounter) - lastCounter) * counterUnitSeconds
        let gatewayStep = gatewayTime - lastGatewayTime
        // Device seconds that should have passed at the fitted rate.
        let expectedStep = gatewayStep / (1 + regression.slope)
        let discrepancy = deviceStep - expectedStep
        let tolerance = jumpThreshold + jumpTolerancePPM * 1e-6 * abs(gatewayStep)
        if abs(discrepancy) <= tolerance {
            return counter.advance(to: deviceCounter).wrapped ? .wrap : .continuous
        }
        let event: ClockObservation.Event
        // A device that booted after the previous arrival has counted no more than the time
        // since then (plus drift and the previous arrival's delay): a counter that small is
        // a reboot. A larger one, or one that went forward too fast, is the clock stepping.
        let secondsSinceBoot = Double(deviceCounter) * counterUnitSeconds
        if secondsSinceBoot <= max(gatewayStep, 0) * (1 + jumpTolerancePPM * 1e-6) + jumpThreshold {
            counter.restart(at: deviceCounter)
            event = .reboot
        } else {
            counter.advance(to: deviceCounter)
            event = .jump(seconds: discrepancy)
        }
        beginSegment(lastCounter: lastCounter, expectedStep: expectedStep, gatewayTime: gatewayTime)
        return event
    }

    /// Starts a new segment at the current observation: a new anchor, an empty envelope
    /// (the old minima belong to the old counter), and the drift history kept, placed so
    /// that it ends where the old clock would now be.
    private mutating func beginSegment(lastCounter: Int64, expectedStep: Double, gatewayTime: Double) {
        let lastX = Double(lastCounter - anchorCounter) * counterUnitSeconds
        regression.startSegment(shiftingXBy: -(lastX + expectedStep))
        envelope.removeAll()
        anchorCounter = counter.value ?? 0
        anchorGatewayTime = gatewayTime
        segment += 1
    }
}
