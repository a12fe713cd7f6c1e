import CSinCos
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A persona's two feet: stride events, vertical ground reaction force, centre of pressure
/// and a foot-mounted IMU, deterministic from a seed.
///
/// **Timing.** Steps alternate between the feet. Each stride (left heel strike to the next)
/// lasts T = T̄ (1 + CV z), where z is long-range correlated noise (``GaitStyle/strideTimeAlpha``,
/// see `GaitLongRangeNoise`); the right heel strike splits the stride by the step
/// asymmetry; each foot stays down for stance share × T (so stance < 50 % gives a flight phase).
/// T̄, the stance share, the stride length and the walk/run blend move 25 % of the way to the
/// activity's targets at every step, so cadence and speed ramp over a few strides. Walking
/// cadence and stride length both scale with √(speed / preferred speed), which keeps the
/// walk ratio (step length / cadence) constant as people do (Sekiya & Nagasaki, Gait Posture
/// 7:95, 1998).
///
/// **Force.** In a stance of duration d, F(p) = A (a₁ sin πp + a₂ sin 2πp + a₃ sin 3πp) plus,
/// for heel and midfoot strikes, an impact transient 25 ms after contact. Walking uses
/// a₃ = 0.35 (two humps at ~25 % and ~75 % of stance, valley ~0.75 of the peaks, the classic
/// force-plate shape: Perry & Burnfield 2010; Winter, *Biomechanics and Motor Control of Human
/// Movement*, 2009), running a₃ = 0 (one peak mid-stance: Cavanagh & Lafortune 1980); the
/// shuffle flattens a₃ towards 1/9 (the flat-topped profile of Parkinsonian insoles). A is set
/// by momentum balance: over a stride the two feet's impulse equals body weight × T, so each
/// stance carries BW·T/2 (less on a limping foot, more on the other). That gives walking peaks
/// ~1.1–1.2 BW and running peaks ~2–2.4 BW without tuning.
///
/// **IMU.** A kinematic sketch, not a biomechanical model: the foot pitches from heel-strike
/// dorsiflexion to flat over the first 12 % of stance, lifts the heel from ~60 % of stance to
/// toe-off, and swings forward with a minimum-jerk-like (sin²) displacement of one stride
/// length and a sin² lift; gravity is rotated into the foot frame by the pitch; a damped
/// 28 Hz oscillation marks heel strike. Gyro y is the pitch rate.
///
/// Use: ``advance(to:onEvent:)`` to a time, then ``sample(_:at:)`` each foot at its own
/// device's sample times (which may lag the advanced time by up to one step).
/// Allocation-free after `init`.
public struct GaitModel: Sendable {
    public let style: GaitStyle
    public let bodyWeight: Double
    public private(set) var activity: GaitActivity
    /// The latest time the model has advanced to.
    public private(set) var time: Double
    /// Events that ``sample(_:at:)`` advanced past and the event buffer could not keep.
    public private(set) var droppedEvents = 0

    private var random: ModelRandom
    private var noise: ModelRandom
    private var strideNoise: GaitLongRangeNoise

    private var tracks: InlineArray<2, FootTrack>
    private var pending: InlineArray<16, GaitEvent>
    private var pendingCount = 0
    private var pendingActivity: (activity: GaitActivity, time: Double)?

    // Generator state: the last planned step and the parameters now in force.
    private var moving = false
    private var lastHeelStrike = 0.0
    private var lastFoot = Foot.right
    private var stride = 1.1
    private var meanStride = 1.1
    private var stanceShare = 0.6
    private var runness = 0.0
    private var strideLength = 1.4
    private var walkingStepsBeforeStop = -1
    private var freezeStart: Double?
    private var freezeEnd: Double?
    /// Cache of `earliestTransition()`; −∞ forces a look.
    private var nextTransition = -Double.infinity

    struct FootTrack: Sendable {
        var previous: GaitStep?
        var current: GaitStep
        var next: GaitStep?
        var toeOffReported: Bool
    }

