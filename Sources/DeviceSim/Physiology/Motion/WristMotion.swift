#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a wristband's accelerometer reads (specific force, in g, in the band's axes: x along
/// the forearm towards the hand, y across the wrist, z out of its back; gaitway-motion.yaml),
/// from what the person is doing. A kinematic stand-in, not a musculoskeletal model: enough
/// that activity counts, step cadence and stillness come out as a wrist device's do.
///
/// - **Walking and running**: the arm swings as a pendulum at the stride frequency (one swing a
///   stride, opposite the same-side leg), θ(t) = Θ·sin φ(t), φ = 2π·(t − last left heel
///   strike)·f_stride; the band reads gravity in the swinging frame, (−cos θ, sin θ, 0)·1 g, plus
///   the pendulum's centripetal −L·θ′² (along x) and tangential L·θ″ (along y), plus the
///   body's vertical bounce at the step frequency, B·cos(2π·f_step·(t − last heel strike)) g along
///   the up direction. Walking: Θ = 0.25 rad at 1.3 m/s (in proportion to speed, 0.1 to 0.45),
///   L = 0.6 m, B = 0.25 g·(v / 1.3)²; running (the elbow bent): Θ = 0.5 rad, L = 0.35 m,
///   B = 1 g. Wrist accelerations of this size are what wrist-worn studies report: peaks of about
///   1.5 g walking and 3 to 5 g running (e.g. Fortune et al., Gait Posture 40:200, 2014).
/// - **Resting and standing**: the arm still at a posture (a gravity direction that drifts
///   slowly), with small gestures (a 2-5 s burst of 1-3 Hz movement of 0.1-0.4 g) about every
///   2 minutes awake.
/// - **In bed**, by sleep stage (``Hypnogram``): awake (falling asleep, or an awakening) restless,
///   gestures about every minute and a posture change about every 4 minutes, and one at the start
///   of most awakenings (body movements mark arousals); light sleep a twitch (a 1-2 s burst of
///   0.05-0.15 g) about every 8 minutes and a posture change (a 2-4 s burst of 0.2-0.5 g, then a
///   new posture; awake 3-8 s of 0.3-0.8 g) about every hour; deep sleep nearly motionless (a
///   twitch every 30 min, a posture change every 2 hours); REM with the muscle atonia of REM sleep, no posture change but small phasic twitches
///   (0.5-1.5 s, 0.03-0.08 g) about every 3 minutes. Movement in bed is mostly in light sleep and
///   around awakenings (e.g. Wilde-Frenz & Schulz 1983, Sleep 6:224; Muzet et al. 1972).
///
/// Sensor noise: 0.01 g per axis. The band's own quantisation (1/2048 g) is the firmware's.
struct WristMotion: Sendable {
    enum Activity: Sendable, Equatable {
        case inBed(SleepStage), still, walk(speed: Double), run(speed: Double)
    }

    /// How often the arm moves while still, by state: mean seconds between gestures or twitches,
    /// their amplitude (g) and length (s), and mean seconds between posture changes.
    struct Restlessness: Equatable {
        var gestureInterval: Double
        var gestureAmplitude: ClosedRange<Double>
        var gestureLength: ClosedRange<Double>
        var postureInterval: Double

        static func of(_ activity: Activity) -> Restlessness {
            switch activity {
            case .inBed(.wake): Restlessness(gestureInterval: 60, gestureAmplitude: 0.1...0.3, gestureLength: 2...5, postureInterval: 240)
            case .inBed(.light): Restlessness(gestureInterval: 480, gestureAmplitude: 0.05...0.15, gestureLength: 1...2, postureInterval: 3600)
            case .inBed(.deep): Restlessness(gestureInterval: 1800, gestureAmplitude: 0.05...0.15, gestureLength: 1...2, postureInterval: 7200)
            case .inBed(.rem): Restlessness(gestureInterval: 180, gestureAmplitude: 0.03...0.08, gestureLength: 0.5...1.5, postureInterval: .infinity)
            default: Restlessness(gestureInterval: 120, gestureAmplitude: 0.1...0.4, gestureLength: 2...5, postureInterval: .infinity)
            }
        }
    }

    private var random: ModelRandom
    /// The arm's gravity direction while still (unit vector in the band's axes).
    private var posture: (x: Double, y: Double, z: Double) = (-0.9, 0.1, 0.42)
    /// A movement burst in progress: its end, amplitude (g) and frequency (Hz).
    private var burst: (end: Double, amplitude: Double, frequency: Double, phase: Double)?
    private var nextGesture = 0.0
    private var nextPostureChange = 0.0
    private var lastTime = -Double.infinity
    /// The still state the next gesture and posture change were drawn for.
    private var restState: Activity?

