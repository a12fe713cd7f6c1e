/// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014; constants as in Vigna's `splitmix64.c`): a tiny seeded generator so that every
/// random test repeats exactly from the seed it prints.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64

    /// The first output is SplitMix64's from `seed` (seed 0 gives 0xE220A8397B1DCDAF).
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
