#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An Ornstein–Uhlenbeck process (zero mean), updated exactly for any step: the building block of
/// the models' coloured noise (baseline wander, 1/f background, slow drifts).
struct HeartOrnsteinUhlenbeck: Sendable {
    /// Correlation time, seconds.
    var timeConstant: Double
    /// Stationary standard deviation.
    var standardDeviation: Double
    private(set) var value = 0.0

    init(timeConstant: Double, standardDeviation: Double) {
        self.timeConstant = timeConstant
        self.standardDeviation = standardDeviation
    }

    /// Starts from a draw of the stationary distribution, so a run has no warm-up transient.
    init(timeConstant: Double, standardDeviation: Double, random: inout ModelRandom) {
        self.init(timeConstant: timeConstant, standardDeviation: standardDeviation)
        value = standardDeviation * random.normal()
    }

    /// Exact discretisation: x' = x·a + σ·√(1 − a²)·N, a = e^(−dt/τ).
    @inline(__always)
    mutating func advance(by dt: Double, random: inout ModelRandom) -> Double {
        advance(using: step(dt), random: &random)
    }

    /// The constants of a step of `dt` seconds, for callers with a fixed step (a sample clock).
    func step(_ dt: Double) -> (decay: Double, innovation: Double) {
        let decay = exp(-dt / timeConstant)
        return (decay, standardDeviation * (1 - decay * decay).squareRoot())
    }

    @inline(__always)
    mutating func advance(using step: (decay: Double, innovation: Double), random: inout ModelRandom) -> Double {
        value = value * step.decay + step.innovation * random.normal()
        return value
    }
}
