#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The gait model's seeded random source: SplitMix64 (Steele, Lea & Flood, "Fast splittable
/// pseudorandom number generators", OOPSLA 2014) with Box–Muller normals.
///
/// A copy of the heart model's generator under its own name, so the two folders could be written
/// at the same time; the `stream` keeps the gait draws apart from any other model fed by the
/// same device seed.
struct GaitRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private var spareNormal = 0.0
    private var hasSpareNormal = false

    init(seed: UInt64, stream: UInt64) {
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

    /// Uniform in (0, 1): never 0, so `log` is safe.
    mutating func uniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
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

    /// Exponentially distributed with the given mean.
    mutating func exponential(mean: Double) -> Double {
        -mean * log(uniform())
    }

    /// A cheap, roughly normal value (sum of four uniforms, unit variance) for per-sample
    /// sensor noise, where Box–Muller's `log` and `sin` would dominate the cost. Inlined:
    /// an IMU sample draws six.
    @inline(__always)
    mutating func roughNormal() -> Double {
        let bits = next()
        let a = Double(bits & 0xFFFF), b = Double((bits >> 16) & 0xFFFF)
        let c = Double((bits >> 32) & 0xFFFF), d = Double(bits >> 48)
        return ((a + b + c + d) * (1.0 / 65536.0) - 2.0) * 1.7320508075688772
    }
}