    /// - Parameters:
    ///   - seed: same seed and same calls, same output.
    ///   - activity: what the persona does from `time` on.
    public init(style: GaitStyle, seed: UInt64, activity: GaitActivity = .stand, at time: Double = 0) {
        self.style = style
        bodyWeight = style.bodyMass * 9.80665
        self.activity = .stand
        self.time = time
        random = ModelRandom.gait(seed: seed, stream: 0x6761_6974) // "gait"
        noise = ModelRandom.gait(seed: seed, stream: 0x696D_75) // "imu"
        strideNoise = GaitLongRangeNoise(alpha: style.strideTimeAlpha, random: &random)
        let load = style.bodyMass * 9.80665 / 2
        tracks = [
            FootTrack(current: .standing(foot: .left, from: -.infinity, load: load, tremor: false), toeOffReported: false),
            FootTrack(current: .standing(foot: .right, from: -.infinity, load: load, tremor: false), toeOffReported: false),
        ]
        pending = .init(repeating: GaitEvent(kind: .heelStrike, foot: .left, time: 0))
        meanStride = 120 / style.cadence
        stride = meanStride
        stanceShare = style.stanceShare
        strideLength = style.strideLength
        if activity != .stand { setActivity(activity, at: time) }
    }

    // MARK: Activity

    /// Changes the activity at `time` (applied immediately when `time` is not after ``time``).
    public mutating func setActivity(_ newActivity: GaitActivity, at when: Double) {
        if let waiting = pendingActivity { advanceBuffering(to: waiting.time) }
        if when <= time {
            pendingActivity = nil
            apply(newActivity, at: time)
        } else {
            pendingActivity = (newActivity, when)
        }
        nextTransition = -.infinity
    }

    private struct Targets {
        var meanStride: Double
        var stanceShare: Double
        var runness: Double
        var strideLength: Double
    }

    private func targets(for activity: GaitActivity) -> Targets {
        switch activity {
        case .stand:
            return Targets(meanStride: meanStride * 1.3, stanceShare: style.stanceShare, runness: 0,
                           strideLength: strideLength * 0.6)
        case let .walk(speed):
            let preferred = max(style.preferredSpeed, 0.1)
            let ratio = max(speed ?? preferred, 0.1) / preferred
            let cadence = style.cadence * ratio.squareRoot()
            // Faster walking shortens stance a little (Perry & Burnfield: ~62 % slow, ~57 % fast).
            let share = min(max(style.stanceShare - 0.04 * (ratio - 1), 0.52), 0.75)
            return Targets(meanStride: 120 / cadence, stanceShare: share, runness: 0,
                           strideLength: style.strideLength * ratio.squareRoot())
        case let .run(speed):
            let v = max(speed, 1.5)
            let cadence = style.runningCadence * pow(v / 3.2, 0.25)
            let share = min(max(style.runningStanceShare - 0.03 * (v - 3.2), 0.22), 0.48)
            return Targets(meanStride: 120 / cadence, stanceShare: share, runness: 1, strideLength: v * 120 / cadence)
        }
    }

    private mutating func apply(_ newActivity: GaitActivity, at when: Double) {
        activity = newActivity
        if newActivity == .stand {
            if moving, walkingStepsBeforeStop < 0 { walkingStepsBeforeStop = 2 }
            return
        }
        walkingStepsBeforeStop = -1
        if !moving, freezeEnd == nil { start(at: when) }
    }

    /// From both feet down to walking or running: one foot unloads (0.3 s weight shift) and swings.
    private mutating func start(at when: Double) {
        let target = targets(for: activity)
        moving = true
        runness = target.runness
        stanceShare = target.stanceShare
        strideLength = target.strideLength * 0.7
        meanStride = target.meanStride * 1.25
        stride = drawStride()
        let first: Foot = random.next() & 1 == 0 ? .left : .right
        let firstToeOff = when + 0.3
        tracks[first.rawValue].current.toeOff = firstToeOff
        let strike = firstToeOff + (1 - stanceShare) * stride
        let firstStep = makeStep(foot: first, heelStrike: strike)
        tracks[first.rawValue].next = firstStep
        lastHeelStrike = strike
        lastFoot = first
        let other = first.other
        let overlap = (stanceShare - 0.5) * stride
        tracks[other.rawValue].current.toeOff = max(firstToeOff + 0.05, strike + overlap)
        tracks[other.rawValue].next = planNext(for: other)
    }

