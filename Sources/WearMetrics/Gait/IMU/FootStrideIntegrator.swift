/// Stride length, gait speed and foot clearance of one foot from its shoe-mounted IMU, one
/// sample at a time (zero-velocity-aided strapdown inertial navigation).
///
/// **Method.** Zero-velocity intervals come from ``ZeroVelocityDetector`` (SHOE, Skog et al.
/// 2010); a stance counts once it lasts ``Parameters/minimumStanceSamples`` samples. At the
/// end of each stance the orientation is re-levelled from the stance's mean specific force
/// (roll and pitch; the heading carries on from the gyroscope), and velocity and position
/// restart at zero. Through the swing the orientation is integrated from the gyroscope
/// (exact quaternion step for a constant rate), the specific force is rotated to the
/// navigation frame and gravity (9.80665 m/s², up) removed, and velocity and position are
/// integrated by the trapezoid rule. At the next stance the velocity should be zero; what is left,
/// v_end, is taken as drift that grew linearly over the swing of length T (Foxlin, "Pedestrian
/// tracking with shoe-mounted inertial sensors", IEEE CG&A 25(6):38–46, 2005, the velocity
/// reset; the linear de-drift as in Bebee's and OpenShoe's ZUPT step counters), so the
/// position is corrected by −v_end·T/2 and each vertical sample at τ by −v_end,z·τ²/(2T).
///
/// **Outputs** (``Metric/strideLength``, ``Metric/gaitSpeed``, ``Metric/footClearance``),
/// time = the stance onset that ends the swing: stride length = the corrected horizontal
/// displacement; speed = stride length / time since the previous stance onset (not emitted
/// for the first stride); clearance = the highest corrected vertical position over the swing.
/// A gap in the samples longer than ``Parameters/maximumGap`` or a swing longer than
/// ``Parameters/maximumSwing`` drops the stride and waits for the next stance.
///
/// Allocation-free per sample: the swing's vertical track is a buffer allocated once.
public struct FootStrideIntegrator: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var detector: ZeroVelocityDetector.Parameters
        public var minimumStanceSamples: Int
        /// Swings shorter than this are not strides (a shuffle, a tremor), s.
        public var minimumSwing: Double
        public var maximumSwing: Double
        public var maximumGap: Double
        /// Samples of the swing's vertical track kept for clearance; a longer swing reports
        /// the clearance of its first `trackCapacity` samples.
        public var trackCapacity: Int

        public init(detector: ZeroVelocityDetector.Parameters = .init(), minimumStanceSamples: Int = 5,
                    minimumSwing: Double = 0.15, maximumSwing: Double = 2.5, maximumGap: Double = 0.1,
                    trackCapacity: Int = 512) {
            self.detector = detector
            self.minimumStanceSamples = max(1, minimumStanceSamples)
            self.minimumSwing = minimumSwing
            self.maximumSwing = maximumSwing
            self.maximumGap = maximumGap
            self.trackCapacity = max(1, trackCapacity)
        }
    }

    /// One stride as measured.
    public struct Stride: Sendable, Equatable {
        /// The stance onset that ends the swing, s.
        public var time: Double
        public var length: Double
        /// `nil` for the first stride after a start or a gap.
        public var speed: Double?
        public var clearance: Double
        public var swingDuration: Double
    }

    public let parameters: Parameters
    private var detector: ZeroVelocityDetector
    private var orientation = Orientation()
    private var velocity = SIMD3<Double>.zero
    private var previousAcceleration = SIMD3<Double>.zero
    private var position = SIMD3<Double>.zero
    private var lastTime: Double?
    /// Whether the navigation state is valid (a stance has been seen since the start or a gap).
    private var aligned = false
    private var inStance = false
    private var stationaryRun = 0
    private var stanceForceSum = SIMD3<Double>.zero
    private var stanceForceCount = 0
    private var swingStart = 0.0
    private var previousStanceOnset: Double?
    // The state at the first sample of a stationary run, used if the run becomes a stance.
    private var candidateTime = 0.0
    private var candidateVelocity = SIMD3<Double>.zero
    private var candidatePosition = SIMD3<Double>.zero
    private var candidateTrackCount = 0
    private var trackHeight: [Double]
    private var trackOffset: [Double]
    private var trackCount = 0
    /// The last stride completed.
    public private(set) var lastStride: Stride?

    public init(parameters: Parameters = .init()) {
        self.parameters = parameters
        detector = ZeroVelocityDetector(parameters: parameters.detector)
        trackHeight = Array(repeating: 0, count: parameters.trackCapacity)
        trackOffset = Array(repeating: 0, count: parameters.trackCapacity)
    }

    /// Feeds one sample; a finished stride's records go to `sink`. Returns the stride if this
    /// sample finished one.
    @discardableResult
    public mutating func process<Sink: MetricRecordSink>(_ sample: FootIMUSample, into sink: inout Sink) -> Stride? {
        defer { lastTime = sample.time }
        let dt = lastTime.map { sample.time - $0 } ?? 0
        if lastTime != nil, dt <= 0 || dt > parameters.maximumGap {
            restart()
        }
        let stationary = detector.isStationary(after: sample)
        stationaryRun = stationary ? stationaryRun + 1 : 0

        if inStance {
            if stationary {
                stanceForceSum += sample.acceleration
                stanceForceCount += 1
                orientation.integrate(angularRate: sample.angularRate, dt: dt)
                return nil
            }
            beginSwing(at: lastTime ?? sample.time)
        }
        if stationaryRun >= parameters.minimumStanceSamples {
            let stride = aligned ? finishSwing() : nil
            inStance = true
            aligned = true
            stanceForceSum = sample.acceleration
            stanceForceCount = 1
            if let stride {
                lastStride = stride
                emit(stride, into: &sink)
            }
            return stride
        }
        guard aligned else { return nil }
        if stationaryRun == 1 {
            candidateTime = sample.time
            candidateVelocity = velocity
            candidatePosition = position
            candidateTrackCount = trackCount
        }
        integrate(sample, dt: dt)
        if sample.time - swingStart > parameters.maximumSwing { aligned = false }
        return nil
    }

    // MARK: Navigation

    private mutating func beginSwing(at time: Double) {
        inStance = false
        let mean = stanceForceSum / Double(max(1, stanceForceCount))
        orientation = .levelled(specificForce: mean, yaw: orientation.yaw)
        velocity = .zero
        position = .zero
        // The foot was at rest: no acceleration before the first swing sample.
        previousAcceleration = .zero
        trackCount = 0
        swingStart = time
    }

    private mutating func integrate(_ sample: FootIMUSample, dt: Double) {
        orientation.integrate(angularRate: sample.angularRate, dt: dt)
        var acceleration = orientation.rotate(sample.acceleration)
        acceleration.z -= standardGravity
        let previous = velocity
        velocity += (previousAcceleration + acceleration) * (dt / 2)
        previousAcceleration = acceleration
        position += (previous + velocity) * (dt / 2)
        if trackCount < parameters.trackCapacity {
            trackHeight[trackCount] = position.z
            trackOffset[trackCount] = sample.time - swingStart
            trackCount += 1
        }
    }

    private mutating func finishSwing() -> Stride? {
        let onset = candidateTime
        let swing = onset - swingStart
        defer { previousStanceOnset = onset }
        guard swing >= parameters.minimumSwing, swing <= parameters.maximumSwing else { return nil }
        let drift = candidateVelocity
        let corrected = candidatePosition - drift * (swing / 2)
        let length = (corrected.x * corrected.x + corrected.y * corrected.y).squareRoot()
        var clearance = 0.0
        for i in 0..<candidateTrackCount {
            let tau = trackOffset[i]
            clearance = max(clearance, trackHeight[i] - drift.z * tau * tau / (2 * swing))
        }
        let speed = previousStanceOnset.map { onset > $0 ? length / (onset - $0) : nil } ?? nil
        return Stride(time: onset, length: length, speed: speed, clearance: clearance, swingDuration: swing)
    }

    private func emit<Sink: MetricRecordSink>(_ stride: Stride, into sink: inout Sink) {
        sink.record(MetricRecord(.strideLength, time: stride.time, value: stride.length))
        if let speed = stride.speed {
            sink.record(MetricRecord(.gaitSpeed, time: stride.time, value: speed))
        }
        sink.record(MetricRecord(.footClearance, time: stride.time, value: stride.clearance))
    }

    private mutating func restart() {
        detector.reset()
        aligned = false
        inStance = false
        stationaryRun = 0
        previousStanceOnset = nil
    }
}
