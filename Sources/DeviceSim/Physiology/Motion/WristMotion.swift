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
/// - **Asleep**: the posture held for long spells, changed (a 3-8 s burst, then a new posture)
///   about every 30 minutes, and small twitches (a 1-2 s burst of 0.05-0.15 g) about every
///   10 minutes.
///
/// Sensor noise: 0.01 g per axis. The band's own quantisation (1/2048 g) is the firmware's.
struct WristMotion: Sendable {
    enum Activity: Sendable, Equatable {
        case sleep, still, walk(speed: Double), run(speed: Double)
    }

    private var random: ModelRandom
    /// The arm's gravity direction while still (unit vector in the band's axes).
    private var posture: (x: Double, y: Double, z: Double) = (-0.9, 0.1, 0.42)
    /// A movement burst in progress: its end, amplitude (g) and frequency (Hz).
    private var burst: (end: Double, amplitude: Double, frequency: Double, phase: Double)?
    private var nextGesture = 0.0
    private var nextPostureChange = 0.0
    private var lastTime = -Double.infinity

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
        case .still, .sleep:
            let asleep = activity == .sleep
            if time < lastTime || !lastTime.isFinite {
                nextGesture = time + random.exponential(mean: asleep ? 600 : 120)
                nextPostureChange = time + random.exponential(mean: 1800)
            }
            if burst.map({ time >= $0.end }) ?? false { burst = nil }
            if burst == nil, time >= nextGesture {
                burst = asleep
                    ? (time + random.uniform(1...2), random.uniform(0.05...0.15), random.uniform(1...3), random.uniform(0...6.28))
                    : (time + random.uniform(2...5), random.uniform(0.1...0.4), random.uniform(1...3), random.uniform(0...6.28))
                nextGesture = time + random.exponential(mean: asleep ? 600 : 120)
            }
            if asleep, burst == nil, time >= nextPostureChange {
                burst = (time + random.uniform(3...8), random.uniform(0.3...0.8), random.uniform(0.5...1.5), random.uniform(0...6.28))
                nextPostureChange = time + random.exponential(mean: 1800)
                posture = Self.normalised((random.normal(), random.normal(), random.normal()))
            } else if !asleep, time - lastTime > 0, time - lastTime < 1 {
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