    init(random: ModelRandom) {
        self.random = random
    }

    /// The reading at `time` (s), the person doing `activity`; their last left and right heel
    /// strikes (s, −1 before the first) and step frequency (Hz) pace the arm.
    mutating func sample(at time: Double, activity: Activity, lastLeftStrike: Double, lastStrike: Double,
                         stepFrequency: Double) -> (x: Double, y: Double, z: Double) {
        defer { lastTime = time }
        var reading: (x: Double, y: Double, z: Double)
        switch activity {
        case .walk(let speed), .run(let speed):
            burst = nil
            restState = nil
            let running = if case .run = activity { true } else { false }
            let amplitude = running ? 0.5 : min(max(0.25 * speed / 1.3, 0.1), 0.45)
            let length = running ? 0.35 : 0.6
            let bounce = running ? 1.0 : min(0.25 * (speed / 1.3) * (speed / 1.3), 0.6)
            let stride = max(stepFrequency, 0.5) / 2
            let omega = 2 * Double.pi * stride
            let phase = omega * (lastLeftStrike >= 0 ? time - lastLeftStrike : time)
            let theta = amplitude * sin(phase)
            let thetaRate = amplitude * omega * cos(phase)
            let thetaAcceleration = -amplitude * omega * omega * sin(phase)
            let up = (x: -cos(theta), y: sin(theta))
            let vertical = bounce * cos(2 * Double.pi * max(stepFrequency, 1) * (lastStrike >= 0 ? time - lastStrike : time))
            let g = 9.80665
            reading = (x: up.x * (1 + vertical) - length * thetaRate * thetaRate / g,
                       y: up.y * (1 + vertical) + length * thetaAcceleration / g,
                       z: 0.05 * sin(phase + 0.5))
            posture = (up.x, up.y, 0.05)
        case .still, .inBed:
            let rest = Restlessness.of(activity)
            func wait(_ mean: Double) -> Double { mean.isFinite ? random.exponential(mean: mean) : .infinity }
            if time < lastTime || !lastTime.isFinite || restState != activity {
                // The waits are exponential (memoryless): drawn afresh when the state changes.
                nextGesture = time + random.exponential(mean: rest.gestureInterval)
                nextPostureChange = time + wait(rest.postureInterval)
                if case .inBed(.wake) = activity, case .inBed(let stage) = restState, stage != .wake,
                   random.uniform() < 0.7 {
                    nextPostureChange = time
                }
                restState = activity
            }
            if burst.map({ time >= $0.end }) ?? false { burst = nil }
            if burst == nil, time >= nextGesture {
                burst = (time + random.uniform(rest.gestureLength), random.uniform(rest.gestureAmplitude),
                         random.uniform(1...3), random.uniform(0...6.28))
                nextGesture = time + random.exponential(mean: rest.gestureInterval)
            }
            if burst == nil, time >= nextPostureChange {
                // Turning over asleep is brief; getting settled awake takes longer.
                let asleep = if case .inBed(let stage) = activity { stage != .wake } else { false }
                burst = asleep
                    ? (time + random.uniform(2...4), random.uniform(0.2...0.5), random.uniform(0.5...1.5), random.uniform(0...6.28))
                    : (time + random.uniform(3...8), random.uniform(0.3...0.8), random.uniform(0.5...1.5), random.uniform(0...6.28))
                nextPostureChange = time + wait(rest.postureInterval)
                posture = Self.normalised((random.normal(), random.normal(), random.normal()))
            } else if activity == .still, time - lastTime > 0, time - lastTime < 1 {
                // Awake and still, the arm's posture drifts (about 0.1 rad a minute).
                let step = 0.013 * (time - lastTime).squareRoot()
                posture = Self.normalised((posture.x + step * random.normal(), posture.y + step * random.normal(),
                                           posture.z + step * random.normal()))
            }
            reading = posture
            if let burst {
                let wave = burst.amplitude * sin(2 * Double.pi * burst.frequency * time + burst.phase)
                reading = (reading.x + wave, reading.y + 0.7 * wave, reading.z - 0.5 * wave)
            }
        }
        return (reading.x + 0.01 * random.normal(), reading.y + 0.01 * random.normal(), reading.z + 0.01 * random.normal())
    }

    static func normalised(_ v: (Double, Double, Double)) -> (x: Double, y: Double, z: Double) {
        let norm = max((v.0 * v.0 + v.1 * v.1 + v.2 * v.2).squareRoot(), 1e-9)
        return (v.0 / norm, v.1 / norm, v.2 / norm)
    }
}