    // MARK: Planning steps

    private mutating func drawStride() -> Double {
        let z = min(max(strideNoise.next(&random), -4), 4)
        return meanStride * max(1 + style.strideTimeCV * z, 0.5)
    }

    /// The step after the last planned one (which is on the other foot), or nil when walking stops.
    private mutating func planNext(for foot: Foot) -> GaitStep? {
        guard moving, lastFoot == foot.other else { return nil }
        let target = targets(for: activity)
        let rate = 0.25
        meanStride += rate * (target.meanStride - meanStride)
        stanceShare += rate * (target.stanceShare - stanceShare)
        runness += rate * (target.runness - runness)
        strideLength += rate * (target.strideLength - strideLength)
        if foot == .left { stride = drawStride() }
        let split = 0.5 + (foot == .right ? 0.5 : -0.5) * effectiveAsymmetry
        var strike = lastHeelStrike + stride * split
        lastHeelStrike = strike
        lastFoot = foot

        if walkingStepsBeforeStop == 0 {
            // The last two steps of a stop end in quiet standing.
            if tracks[foot.other.rawValue].next?.standing ?? tracks[foot.other.rawValue].current.standing {
                moving = false
                walkingStepsBeforeStop = -1
            }
            return .standing(foot: foot, from: strike, load: bodyWeight / 2, tremor: false)
        }
        if walkingStepsBeforeStop > 0 { walkingStepsBeforeStop -= 1 }

        if foot == .left, let freezing = style.freezing, freezing.perMinute > 0, runness < 0.5,
           random.uniform() < freezing.perMinute * stride / 60 {
            // A freeze starts with a short, hesitant step; both feet stay down.
            strike = lastHeelStrike - stride * split * 0.4
            lastHeelStrike = strike
            walkingStepsBeforeStop = 0
            freezeStart = strike
            let duration = max(1, random.exponential(mean: freezing.meanDuration))
            freezeEnd = strike + stride * 0.5 + duration
            return .standing(foot: foot, from: strike, load: bodyWeight / 2, tremor: true)
        }
        return makeStep(foot: foot, heelStrike: strike)
    }

    private var effectiveAsymmetry: Double {
        guard let limp = style.limp else { return style.asymmetry }
        // The sound foot's step is hurried to get off the painful one.
        return style.asymmetry + (limp.foot == .left ? -0.08 : 0.08) * limp.severity
    }

    private func makeStep(foot: Foot, heelStrike: Double) -> GaitStep {
        var share = stanceShare
        var impulseShare = 0.5
        if let limp = style.limp {
            let sign = limp.foot == foot ? -1.0 : 1.0
            share += sign * 0.05 * limp.severity
            impulseShare += sign * 0.06 * limp.severity
        }
        let duration = max(share * stride, 0.1)
        let shuffle = min(max(style.shuffle, 0), 1)
        let walking = 1 - runness
        let a1 = 1.0
        let a2 = 0.05 * walking
        let a3 = walking * (0.35 - 0.24 * shuffle)
        var heelPath = 0.0, midfootPath = 0.0, forefootPath = 0.0
        switch style.strike {
        case .heel:
            heelPath = 1 - 0.8 * shuffle
            midfootPath = 0.8 * shuffle
        case .midfoot: midfootPath = 1
        case .forefoot: forefootPath = 1
        }
        let heelness = heelPath + 0.4 * midfootPath
        let impact = bodyWeight * heelness * (0.1 * walking + 0.6 * runness)
        let impactImpulse = impact * 0.008 * (2 * Double.pi).squareRoot()
        let impulse = bodyWeight * stride * impulseShare
        let shapeMean = 2 / Double.pi * (a1 + a3 / 3)
        let amplitude = max(impulse - impactImpulse, 0.3 * impulse) / (duration * shapeMean)
        let pitchAtStrike = -22 * heelPath - 5 * midfootPath + 12 * forefootPath
        let spike = 9.80665 * ((1.0 + 1.5 * heelness) * walking + (2.5 + 5.5 * heelness) * runness)
        return GaitStep(
            foot: foot, heelStrike: heelStrike, toeOff: heelStrike + duration, standing: false, tremor: false,
            amplitude: amplitude, a1: a1, a2: a2, a3: a3, impact: impact,
            heelPath: heelPath, midfootPath: midfootPath, forefootPath: forefootPath,
            pitchAtStrike: pitchAtStrike * (1 - 0.5 * shuffle),
            pitchAtToeOff: (55 + 20 * runness) * (1 - 0.4 * shuffle),
            heelOff: 0.6 - 0.15 * runness, spike: spike,
            strideLength: strideLength * (1 - 0.3 * shuffle) , clearance: 0.12 + 0.08 * runness - 0.05 * shuffle,
            standingLoad: bodyWeight / 2)
    }

