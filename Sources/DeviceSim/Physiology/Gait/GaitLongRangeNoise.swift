#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Unit-variance noise with a 1/f^β spectrum over about three decades, one value per stride:
/// the long-range correlated stride-to-stride fluctuations of human walking.
///
/// Healthy stride times are not white: detrended fluctuation analysis (DFA) gives
/// α ≈ 0.75–1.0 over 16–500 strides, and α drops towards 0.5 (uncorrelated) with age,
/// Parkinson's and Huntington's disease (Hausdorff et al., J Appl Physiol 78:349, 1995;
/// 80:1448, 1996; Hausdorff, Chaos 19:026113, 2009). For fractional Gaussian noise
/// α ≈ H and the spectrum goes as 1/f^β with β = 2α − 1.
///
/// The generator sums AR(1) processes whose time constants are spaced by 2 (1, 2, 4, …,
/// 2048 strides). A Lorentzian of time constant τ and variance σ² has power ≈ 2σ²τ up to
/// f ≈ 1/(2πτ) and falls as f⁻² above; weighting σ²ᵢ ∝ τᵢ^(β−1) makes the sum ∝ f^−β between
/// the shortest and the longest time constant (the classic superposition of relaxation
/// processes, e.g. Keshner, Proc IEEE 70:212, 1982). Fixed size, no allocation, one normal
/// per scale per value.
struct GaitLongRangeNoise: Sendable {
    static let scales = 12
    private var states: InlineArray<12, Double>
    private var coefficients: InlineArray<12, Double>
    private var innovations: InlineArray<12, Double>
    /// Weight of an added white term, which makes α = 0.5 exactly reachable.
    private var white: Double

    /// - Parameter alpha: target DFA exponent, clamped to 0.5...1.2.
    init(alpha: Double, random: inout ModelRandom) {
        let clamped = min(max(alpha, 0.5), 1.2)
        let beta = 2 * clamped - 1
        states = .init(repeating: 0)
        coefficients = .init(repeating: 0)
        innovations = .init(repeating: 0)
        var variances = InlineArray<12, Double>(repeating: 0)
        var total = 0.0
        for i in 0..<Self.scales {
            let tau = Double(1 << i)
            let variance = pow(tau, beta - 1)
            variances[i] = variance
            total += variance
        }
        // Near α = 0.5 the f^-β shape is flat, so a plain white term carries most of the power.
        let whiteShare = max(0, 1 - beta / 0.3)
        white = whiteShare.squareRoot()
        let scale = (1 - whiteShare) / total
        for i in 0..<Self.scales {
            let phi = exp(-1 / Double(1 << i))
            let variance = variances[i] * scale
            coefficients[i] = phi
            innovations[i] = (variance * (1 - phi * phi)).squareRoot()
            // Start in the stationary distribution, so the first strides are not special.
            states[i] = variance.squareRoot() * random.normal()
        }
    }

    /// The next value (mean 0, variance 1).
    mutating func next(_ random: inout ModelRandom) -> Double {
        var sum = white * random.normal()
        for i in 0..<Self.scales {
            let value = coefficients[i] * states[i] + innovations[i] * random.normal()
            states[i] = value
            sum += value
        }
        return sum
    }
}
