/// When consecutive strides make a bout, and which of them count for its variability.
///
/// A bout is a run of strides of one ``GaitMode`` in which every stride of a foot begins at the
/// IC that ended that foot's previous stride: nothing broke the chain (no gap in the frames, no
/// standing, no swing longer than ``FootStrideDetector/Configuration/maximumSwing``, no stride
/// without the other foot). It is reported when it holds at least ``minimumStrides`` strides of
/// the two feet together. A stride more than ``maximumStrideChange`` longer or shorter than the
/// same foot's previous stride also ends the bout and starts a new one: a turn, a stop or a
/// stumble (the two turning strides of gaitpdb's GaCo01 walk are twice the others), so that it
/// stands alone and is left out. The first and the last stride of each foot are left out of its means,
/// CVs, symmetry and DFA: gait initiation and termination change stride time (and turns happen
/// at the ends of a walkway), which is why gait-variability protocols discard them (Lord et al.,
/// Gait Posture 34:443, 2011: steady-state walking; Hausdorff, Hum Mov Sci 26:555, 2007). An
/// insole cannot see a turn in the middle of a walk; the CV then includes it.
public struct GaitBoutRule: Sendable, Equatable {
    /// Strides of both feet together (10 ≈ 10 steps ≈ 5 s of walking).
    public var minimumStrides = 10
    /// Strides dropped at each end, per foot.
    public var edgeStrides = 1
    /// The largest change of stride time from a foot's previous stride inside a bout, as a
    /// fraction of the previous.
    public var maximumStrideChange = 0.5

    public init() {}
}

/// A finished bout's summary (``WearerGait``); time = first IC, end = the last stride's end.
public struct GaitBout: Sendable, Equatable {
    public var mode: GaitMode
    public var start: Double
    public var end: Double
    /// Strides of both feet (each ends in one step).
    public var steps: Int
    /// The inner strides' statistics, per foot (index: left 0, right 1).
    public var left: FootBoutSummary
    public var right: FootBoutSummary
    /// DFA α of the left inner stride times (nil below ``DetrendedFluctuation/minimumCount``).
    public var dfaAlpha: Double?

    public var duration: Double { end - start }

    /// Mean stride time of both feet's inner strides, s.
    public var strideTimeMean: Double? {
        let count = left.strideTime.count + right.strideTime.count
        guard count > 0 else { return nil }
        return (left.strideTime.mean * Double(left.strideTime.count)
            + right.strideTime.mean * Double(right.strideTime.count)) / Double(count)
    }

    /// Mean of the two feet's stride-time CVs, %.
    public var strideTimeCV: Double? {
        switch (left.strideTime.coefficientOfVariation, right.strideTime.coefficientOfVariation) {
        case let (l?, r?): (l + r) / 2
        case let (l?, nil): l
        case let (nil, r?): r
        case (nil, nil): nil
        }
    }

    /// Steps per minute, 120 / mean stride time.
    public var cadence: Double? { strideTimeMean.map { 120 / $0 } }

    public func symmetry(_ parameter: KeyPath<FootBoutSummary, StrideMoments>) -> Double? {
        StrideMoments.symmetryIndex(left: left[keyPath: parameter].meanIfAny, right: right[keyPath: parameter].meanIfAny)
    }

    /// Left ground contact time / (left + right) × 100, %.
    public var contactTimeBalance: Double? {
        guard let l = left.stanceTime.meanIfAny, let r = right.stanceTime.meanIfAny, l + r > 0 else { return nil }
        return 100 * l / (l + r)
    }

    /// The bout's records: ``Metric/walkingBout`` or ``Metric/runningBout``, step count,
    /// cadence, stride time mean and CV, DFA α, the symmetry indices, and for running the
    /// contact time balance and the mean ground contact time, flight time and duty factor.
    public func records(into sink: inout some MetricRecordSink) {
        func put(_ metric: Metric, _ value: Double?) {
            if let value { sink.record(MetricRecord(metric, time: start, end: end, value: value)) }
        }
        put(mode == .walking ? .walkingBout : .runningBout, duration)
        put(.stepCount, Double(steps))
        put(.cadence, cadence)
        put(.strideTimeMean, strideTimeMean)
        put(.strideTimeCV, strideTimeCV)
        put(.dfaAlpha, dfaAlpha)
        put(.strideTimeSymmetry, symmetry(\.strideTime))
        put(.stanceTimeSymmetry, symmetry(\.stanceTime))
        put(.swingTimeSymmetry, symmetry(\.swingTime))
        put(.stepTimeSymmetry, symmetry(\.stepTime))
        put(.singleSupportSymmetry, symmetry(\.singleSupportTime))
        if mode == .walking {
            put(.doubleSupport, Self.pooled(left.doubleSupport, right.doubleSupport))
        } else {
            put(.groundContactTime, Self.pooled(left.stanceTime, right.stanceTime))
            put(.flightTime, Self.pooled(left.flightTime, right.flightTime))
            put(.dutyFactor, Self.pooled(left.stancePercent, right.stancePercent))
            put(.contactTimeBalance, contactTimeBalance)
        }
    }

    /// The mean of two feet's values together.
    static func pooled(_ a: StrideMoments, _ b: StrideMoments) -> Double? {
        let count = a.count + b.count
        guard count > 0 else { return nil }
        return (a.mean * Double(a.count) + b.mean * Double(b.count)) / Double(count)
    }
}

/// One foot's inner strides of a bout.
public struct FootBoutSummary: Sendable, Equatable {
    public var strideTime = StrideMoments()
    public var stanceTime = StrideMoments()
    public var swingTime = StrideMoments()
    public var stancePercent = StrideMoments()
    public var stepTime = StrideMoments()
    public var singleSupportTime = StrideMoments()
    /// % of stride.
    public var doubleSupport = StrideMoments()
    public var flightTime = StrideMoments()

    public init() {}

    mutating func add(_ s: WearerStride) {
        strideTime.add(s.stride.strideTime)
        stanceTime.add(s.stride.stanceTime)
        swingTime.add(s.stride.swingTime)
        stancePercent.add(s.stride.stancePercent)
        if let v = s.stepTime { stepTime.add(v) }
        if let v = s.singleSupportTime { singleSupportTime.add(v) }
        if let v = s.doubleSupportPercent { doubleSupport.add(v) }
        if let v = s.flightTime { flightTime.add(v) }
    }
}
