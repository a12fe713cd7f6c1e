#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The heart models' seeded random source: SplitMix64 (Steele, Lea & Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014) plus Box–Muller normals.
///
/// One 64-bit word of state (plus a cached normal) keeps a device's models small; the `stream`
/// argument gives each model of one device its own sequence from the device's one seed, so adding
/// a model never shifts the numbers another one draws.
struct HeartRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private var spareNormal = 0.0
    private var hasSpareNormal = false

    init(seed: UInt64, stream: UInt64) {
        // Mix the stream id in through one SplitMix step so nearby seeds and streams decorrelate.
        state = seed
        state = Self.mix(seed ^ Self.mix(stream &+ 0x9E37_79B9_7F4A_7C15))
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1]: never 0, so `log` of it is finite.
    mutating func uniform() -> Double {
        Double((next() >> 11) &+ 1) * 0x1p-53
    }

    /// Uniform in `range`.
    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Standard normal (Box–Muller; the second value of each pair is kept for the next call).
    mutating func normal() -> Double {
        if hasSpareNormal {
            hasSpareNormal = false
            return spareNormal
        }
        let radius = (-2 * log(uniform())).squareRoot()
        let angle = 2 * Double.pi * uniform()
        spareNormal = radius * sin(angle)
        hasSpareNormal = true
        return radius * cos(angle)
    }

    /// Exponentially distributed waiting time with the given mean.
    mutating func exponential(mean: Double) -> Double {
        -mean * log(uniform())
    }
}

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
    init(timeConstant: Double, standardDeviation: Double, random: inout HeartRandom) {
        self.init(timeConstant: timeConstant, standardDeviation: standardDeviation)
        value = standardDeviation * random.normal()
    }

    /// Exact discretisation: x' = x·a + σ·√(1 − a²)·N, a = e^(−dt/τ).
    @inline(__always)
    mutating func advance(by dt: Double, random: inout HeartRandom) -> Double {
        advance(using: step(dt), random: &random)
    }

    /// The constants of a step of `dt` seconds, for callers with a fixed step (a sample clock).
    func step(_ dt: Double) -> (decay: Double, innovation: Double) {
        let decay = exp(-dt / timeConstant)
        return (decay, standardDeviation * (1 - decay * decay).squareRoot())
    }

    @inline(__always)
    mutating func advance(using step: (decay: Double, innovation: Double), random: inout HeartRandom) -> Double {
        value = value * step.decay + step.innovation * random.normal()
        return value
    }
}
