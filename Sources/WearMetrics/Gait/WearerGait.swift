/// A wearer's gait from a pair of pressure insoles on one clock: each foot's strides
/// (``FootStrideDetector``), the parameters that need both feet (``WearerStride``), bouts
/// (``GaitBout``, rule in ``GaitBoutRule``) and standing periods.
///
/// Feed every frame of either foot, in time order per foot, with times on one clock (the
/// gateway's, after the device clock fit; a file's own). The two feet may run a little apart
/// (frames arrive in notifications of several): a stride waits until the other foot has been
/// seen past its end before its two-foot parameters are worked out. Records go out as they are
/// finished: per-foot stride records (subject: that insole) to `footRecords`, two-foot and bout
/// records (subject: the wearer) to `wearerRecords`. Fixed-size state per frame; a bout's DFA
/// allocates once when the bout ends.
///
/// **Two-foot parameters** of a stride of foot X, [IC, next IC): double support is the time
/// X's stance [IC, TO] overlaps a stance of the other foot Y; flight is the time neither foot is
/// down; single support is X's stance minus double support; the step time is IC minus Y's last
/// IC before it. A stride with double support is walking, one with none and a flight phase is
/// running. Standing is both feet in a stance longer than
/// ``FootStrideDetector/Configuration/maximumStance``.
public struct WearerGait: Sendable {
    public let boutRule: GaitBoutRule
    private var feet: InlineArray<2, FootTrack>
    private var standingSince: Double?
    private var bout: BoutBuilder?
    private let retains: Bool
    /// Strides and bouts kept for ``nextStride()`` / ``nextBout()`` when asked to retain them.
    private var strideQueue: [WearerStride] = []
    private var strideQueueHead = 0
    private var boutQueue: [GaitBout] = []
    private var leftStrideTimes: [Double]
    /// The only foot with an insole, when the wearer has one: its strides go out as they end
    /// instead of waiting for a foot that will never be seen.
    public let onlyFoot: FootSide?

    /// - Parameters:
    ///   - layouts: the cells' positions of each insole (for the CoP metrics).
    ///   - profile: the wearer; its weight seeds the stance level.
    ///   - onlyFoot: the foot whose insole is the wearer's only one (nil: both feet).
    ///   - retainsStrides: keep every stride and bout for ``nextStride()`` and ``nextBout()``
    ///     (file analysis); the gateway, which only wants records, leaves it off.
    public init(left: InsoleCellLayout? = nil, right: InsoleCellLayout? = nil, profile: WearerProfile = WearerProfile(),
                configuration: FootStrideDetector.Configuration = .init(), boutRule: GaitBoutRule = .init(),
                onlyFoot: FootSide? = nil, retainsStrides: Bool = false) {
        let weight = profile.weight.map { $0 * 9.80665 }
        feet = [
            FootTrack(detector: FootStrideDetector(foot: .left, layout: left, bodyWeight: weight, configuration: configuration)),
            FootTrack(detector: FootStrideDetector(foot: .right, layout: right, bodyWeight: weight, configuration: configuration)),
        ]
        self.boutRule = boutRule
        self.onlyFoot = onlyFoot
        retains = retainsStrides
        leftStrideTimes = []
        leftStrideTimes.reserveCapacity(Self.dfaCapacity)
    }

    /// Inner strides kept per bout for the DFA (~ 20 min of walking); later ones are not in it.
    static let dfaCapacity = 1024

    // MARK: Feeding

    /// One frame of one foot with its total force only.
    public mutating func process(_ foot: FootSide, time: Double, force: Double,
                                 footRecords: inout some MetricRecordSink, wearerRecords: inout some MetricRecordSink) {
        let output = feet[foot.index].detector.process(time: time, force: force)
        handle(output, foot: foot, time: time, footRecords: &footRecords, wearerRecords: &wearerRecords)
    }

    /// One frame of one foot with its cells (N); `force` is the frame's total.
    public mutating func process(_ foot: FootSide, time: Double, force: Double, cells: Span<Double>,
                                 footRecords: inout some MetricRecordSink, wearerRecords: inout some MetricRecordSink) {
        let output = feet[foot.index].detector.process(time: time, force: force, cells: cells)
        handle(output, foot: foot, time: time, footRecords: &footRecords, wearerRecords: &wearerRecords)
    }

    /// The frame times of `foot` cannot be trusted across this point (a new clock segment: a
    /// reboot, a jump): its stride in progress ends unrecorded. Not for lost notifications,
    /// which the frame times show (``FootStrideDetector/interrupt()``).
    public mutating func interrupt(_ foot: FootSide, footRecords: inout some MetricRecordSink,
                                   wearerRecords: inout some MetricRecordSink) {
        feet[foot.index].detector.interrupt()
        var output = FootStrideDetector.Output()
        output.interrupted = true
        handle(output, foot: foot, time: feet[foot.index].processedUntil, footRecords: &footRecords,
               wearerRecords: &wearerRecords)
    }