    // MARK: Advancing

    /// Moves the model to `newTime`, reporting heel strikes, toe-offs and freezes in time order.
    public mutating func advance(to newTime: Double, onEvent: (GaitEvent) -> Void) {
        for i in 0..<pendingCount { onEvent(pending[i]) }
        pendingCount = 0
        guard newTime > time else { return }
        if newTime < nextTransition {
            time = newTime
            return
        }
        defer { nextTransition = earliestTransition() }
        while true {
            var earliest = newTime
            var action = 0 // 1: toe-off, 2: heel strike, 3: activity, 4: freeze start, 5: freeze end
            var actionFoot = Foot.left
            for foot in Foot.allCases {
                let track = tracks[foot.rawValue]
                if !track.toeOffReported, track.current.toeOff <= earliest {
                    earliest = track.current.toeOff
                    action = 1
                    actionFoot = foot
                }
                if let next = track.next, next.heelStrike <= earliest, next.heelStrike < earliest || action == 0 {
                    earliest = next.heelStrike
                    action = 2
                    actionFoot = foot
                }
            }
            if let waiting = pendingActivity, waiting.time <= earliest, waiting.time < earliest || action == 0 {
                earliest = waiting.time
                action = 3
            }
            if let start = freezeStart, start <= earliest {
                earliest = start
                action = 4
            }
            if let end = freezeEnd, freezeStart == nil, end <= earliest {
                earliest = end
                action = 5
            }
            if action == 0 { break }
            switch action {
            case 1:
                tracks[actionFoot.rawValue].toeOffReported = true
                onEvent(GaitEvent(kind: .toeOff, foot: actionFoot, time: earliest))
            case 2:
                var track = tracks[actionFoot.rawValue]
                track.previous = track.current
                track.current = track.next!
                track.next = nil
                track.toeOffReported = false
                tracks[actionFoot.rawValue] = track
                onEvent(GaitEvent(kind: .heelStrike, foot: actionFoot, time: earliest))
                tracks[actionFoot.rawValue].next = planNext(for: actionFoot)
            case 3:
                let waiting = pendingActivity!
                pendingActivity = nil
                apply(waiting.activity, at: waiting.time)
            case 4:
                freezeStart = nil
                onEvent(GaitEvent(kind: .freezingStart, foot: .left, time: earliest))
            default:
                freezeEnd = nil
                onEvent(GaitEvent(kind: .freezingEnd, foot: .left, time: earliest))
                if activity != .stand, !moving { start(at: earliest) }
            }
            time = max(time, earliest)
        }
        time = newTime
    }

    /// Advances, keeping the events for the next ``advance(to:onEvent:)``.
    private mutating func advanceBuffering(to when: Double) {
        var buffer = pending
        var count = 0
        var dropped = 0
        advance(to: when) { event in
            if count < 16 {
                buffer[count] = event
                count += 1
            } else {
                dropped += 1
            }
        }
        pending = buffer
        pendingCount = count
        droppedEvents += dropped
    }

