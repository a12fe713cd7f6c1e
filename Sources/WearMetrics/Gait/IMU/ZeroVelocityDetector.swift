/// The SHOE (stance hypothesis optimal estimation) zero-velocity detector of Skog, Händel,
/// Nilsson and Rantakokko, "Zero-velocity detection — an algorithm evaluation", IEEE Trans
/// Biomed Eng 57(11):2657–2666, 2010, eq. (12):
///
///     T = 1/W · Σ_{k in window} ( ‖a_k − g·ā/‖ā‖‖² / σ_a² + ‖ω_k‖² / σ_ω² )
///
/// with ā the window's mean specific force. The foot is at rest (zero velocity) while T < γ.
/// The window is causal here (the W samples up to the current one), so the decision lags the
/// paper's centred window by (W−1)/2 samples; the integrator accepts that (a stance lasts
/// tens of samples).
///
/// Defaults: W = 5 samples, σ_a = 0.2 m/s², σ_ω = 0.2 rad/s, γ = 3 (so T < 3 ≈ the mean
/// sample within about 0.35 m/s² of gravity and 0.35 rad/s of rest). Skog et al. tune σ and γ
/// to a tactical-grade IMU (OpenShoe: σ_a = 0.01 m/s², σ_ω = 0.1 °/s, γ = 3·10⁵); a shoe's
/// consumer MEMS IMU is noisier, so these are wider; they are parameters.
///
/// Allocation-free per sample: the window is a ring allocated once.
public struct ZeroVelocityDetector: Sendable {
    public struct Parameters: Sendable, Equatable {
        public var windowLength: Int
        public var accelerationNoise: Double
        public var angularRateNoise: Double
        public var threshold: Double

        public init(windowLength: Int = 5, accelerationNoise: Double = 0.2,
                    angularRateNoise: Double = 0.2, threshold: Double = 3) {
            self.windowLength = max(1, windowLength)
            self.accelerationNoise = accelerationNoise
            self.angularRateNoise = angularRateNoise
            self.threshold = threshold
        }
    }

    public let parameters: Parameters
    private var accelerations: [SIMD3<Double>]
    private var angularRates: [SIMD3<Double>]
    private var next = 0
    private var filled = 0
    /// The last test statistic T.
    public private(set) var statistic = Double.infinity

    public init(parameters: Parameters = .init()) {
        self.parameters = parameters
        accelerations = Array(repeating: .zero, count: parameters.windowLength)
        angularRates = Array(repeating: .zero, count: parameters.windowLength)
    }

    /// Feeds one sample; returns whether the foot is at rest (T < γ). Until the window is
    /// full the answer is `false`.
    public mutating func isStationary(after sample: FootIMUSample) -> Bool {
        let w = parameters.windowLength
        accelerations[next] = sample.acceleration
        angularRates[next] = sample.angularRate
        next = (next + 1) % w
        filled = min(filled + 1, w)
        guard filled == w else { statistic = .infinity; return false }
        var mean = SIMD3<Double>.zero
        for a in accelerations { mean += a }
        mean /= Double(w)
        let norm = (mean * mean).sum().squareRoot()
        guard norm > 0 else { statistic = .infinity; return false }
        let gravity = mean * (standardGravity / norm)
        let invA = 1 / (parameters.accelerationNoise * parameters.accelerationNoise)
        let invW = 1 / (parameters.angularRateNoise * parameters.angularRateNoise)
        var sum = 0.0
        for k in 0..<w {
            let d = accelerations[k] - gravity
            sum += (d * d).sum() * invA + (angularRates[k] * angularRates[k]).sum() * invW
        }
        statistic = sum / Double(w)
        return statistic < parameters.threshold
    }

    /// Forgets the window (after a gap in the samples).
    public mutating func reset() {
        filled = 0
        next = 0
        statistic = .infinity
    }
}