    /// The end of the stream: strides still waiting for the other foot go out with what is
    /// known, and the bout and the standing period in progress are closed.
    public mutating func finish(footRecords: inout some MetricRecordSink, wearerRecords: inout some MetricRecordSink) {
        for foot in FootSide.allCases {
            while feet[foot.index].pendingCount > 0 {
                resolveOldest(foot, footRecords: &footRecords, wearerRecords: &wearerRecords)
            }
        }
        closeBout(into: &wearerRecords)
        let last = max(feet[0].processedUntil, feet[1].processedUntil)
        if let start = standingSince, last > start {
            wearerRecords.record(MetricRecord(.standing, time: start, end: last, value: last - start))
        }
        standingSince = nil
    }

    /// The next stride finished (when retaining strides), in the order they were finished.
    public mutating func nextStride() -> WearerStride? {
        guard strideQueueHead < strideQueue.count else {
            strideQueue.removeAll(keepingCapacity: true)
            strideQueueHead = 0
            return nil
        }
        defer { strideQueueHead += 1 }
        return strideQueue[strideQueueHead]
    }

    /// The next bout finished (when retaining strides).
    public mutating func nextBout() -> GaitBout? { boutQueue.isEmpty ? nil : boutQueue.removeFirst() }

    /// The detector of one foot (its levels, its faulty cells).
    public func detector(_ foot: FootSide) -> FootStrideDetector { feet[foot.index].detector }

    // MARK: Events

    private mutating func handle(_ output: FootStrideDetector.Output, foot: FootSide, time: Double,
                                 footRecords: inout some MetricRecordSink, wearerRecords: inout some MetricRecordSink) {
        let i = foot.index, other = foot.other
        if output.interrupted {
            feet[i].continuousSince = nil
            feet[i].openStance = nil
            feet[i].stanceCount = 0
            // What waited for this foot will not see it: out with what is known.
            while feet[other.index].pendingCount > 0 {
                resolveOldest(other, footRecords: &footRecords, wearerRecords: &wearerRecords)
            }
        }
        if let to = output.toeOff {
            if let start = feet[i].openStance { feet[i].addStance(start, to) }
            feet[i].openStance = nil
        }
        if let ic = output.contact {
            if feet[i].continuousSince == nil { feet[i].continuousSince = ic }
            feet[i].openStance = ic
        }
        if time > feet[i].processedUntil { feet[i].processedUntil = time }
        feet[i].standing = output.standing
        if let stride = output.stride {
            feet[i].push(stride)
            if onlyFoot == foot || feet[i].pendingCount > FootTrack.pendingCapacity - 1 {
                resolveOldest(foot, footRecords: &footRecords, wearerRecords: &wearerRecords)
            }
        }
        // Strides of either foot whose window the other has now passed.
        for index in 0..<2 {  // not `allCases`: no array per frame
            let side: FootSide = index == 0 ? .left : .right
            while feet[side.index].pendingCount > 0,
                  feet[side.index].pendingFirst.nextContact <= feet[side.other.index].processedUntil {
                resolveOldest(side, footRecords: &footRecords, wearerRecords: &wearerRecords)
            }
        }
        trackStanding(time: time, into: &wearerRecords)
    }

    private mutating func trackStanding(time: Double, into sink: inout some MetricRecordSink) {
        let both = feet[0].standing && feet[1].standing
        if both, standingSince == nil {
            closeBout(into: &sink)
            standingSince = max(feet[0].openStance ?? -.infinity, feet[1].openStance ?? -.infinity, -.infinity)
            if standingSince == -.infinity { standingSince = time }
        } else if !both, let start = standingSince {
            standingSince = nil
            if time > start { sink.record(MetricRecord(.standing, time: start, end: time, value: time - start)) }
        }
    }

    private mutating func resolveOldest(_ foot: FootSide, footRecords: inout some MetricRecordSink,
                                        wearerRecords: inout some MetricRecordSink) {
        let stride = feet[foot.index].popFirst()
        let wearer = pair(stride, with: feet[foot.other.index])
        stride.records(into: &footRecords)
        wearer.records(into: &wearerRecords)
        addToBout(wearer, into: &wearerRecords)
        if retains { strideQueue.append(wearer) }
    }

    /// The two-foot parameters of `stride` from the other foot's stances.
    private func pair(_ stride: FootStride, with other: FootTrack) -> WearerStride {
        var result = WearerStride(stride: stride)
        let a = stride.initialContact, b = stride.nextContact
        guard let since = other.continuousSince, since <= a, other.processedUntil >= b else { return result }
        var double = 0.0, covered = 0.0
        var lastContact: Double?
        func visit(_ start: Double, _ end: Double) {
            double += Self.overlap(start, end, a, stride.toeOff)
            covered += Self.overlap(start, end, a, b)
            if start < a, lastContact.map({ start > $0 }) ?? true { lastContact = start }
        }
        for k in 0..<other.stanceCount { visit(other.stances[k].start, other.stances[k].end) }
        if let open = other.openStance { visit(open, other.processedUntil) }
        let stance = stride.stanceTime
        result.doubleSupportTime = double
        result.singleSupportTime = stance - double
        result.flightTime = max(stride.strideTime - (stance + covered - double), 0)
        if let c = lastContact, a - c < stride.strideTime { result.stepTime = a - c }
        result.mode = double > 0.005 * stride.strideTime || result.flightTime! <= 0.005 * stride.strideTime
            ? .walking : .running
        return result
    }