    /// When the next event or scheduled change is due (so most samples skip the event loop).
    private func earliestTransition() -> Double {
        var earliest = Double.infinity
        for foot in Foot.allCases {
            if !tracks[foot.rawValue].toeOffReported { earliest = min(earliest, tracks[foot.rawValue].current.toeOff) }
            if let next = tracks[foot.rawValue].next { earliest = min(earliest, next.heelStrike) }
        }
        if let waiting = pendingActivity { earliest = min(earliest, waiting.time) }
        if let start = freezeStart { earliest = min(earliest, start) }
        if let end = freezeEnd { earliest = min(earliest, end) }
        return earliest
    }

    // MARK: Sampling

    /// One foot at `at` (seconds). Advances the model first when `at` is later than ``time``
    /// (its events wait for the next ``advance(to:onEvent:)``).
    public mutating func sample(_ foot: Foot, at when: Double) -> GaitFootSample {
        if when > time { advanceBuffering(to: when) }
        var step = tracks[foot.rawValue].current
        var following = tracks[foot.rawValue].next
        if let next = following, next.heelStrike <= when {
            step = next
            following = nil
        } else if when < step.heelStrike, let previous = tracks[foot.rawValue].previous {
            following = step
            step = previous
        }
        var sample = GaitFootSample()
        let side = foot == .left ? -1.0 : 1.0
        if when < step.toeOff {
            stance(step, at: when, side: side, into: &sample)
        } else {
            swing(after: step, until: following?.heelStrike ?? (step.toeOff + 0.5), pitchAtStrike: following?.pitchAtStrike ?? 0,
                  length: following?.strideLength ?? step.strideLength, clearance: following?.clearance ?? step.clearance,
                  at: when, into: &sample)
            sample.copX = side * 500
        }
        sample.accel.x += 0.05 * noise.roughNormal()
        sample.accel.y += 0.05 * noise.roughNormal()
        sample.accel.z += 0.05 * noise.roughNormal()
        sample.gyro.x += 0.3 * noise.roughNormal()
        sample.gyro.y += 0.3 * noise.roughNormal()
        sample.gyro.z += 0.3 * noise.roughNormal()
        // Component by component: SIMD3's `clamped` is an out-of-line generic call per sample.
        let accelLimit = 16 * 9.80665
        for axis in 0..<3 {
            sample.accel[axis] = min(max(sample.accel[axis], -accelLimit), accelLimit)
            sample.gyro[axis] = min(max(sample.gyro[axis], -2000), 2000)
        }
        return sample
    }

    private static let gravity = 9.80665
    private static let degrees = Double.pi / 180

