#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The physiology and firmware models' random source: ``SplitMix64`` with the distributions
/// the models draw from (uniforms that are never 0, Box–Muller normals, exponential waiting
/// times, a cheap rough normal for per-sample sensor noise).
///
/// One 64-bit word of state (plus a cached normal) keeps a device's models small; the `stream`
/// argument gives each model of one device its own sequence from the device's one seed.
struct ModelRandom: RandomNumberGenerator, Sendable {
    /// Where a uniform draw of the top 53 bits `k` lands, both conventions keeping 0 out so that
    /// `log` of a draw is finite. The heart models were calibrated with `(k + 1)·2⁻⁵³` in (0, 1],
    /// the gait model with the midpoint `(k + ½)·2⁻⁵³` in (0, 1); each keeps its own, so seeded
    /// runs (and the tests calibrated on them) stay the same bytes.
    enum UnitInterval: Sendable {
        /// (0, 1]: `(k + 1)·2⁻⁵³`.
        case excludingZero
        /// (0, 1): `(k + ½)·2⁻⁵³`.
        case open
    }

    private var source: SplitMix64
    private let interval: UnitInterval
    private var spareNormal = 0.0
    private var hasSpareNormal = false

    init(seed: UInt64, stream: UInt64, interval: UnitInterval) {
        source = SplitMix64(seed: seed, stream: stream)
        self.interval = interval
    }

    /// The heart, SpO2, skin-temperature, PPG and firmware models' convention: uniforms in (0, 1].
    static func heart(seed: UInt64, stream: UInt64) -> ModelRandom {
        ModelRandom(seed: seed, stream: stream, interval: .excludingZero)
    }

    /// The gait model's convention: uniforms in (0, 1).
    static func gait(seed: UInt64, stream: UInt64) -> ModelRandom {
        ModelRandom(seed: seed, stream: stream, interval: .open)
    }

    @inline(__always)
    mutating func next() -> UInt64 { source.next() }

    /// Uniform, never 0 (so `log` of it is finite); in (0, 1] or (0, 1) by ``UnitInterval``.
    mutating func uniform() -> Double {
        let k = Double(next() >> 11)
        switch interval {
        case .excludingZero: return (k + 1) * 0x1p-53
        case .open: return (k + 0.5) * 0x1p-53
        }
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

    /// A cheap, roughly normal value (sum of four 16-bit uniforms of one draw, scaled to unit
    /// variance) for per-sample sensor noise, where Box–Muller's `log` and `sin` would dominate
    /// the cost. Inlined: an IMU sample draws six.
    @inline(__always)
    mutating func roughNormal() -> Double {
        let bits = next()
        let a = Double(bits & 0xFFFF), b = Double((bits >> 16) & 0xFFFF)
        let c = Double((bits >> 32) & 0xFFFF), d = Double(bits >> 48)
        return ((a + b + c + d) * (1.0 / 65536.0) - 2.0) * 1.7320508075688772
    }
}