    static func overlap(_ s0: Double, _ e0: Double, _ s1: Double, _ e1: Double) -> Double {
        max(0, min(e0, e1) - max(s0, s1))
    }

    // MARK: Bouts

    private mutating func addToBout(_ stride: WearerStride, into sink: inout some MetricRecordSink) {
        guard let mode = stride.mode else {
            closeBout(into: &sink)
            return
        }
        let i = stride.foot.index
        if let current = bout {
            let chained = current.lastEnd[i].map { $0 == stride.stride.initialContact } ?? true
            let steady = current.lastStrideTime[i].map {
                abs(stride.stride.strideTime - $0) <= boutRule.maximumStrideChange * $0
            } ?? true
            if current.mode != mode || !chained || !steady { closeBout(into: &sink) }
        }
        if bout == nil {
            bout = BoutBuilder(mode: mode, start: stride.stride.initialContact)
            leftStrideTimes.removeAll(keepingCapacity: true)
        }
        bout!.start = min(bout!.start, stride.stride.initialContact)
        bout!.end = max(bout!.end, stride.stride.nextContact)
        bout!.lastEnd[i] = stride.stride.nextContact
        bout!.lastStrideTime[i] = stride.stride.strideTime
        bout!.received[i] += 1
        if let held = bout!.held[i], bout!.received[i] > 1 + boutRule.edgeStrides {
            if i == 0 {
                bout!.left.add(held)
                if leftStrideTimes.count < Self.dfaCapacity { leftStrideTimes.append(held.stride.strideTime) }
            } else {
                bout!.right.add(held)
            }
        }
        bout!.held[i] = stride
    }

    private mutating func closeBout(into sink: inout some MetricRecordSink) {
        guard let finished = bout else { return }
        bout = nil
        let steps = finished.received[0] + finished.received[1]
        guard steps >= boutRule.minimumStrides, finished.left.strideTime.count + finished.right.strideTime.count > 0 else {
            return
        }
        let summary = GaitBout(mode: finished.mode, start: finished.start, end: finished.end, steps: steps,
                               left: finished.left, right: finished.right,
                               dfaAlpha: DetrendedFluctuation.alpha(leftStrideTimes))
        summary.records(into: &sink)
        if retains { boutQueue.append(summary) }
    }

    struct BoutBuilder: Sendable {
        var mode: GaitMode
        var start: Double
        var end: Double
        var lastEnd: InlineArray<2, Double?> = [nil, nil]
        var lastStrideTime: InlineArray<2, Double?> = [nil, nil]
        var received: InlineArray<2, Int> = [0, 0]
        var held: InlineArray<2, WearerStride?> = [nil, nil]
        var left = FootBoutSummary()
        var right = FootBoutSummary()

        init(mode: GaitMode, start: Double) {
            self.mode = mode
            self.start = start
            end = start
        }
    }
}

/// One foot's detector and what the wearer keeps of it: its recent stances, how far it has
/// been seen, and its strides waiting for the other foot.
struct FootTrack: Sendable {
    struct StanceInterval: Sendable {
        var start: Double
        var end: Double
    }

    static let stanceCapacity = 8
    static let pendingCapacity = 8

    var detector: FootStrideDetector
    /// The latest stances, oldest first.
    var stances: InlineArray<8, StanceInterval> = .init(repeating: StanceInterval(start: 0, end: 0))
    var stanceCount = 0
    var openStance: Double?
    /// The first IC after the last break: the foot's stances are all known from here on.
    var continuousSince: Double?
    var processedUntil = -Double.infinity
    var standing = false
    private var pending: InlineArray<8, FootStride?> = .init(repeating: nil)
    private(set) var pendingCount = 0

    init(detector: FootStrideDetector) { self.detector = detector }

    mutating func addStance(_ start: Double, _ end: Double) {
        if stanceCount == Self.stanceCapacity {
            for k in 1..<Self.stanceCapacity { stances[k - 1] = stances[k] }
            stanceCount -= 1
        }
        stances[stanceCount] = StanceInterval(start: start, end: end)
        stanceCount += 1
    }

    mutating func push(_ stride: FootStride) {
        pending[pendingCount] = stride
        pendingCount += 1
    }

    var pendingFirst: FootStride { pending[0]! }

    mutating func popFirst() -> FootStride {
        let first = pending[0]!
        for k in 1..<pendingCount { pending[k - 1] = pending[k] }
        pendingCount -= 1
        pending[pendingCount] = nil
        return first
    }
}

extension FootSide {
    var index: Int { self == .left ? 0 : 1 }
}