    private func stance(_ step: GaitStep, at when: Double, side: Double, into sample: inout GaitFootSample) {
        sample.inStance = true
        if step.standing {
            let since = when - step.heelStrike
            let until = step.toeOff - when
            var weight = 1 + 0.04 * sin(2 * Double.pi * 0.2 * when + side)
            if step.tremor { weight += 0.08 * sin(2 * Double.pi * 5.5 * when + (side > 0 ? Double.pi : 0)) }
            weight *= Self.smooth(since / 0.2) * Self.smooth(until / 0.25)
            sample.force = step.standingLoad * weight
            sample.copY = GaitPressurePath.standingY
            sample.copX = side * 520
            sample.accel = SIMD3(0, 0, Self.gravity)
            if step.tremor {
                let tremor = Self.sinCos(2 * Double.pi * 5.5 * when)
                sample.accel.z += 0.8 * tremor.sin
                sample.gyro.y = 12 * tremor.cos
            }
            return
        }
        let since = when - step.heelStrike
        let duration = step.toeOff - step.heelStrike
        let p = since / duration
        let (s1, c1) = Self.sinCos(Double.pi * p)
        let s2 = 2 * s1 * c1
        let s3 = s1 * (3 - 4 * s1 * s1)
        var force = step.amplitude * (step.a1 * s1 + step.a2 * s2 + step.a3 * s3)
        if since < 0.07, step.impact > 0 {
            let z = (since - 0.025) / 0.008
            force += step.impact * exp(-0.5 * z * z)
        }
        sample.force = max(force, 0)
        let (index, fraction) = GaitPressurePath.locate(p)
        sample.copY = step.heelPath * GaitPressurePath.value(GaitPressurePath.heel, index, fraction)
            + step.midfootPath * GaitPressurePath.value(GaitPressurePath.midfoot, index, fraction)
            + step.forefootPath * GaitPressurePath.value(GaitPressurePath.forefoot, index, fraction)
        sample.copX = side * (500 + GaitPressurePath.value(GaitPressurePath.lateral, index, fraction))

        // Pitch: landing angle → flat over 12 % of stance; flat → toe-off angle after heel-off.
        var pitchRate = 0.0, pitch = 0.0
        if p < 0.12 {
            let q = Self.sinCos(Double.pi * (p / 0.12))
            pitch = step.pitchAtStrike * (1 + q.cos) / 2
            pitchRate = -step.pitchAtStrike * Double.pi / 2 * q.sin / (0.12 * duration)
        } else if p > step.heelOff {
            let span = 1 - step.heelOff
            let q = Self.sinCos(Double.pi * ((p - step.heelOff) / span))
            pitch = step.pitchAtToeOff * (1 - q.cos) / 2
            pitchRate = step.pitchAtToeOff * Double.pi / 2 * q.sin / (span * duration)
        }
        let (st, ct) = Self.sinCos(pitch * Self.degrees)
        var ax = -Self.gravity * st
        var az = Self.gravity * ct
        if since < 0.12 {
            let decay = exp(-since / 0.012) * step.spike
            let ring = Self.sinCos(2 * Double.pi * 28 * since)
            az += decay * ring.cos
            ax -= 0.6 * decay * ring.sin
        }
        sample.accel = SIMD3(ax, 0, az)
        sample.gyro = SIMD3(0, pitchRate, 0)
    }

    private func swing(after step: GaitStep, until strike: Double, pitchAtStrike: Double, length: Double,
                       clearance: Double, at when: Double, into sample: inout GaitFootSample) {
        let duration = max(strike - step.toeOff, 0.05)
        let q = min(max((when - step.toeOff) / duration, 0), 1)
        let twoPiQ = 2 * Double.pi * q
        // Forward: x = L sin²-shaped (velocity ∝ sin²(πq)) → a = 2πL/D² sin 2πq; lift z = h sin²(πq).
        let (s2q, c2q) = Self.sinCos(twoPiQ)
        let (sq, cq) = Self.sinCos(Double.pi * q)
        let forward = 2 * Double.pi * length / (duration * duration) * s2q
        let lift = clearance * 2 * Double.pi * Double.pi / (duration * duration) * c2q
        let delta = pitchAtStrike - step.pitchAtToeOff
        let pitch = step.pitchAtToeOff + delta * (1 - cq) / 2
        let pitchRate = delta * Double.pi / 2 * sq / duration
        let (st, ct) = Self.sinCos(pitch * Self.degrees)
        let fz = lift + Self.gravity
        sample.accel = SIMD3(forward * ct - fz * st, 0.6 * s2q, forward * st + fz * ct)
        sample.gyro = SIMD3(25 * s2q, pitchRate, 12 * sq)
        sample.copY = 0
    }

    /// sin and cos of one angle in one libm call: GNU `sincos` gives the bits separate
    /// `sin` and `cos` calls give (CSinCos), for half the work.
    @inline(__always)
    private static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        var s = 0.0, c = 0.0
        gaitway_sincos(x, &s, &c)
        return (s, c)
    }

    @inline(__always)
    private static func smooth(_ x: Double) -> Double {
        if x >= 1 { return 1 }
        if x <= 0 { return 0 }
        return x * x * (3 - 2 * x)
    }
}
