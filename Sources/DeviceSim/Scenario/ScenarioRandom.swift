#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The seed derivations of scenario resolution (documented in `Simulators/README.md`,
/// "Determinism"): every seed and every drawn value is a pure function of the scenario seed and
/// a name, so adding a persona, a field or a variation never changes the draws of the others.
enum ScenarioRandom {
    /// SplitMix64's first output from state `z`: its output function applied to `z + γ`.
    static func splitmix(_ z: UInt64) -> UInt64 { SplitMix64.mix(z &+ SplitMix64.increment) }

    /// `mix(a, b) = splitmix(a XOR splitmix(b))`.
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 { splitmix(a ^ splitmix(b)) }

    static func mix(_ a: UInt64, _ name: String) -> UInt64 { mix(a, fnv1a(name)) }

    /// FNV-1a, 64 bits, over the UTF-8 bytes.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// A uniform number in (0, 1) from a stream seed and a draw index.
    static func uniform(_ stream: UInt64, _ index: UInt64) -> Double {
        (Double(mix(stream, index) >> 11) + 0.5) * 0x1p-53
    }

    /// A standard normal number (Box–Muller on draws 0 and 1 of the stream).
    static func normal(_ stream: UInt64) -> Double {
        let u1 = uniform(stream, 0), u2 = uniform(stream, 1)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

/// A number in a scenario file: fixed, or varied across the people made from one persona.
struct Varied: Sendable {
    enum Form: Sendable, Equatable {
        case fixed(Double)
        /// Normal, clamped to the field's range.
        case normal(mean: Double, sd: Double)
        /// Uniform in `min...max`.
        case uniform(min: Double, max: Double)
    }

    var form: Form
    /// The field's allowed range, which draws are clamped to.
    var range: ClosedRange<Double>

    /// The smallest value a draw can give (for load-time timeline checks).
    var lowest: Double {
        switch form {
        case let .fixed(value): value
        case .normal: range.lowerBound
        case let .uniform(min, _): min
        }
    }

    /// The value for one person: `stream` is `mix(person or device seed, field path)`.
    func value(_ stream: UInt64) -> Double {
        switch form {
        case let .fixed(value):
            return value
        case let .normal(mean, sd):
            let value = mean + sd * ScenarioRandom.normal(stream)
            return min(max(value, range.lowerBound), range.upperBound)
        case let .uniform(low, high):
            return low + (high - low) * ScenarioRandom.uniform(stream, 0)
        }
    }
}
