/// Initial contacts, toe-offs and strides of one foot from its pressure insole, one frame at a
/// time, in fixed-size state (no allocation per frame).
///
/// **Events.** The signal is the insole's total force F (the sum of its cells), the signal the
/// pressure-insole event detectors compared by Blades et al. (Sensors 23:2736, 2023) all use.
/// Their threshold methods work on the force normalised to its maximum over a trial; a stream
/// has no trial, so the normalisation adapts to the wearer instead:
///
/// - the *stance level* P is a running estimate of the wearer's stance peak force: an
///   exponentially weighted mean (weight ``Configuration/levelWeight``) of the peak of every
///   valid stance, seeded with the body weight when it is known and with the largest force seen
///   until the first stance otherwise (standing gives about half body weight per foot);
/// - the *swing level* B is the same mean of the smallest force of every valid swing (0 for a
///   clean insole; it follows a cell's zero drift);
/// - with A = max(P − B, ``Configuration/minimumAmplitude``), the foot is put in stance when F
///   reaches the confirm level B + 0.20 A and back in swing when F falls below the event level
///   B + 0.05 A (``Configuration/confirmFraction``, ``Configuration/eventFraction``): a Schmitt
///   trigger, Blades et al.'s two-threshold method with wearer-relative levels. Noise at the
///   bottom of the swing cannot make a contact: it must climb to 20 %.
/// - Each event is timed at the event level: IC where F last crossed B + 0.05 A upwards before it
///   reached the confirm level, TO where F crossed it downwards, linearly interpolated between
///   the two frames around the crossing. The low level keeps the event close to the true contact
///   (the force leaves zero within a few ms of it) while the hysteresis keeps the detection
///   robust.
///
/// **Strides.** A stride is IC → TO → next IC of the same foot with nothing in between that
/// breaks it; its stance must last ``Configuration/minimumStance``…``Configuration/maximumStance``
/// and its swing ``Configuration/minimumSwing``…``Configuration/maximumSwing``. A longer stance
/// is standing, a longer swing a foot off the ground (sitting, carried): neither is a stride.
/// Without a body weight, the first stance only sets the levels: its stride is not reported
/// (its contact was timed against the floor ``Configuration/minimumAmplitude``, which may sit in
/// the noise of an insole's idle cells).
///
/// **Faults.** Nothing ever makes a stride out of what was not seen:
/// - an event in a shorter gap (a lost notification) is timed from the force's slope beside
///   the gap: a toe-off by continuing the fall of the two frames before it, a contact by
///   extrapolating back the rise of the two frames after it (the contact is then reported one
///   frame later), never outside the gap; linear interpolation across 50-100 ms would put it
///   tens of ms off.
/// - a gap in the frames longer than ``Configuration/maximumGap`` (lost notifications, a
///   sequence gap the caller reports with ``interrupt()``), or a time that goes back or
///   jumps (a frame at the same time as the last is a duplicate and is skipped) (a device clock jump, a reboot) ends the stride in progress without emitting it; the
///   detector then waits for a clean swing and IC. Shorter gaps (random loss of single
///   notifications) are bridged: the crossing is interpolated across them.
/// - A cell that reads the same value for ``Configuration/stuckCellDuration`` while the rest of
///   the insole's force swings by more than half the stance level is faulty (stuck, or
///   saturated at full scale, which reads the same way); when its value is large enough to
///   matter (≥ the event level's share of A) it is left out of F and of the CoP until it changes,
///   and the change in F counts as a gap. This needs the cells; with the total alone, a stuck
///   cell's offset shows as a long stance and no strides (not bogus ones).
public struct FootStrideDetector: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Event (timing) level, a fraction of the stance amplitude A above the swing level.
        public var eventFraction = 0.05
        /// Confirm level for a contact, a fraction of A.
        public var confirmFraction = 0.20
        /// A floor for A, N (before the first stance of a wearer who starts in swing), and the least
        /// a stance's peak must rise above the swing level to count.
        public var minimumAmplitude = 50.0
        /// Weight of each new stance peak / swing minimum in the running levels.
        public var levelWeight = 0.25
        /// Frames further apart than this (s) break the stride.
        public var maximumGap = 0.25
        public var minimumStance = 0.1
        /// s; a longer stance is standing.
        public var maximumStance = 3.0
        public var minimumSwing = 0.1
        /// s; a longer swing is a foot off the ground, not a stride.
        public var maximumSwing = 2.5
        /// s.
        public var stuckCellDuration = 1.0

        public init() {}
    }

    /// What one frame produced.
    public struct Output: Sendable, Equatable {
        /// An IC timed in this frame (it may lie before the frame: the crossing is interpolated).
        public var contact: Double?
        public var toeOff: Double?
        /// A stride that the IC of this frame completed.
        public var stride: FootStride?
        /// The frame broke the stride in progress (gap, clock jump, faulty cell).
        public var interrupted = false
        /// The foot has been in stance for longer than ``Configuration/maximumStance`` (standing);
        /// set on every such frame.
        public var standing = false
    }

    enum Phase: Sendable { case unknown, swing, stance }

    /// A completed stance waiting for the next IC to become a stride.
    struct Stance: Sendable {
        var contact: Double
        var toeOff: Double
        var peak: Double
        var impulse: Double
        var loadingRate: Double?
        var strikeIndex: Double?
        var path: Double?
        var progression: Double?
        var frames: Int
        /// Whether the levels had been set by a stance (or the body weight) at its contact.
        var calibrated: Bool
    }

    /// A cell's watch for the stuck/saturated rule.
    struct CellWatch: Sendable {
        var value = Double.nan
        var since = 0.0
        var otherMin = Double.infinity
        var otherMax = -Double.infinity
        var excluded = false
    }

    public let foot: FootSide
    public let configuration: Configuration
    public let layout: InsoleCellLayout?

    /// The running stance level P and swing level B, N (see the type's documentation).
    public private(set) var stanceLevel: Double
    public private(set) var swingLevel = 0.0
    private var levelSeeded: Bool

    private var phase = Phase.unknown
    private var lastTime: Double?
    private var lastForce = 0.0
    /// The frame interval, s (smallest recent positive step), for the frame-loss quality.
    private var frameInterval: Double?

    // Swing in progress.
    private var swingStart: Double?
    private var swingMinimum = Double.infinity
    private var rise: Double?
    /// A rise through the event level across lost frames: the frame before the gap, and the
    /// first after it; its time is refined by the slope to the next frame.
    private var riseAcrossGap: (before: Double, time: Double, force: Double)?
    /// The frame before the previous one (for the slope into a gap at toe-off).
    private var olderTime: Double?
    private var olderForce = 0.0

    // Stance in progress.
    private var stanceFirstSeen = 0.0
    private var contact: Double?
    private var amplitude = 0.0
    private var peak = 0.0
    private var impulse = 0.0
    private var time20: Double?
    private var time80: Double?
    private var firstCoP: (x: Double, y: Double)?
    private var lastCoP: (x: Double, y: Double)?
    private var path = 0.0
    private var stanceFrames = 0
    private var isStanding = false
    private var contactCalibrated = false

    private var previous: Stance?
    private var framesSincePreviousContact = 0

    private var cells: InlineArray<16, CellWatch>
    private var excludedCount = 0

    /// - Parameters:
    ///   - layout: the cells' positions, for the CoP metrics (nil: none).
    ///   - bodyWeight: N, when the wearer's weight is known (``WearerProfile/weight`` × g): the
    ///     first stance level, before a stance has been seen.
    public init(foot: FootSide, layout: InsoleCellLayout? = nil, bodyWeight: Double? = nil,
                configuration: Configuration = Configuration()) {
        self.foot = foot
        self.layout = layout
        self.configuration = configuration
        stanceLevel = bodyWeight ?? 0
        levelSeeded = bodyWeight != nil
        cells = .init(repeating: CellWatch())
    }

    // MARK: Feeding

    /// A frame with its total force only (N).
    public mutating func process(time: Double, force: Double) -> Output {
        var output = Output()
        guard time.isFinite, force.isFinite else { return rejectFrame() }
        if time == lastTime { return output }  // the same frame again (a duplicated notification)
        admit(time: time, output: &output)
        step(time: time, force: max(force, 0), cop: nil, output: &output)
        return output
    }

    /// A frame with its cells (N each; their count should be the layout's for the CoP). `force`
    /// is the frame's total (the device's, or the sum of `cells`).
    public mutating func process(time: Double, force: Double, cells frame: Span<Double>) -> Output {
        var output = Output()
        guard time.isFinite, force.isFinite else { return rejectFrame() }
        for i in 0..<frame.count where !frame[i].isFinite { return rejectFrame() }
        if time == lastTime { return output }  // the same frame again (a duplicated notification)
        admit(time: time, output: &output)
        let excluded = watchCells(frame, total: force, time: time)
        if excluded.changed {
            interrupt()
            output.interrupted = true
        }
        let cop = centreOfPressure(frame)
        step(time: time, force: max(force - excluded.sum, 0), cop: cop, output: &output)
        return output
    }

    /// A frame with a time or force that is not a number: it is not used, and it breaks the
    /// stride in progress as a gap does (a NaN must not reach the running levels).
    private mutating func rejectFrame() -> Output {
        interrupt()
        lastTime = nil
        var output = Output()
        output.interrupted = true
        return output
    }

    /// Says that the frame times cannot be trusted across this point (the caller's clock fit
    /// started a new segment: a reboot, a clock jump): the stride in progress ends without a
    /// record; detection resumes at the next clean swing.
    ///
    /// Not for lost notifications: their frames' times show the gap, gaps up to
    /// ``Configuration/maximumGap`` are bridged (with 10 % loss nearly every stride has one) and
    /// longer ones end the stride by themselves. Interrupting at every sequence gap would lose
    /// most strides of a lossy link.
    public mutating func interrupt() {
        phase = .unknown
        previous = nil
        contact = nil
        rise = nil
        riseAcrossGap = nil
        olderTime = nil
        swingStart = nil
        isStanding = false
    }

    // MARK: Steps

    private mutating func admit(time: Double, output: inout Output) {
        guard let last = lastTime else { return }
        let dt = time - last
        if !(dt > 0) || dt > configuration.maximumGap {
            interrupt()
            output.interrupted = true
            return
        }
        if let interval = frameInterval {
            // A mean of the steps that are not gaps: a lost frame makes a step of two or more.
            if dt < 1.5 * interval { frameInterval = interval + 0.05 * (dt - interval) }
        } else {
            frameInterval = dt
        }
    }

    private mutating func step(time: Double, force: Double, cop: (x: Double, y: Double)?, output: inout Output) {
        if !levelSeeded { stanceLevel = max(stanceLevel, force) }
        let a = max(stanceLevel - swingLevel, configuration.minimumAmplitude)
        let eventLevel = swingLevel + configuration.eventFraction * a
        let confirmLevel = swingLevel + configuration.confirmFraction * a
        let previousTime = lastTime, previousForce = lastForce
        let older = olderTime.map { (time: $0, force: olderForce) }
        olderTime = output.interrupted ? nil : previousTime
        olderForce = previousForce
        lastTime = time
        lastForce = force
        framesSincePreviousContact += 1
        let continuous = !output.interrupted && previousTime != nil
        // Lost frames between the previous frame and this one (one notification of several
        // frames, or more): a crossing in there is timed from the slope beside the gap.
        let acrossGap = continuous && frameInterval.map { time - previousTime! > 1.5 * $0 } ?? false

        switch phase {
        case .unknown:
            if force < eventLevel {
                phase = .swing
                swingStart = nil
                swingMinimum = force
                rise = nil
            } else if force >= confirmLevel {
                beginStance(at: time, contact: nil, amplitude: a)
                accumulate(time: time, force: force, previousTime: nil, previousForce: 0, cop: cop)
            }

        case .swing:
            swingMinimum = min(swingMinimum, force)
            var deferred: (time: Double, force: Double)?
            if let gap = riseAcrossGap {
                // The frame after a rise across a gap: extrapolate back along the slope from the
                // first frame after the gap to this one (the force rises steeply and nearly
                // linearly from contact), never before the gap.
                riseAcrossGap = nil
                if force >= eventLevel, continuous, !acrossGap, force > gap.force {
                    let slope = (force - gap.force) / (time - gap.time)
                    rise = min(max(gap.time - (gap.force - eventLevel) / slope, gap.before), gap.time)
                }
                if force >= eventLevel { deferred = (gap.time, gap.force) }
            }
            if force >= eventLevel {
                if rise == nil {
                    rise = continuous && previousForce < eventLevel
                        ? Self.crossing(previousTime!, previousForce, time, force, level: eventLevel) : nil
                    if rise != nil, acrossGap { riseAcrossGap = (previousTime!, time, force) }
                }
            } else {
                rise = nil
            }
            if let start = swingStart, time - start > configuration.maximumSwing {
                // A foot off the ground: no stride across it.
                previous = nil
                swingStart = nil
            }
            if force >= confirmLevel, riseAcrossGap == nil {
                if let ic = rise {
                    output.contact = ic
                    output.stride = finishStride(at: ic)
                    if let start = swingStart, ic - start >= configuration.minimumSwing {
                        swingLevel += configuration.levelWeight * (max(swingMinimum, 0) - swingLevel)
                    }
                    beginStance(at: time, contact: ic, amplitude: a)
                    // The stretch from the crossing to this frame, as trapezoids (through the
                    // frame held back for the slope, when there was one).
                    if let held = deferred {
                        accumulate(time: held.time, force: held.force, previousTime: ic, previousForce: eventLevel, cop: nil)
                        accumulate(time: time, force: force, previousTime: held.time, previousForce: held.force, cop: cop)
                    } else {
                        accumulate(time: time, force: force, previousTime: ic, previousForce: eventLevel, cop: cop)
                    }
                } else {
                    // Into stance without a seen crossing (after a gap): not a contact we can time.
                    previous = nil
                    beginStance(at: time, contact: nil, amplitude: a)
                    accumulate(time: time, force: force, previousTime: nil, previousForce: 0, cop: cop)
                }
            }

        case .stance:
            if force < eventLevel {
                var to = continuous ? Self.crossing(previousTime!, previousForce, time, force, level: eventLevel) : time
                if acrossGap, let older, older.force > previousForce {
                    // Into a gap: continue the fall of the two frames before it.
                    let slope = (previousForce - older.force) / (previousTime! - older.time)
                    to = min(max(previousTime! + (eventLevel - previousForce) / slope, previousTime!), time)
                }
                if continuous { impulse += 0.5 * (previousForce + eventLevel) * (to - previousTime!) }
                endStance(toeOff: to, output: &output)
                phase = .swing
                swingStart = to
                swingMinimum = force
                rise = nil
            } else {
                accumulate(time: time, force: force, previousTime: continuous ? previousTime : nil,
                           previousForce: previousForce, cop: cop)
                if time - stanceFirstSeen > configuration.maximumStance {
                    // Standing (or a stuck offset): this stance is no stride's.
                    isStanding = true
                    contact = nil
                    previous = nil
                }
                output.standing = isStanding
            }
        }
    }

    private mutating func beginStance(at time: Double, contact ic: Double?, amplitude a: Double) {
        phase = .stance
        stanceFirstSeen = ic ?? time
        contact = ic
        amplitude = a
        peak = 0
        impulse = 0
        time20 = nil
        time80 = nil
        firstCoP = nil
        lastCoP = nil
        path = 0
        stanceFrames = 0
        isStanding = false
        contactCalibrated = levelSeeded
        if ic != nil { framesSincePreviousContact = 1 }
    }

    private mutating func accumulate(time: Double, force: Double, previousTime: Double?, previousForce: Double,
                                     cop: (x: Double, y: Double)?) {
        stanceFrames += 1
        peak = max(peak, force)
        if let t0 = previousTime {
            impulse += 0.5 * (previousForce + force) * (time - t0)
            let level20 = swingLevel + 0.2 * amplitude, level80 = swingLevel + 0.8 * amplitude
            if time20 == nil, force >= level20 {
                time20 = previousForce < level20 ? Self.crossing(t0, previousForce, time, force, level: level20) : time
            }
            if time80 == nil, time20 != nil, force >= level80 {
                time80 = previousForce < level80 ? Self.crossing(t0, previousForce, time, force, level: level80) : time
            }
        }
        if let cop {
            if let last = lastCoP {
                let dx = cop.x - last.x, dy = cop.y - last.y
                path += (dx * dx + dy * dy).squareRoot()
            } else {
                firstCoP = cop
            }
            lastCoP = cop
        }
    }

    private mutating func endStance(toeOff to: Double, output: inout Output) {
        output.toeOff = to
        defer { contact = nil }
        guard let ic = contact, !isStanding else {
            previous = nil
            return
        }
        let duration = to - ic
        guard duration >= configuration.minimumStance, duration <= configuration.maximumStance else {
            previous = nil
            return
        }
        // A stance whose peak stays within the floor of the swing level is noise on idle cells,
        // not a foot carrying weight: it neither sets the levels nor makes a stride.
        guard peak - swingLevel >= configuration.minimumAmplitude else {
            previous = nil
            return
        }
        stanceLevel = levelSeeded ? stanceLevel + configuration.levelWeight * (peak - stanceLevel) : peak
        levelSeeded = true
        var loading: Double?
        if let t20 = time20, let t80 = time80, t80 > t20 { loading = 0.6 * amplitude / (t80 - t20) }
        var strike: Double?, pathShare: Double?, progression: Double?
        if let layout, let first = firstCoP, let last = lastCoP {
            let length = layout.footLength
            strike = 100 * (first.y - layout.heelY) / length
            pathShare = 100 * path / length
            progression = 100 * (last.y - first.y) / length
        }
        previous = Stance(contact: ic, toeOff: to, peak: peak, impulse: impulse, loadingRate: loading,
                          strikeIndex: strike, path: pathShare, progression: progression, frames: stanceFrames,
                          calibrated: contactCalibrated)
    }

    private mutating func finishStride(at nextContact: Double) -> FootStride? {
        defer { previous = nil }
        guard let stance = previous, stance.calibrated, let start = swingStart, start == stance.toeOff else { return nil }
        let swing = nextContact - stance.toeOff
        guard swing >= configuration.minimumSwing, swing <= configuration.maximumSwing else { return nil }
        let strideTime = nextContact - stance.contact
        var quality = 1.0
        if let interval = frameInterval, strideTime > 0 {
            quality = min(1, Double(framesSincePreviousContact) * interval / strideTime)
        }
        return FootStride(foot: foot, initialContact: stance.contact, toeOff: stance.toeOff, nextContact: nextContact,
                          peakForce: stance.peak, impulse: stance.impulse, loadingRate: stance.loadingRate,
                          strikeIndex: stance.strikeIndex, copPathLength: stance.path,
                          copProgression: stance.progression, quality: quality)
    }

    // MARK: Cells

    /// Updates the stuck/saturated watch; returns the force of the excluded cells and whether
    /// the set of excluded cells changed.
    private mutating func watchCells(_ frame: Span<Double>, total: Double, time: Double) -> (sum: Double, changed: Bool) {
        let count = min(frame.count, Self.cellsWatched)
        let a = max(stanceLevel - swingLevel, configuration.minimumAmplitude)
        var sum = 0.0, changed = false, excluded = 0
        for i in 0..<count {
            let value = frame[i]
            let other = total - value
            if value != cells[i].value {
                if cells[i].excluded { changed = true }
                cells[i] = CellWatch(value: value, since: time, otherMin: other, otherMax: other, excluded: false)
            } else {
                cells[i].otherMin = min(cells[i].otherMin, other)
                cells[i].otherMax = max(cells[i].otherMax, other)
                if !cells[i].excluded, abs(value) >= configuration.eventFraction * a,
                   time - cells[i].since >= configuration.stuckCellDuration,
                   cells[i].otherMax - cells[i].otherMin > 0.5 * a {
                    cells[i].excluded = true
                    changed = true
                }
            }
            if cells[i].excluded {
                sum += value
                excluded += 1
            }
        }
        excludedCount = excluded
        return (sum, changed)
    }

    static let cellsWatched = 16

    /// Force-weighted mean position of the cells in use (nil without a matching layout or load).
    private func centreOfPressure(_ frame: Span<Double>) -> (x: Double, y: Double)? {
        guard let layout, frame.count == layout.cellCount else { return nil }
        var sum = 0.0, x = 0.0, y = 0.0
        for i in 0..<frame.count where !(i < Self.cellsWatched && cells[i].excluded) {
            let f = max(frame[i], 0)
            sum += f
            x += f * layout.xs[i]
            y += f * layout.ys[i]
        }
        guard sum > 0 else { return nil }
        return (x / sum, y / sum)
    }

    /// Cells now left out as stuck or saturated.
    public var faultyCells: Int { excludedCount }

    /// Where the line through (t0, f0) and (t1, f1) reaches `level`.
    static func crossing(_ t0: Double, _ f0: Double, _ t1: Double, _ f1: Double, level: Double) -> Double {
        guard f1 != f0 else { return t1 }
        let p = (level - f0) / (f1 - f0)
        return t0 + min(max(p, 0), 1) * (t1 - t0)
    }
}
