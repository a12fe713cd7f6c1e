/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; constants as in Vigna's reference `splitmix64.c`): the one seeded random source
/// of the simulator. One 64-bit word of state, advanced by the golden-ratio increment γ and
/// passed through a 64-bit finaliser (David Stafford's "Mix13" variant of MurmurHash3's
/// `fmix64`), so a run with the same seed and the same host traffic gives the same bytes.
///
/// Every generator of the simulator is this one: the virtual controller's (radio loss,
/// advertising delay), the physiology and firmware models' through ``ModelRandom``, and the
/// stateless seed derivations of ``ScenarioRandom`` through ``mix(_:)``.
struct SplitMix64: RandomNumberGenerator, Sendable {
    /// γ = 2⁶⁴/φ rounded to odd, the state increment of the paper.
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    private var state: UInt64

    /// Starts from `state` as it is: the first output is `mix(state + γ)`.
    init(state: UInt64) { self.state = state }

    /// One generator per model of a device from the device's one seed: the `stream` id goes
    /// through one SplitMix step before it is combined with the seed, so nearby seeds and
    /// streams decorrelate and adding a model never shifts the numbers another one draws.
    init(seed: UInt64, stream: UInt64) {
        state = Self.mix(seed ^ Self.mix(stream &+ Self.increment))
    }

    mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// The output function: a bijection of 64-bit words with full avalanche.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1): the top 53 bits as a double's mantissa.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lower, upper).
    mutating func uniform(_ lower: Double, _ upper: Double) -> Double { lower + (upper - lower) * unit() }
}
