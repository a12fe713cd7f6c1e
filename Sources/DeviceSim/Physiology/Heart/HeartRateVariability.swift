#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The size and shape of beat-to-beat variability at rest, and how exercise takes it away.
///
/// The RR spectrum follows the bimodal model of ECGSYN (McSharry, Clifford, Tarassenko & Smith
/// 2003, IEEE Trans Biomed Eng 50(3):289): a low-frequency line near 0.1 Hz (Mayer waves,
/// baroreflex) and a high-frequency line at the breathing rate (respiratory sinus arrhythmia), in
/// a chosen LF/HF power ratio. ECGSYN shapes each line as a Gaussian and draws the whole series at
/// once by inverse FFT; to stream beat by beat without buffers this model makes each line a
/// sinusoid whose phase diffuses (a Lorentzian line of half-width `lineHalfWidth`), adds a 1/f-like
/// background from three Ornstein–Uhlenbeck processes (τ = 4, 20, 100 s) and a little white
/// beat noise.
///
/// Resting powers default to the Task Force norms for 5-minute recordings (Task Force of the ESC
/// and NASPE 1996, Circulation 93:1043: LF 1170 ms², HF 975 ms², LF/HF 1.5–2.0), scaled down with
/// age and up with fitness. During exercise the amplitudes fall as e^(−k·h), h the fraction of
/// heart-rate reserve in use (vagal withdrawal: RMSSD falls to a few ms above ~60 % of reserve,
/// e.g. Tulppo et al. 1996, Am J Physiol 271:H244), and breathing speeds up.
public struct HeartRateVariabilityProfile: Sendable, Hashable {
    /// LF + HF power at rest, s².
    public var restingPower: Double
    /// Ratio of LF to HF power at rest (ECGSYN's `lfhfratio`).
    public var lfHfRatio: Double
    /// Centre of the low-frequency line, Hz.
    public var lowFrequency: Double
    /// Half-width at half maximum of each spectral line, Hz.
    public var lineHalfWidth: Double
    /// Breathing frequency at rest, Hz.
    public var restingRespirationRate: Double
    /// Breathing frequency at maximal effort, Hz.
    public var maximumRespirationRate: Double
    /// Power of the 1/f-like background at rest, s² (mostly below 0.04 Hz).
    public var backgroundPower: Double
    /// Standard deviation of the white beat-to-beat noise, s.
    public var beatNoise: Double
    /// e-folds of HF amplitude lost per unit fraction of heart-rate reserve (vagal withdrawal).
    public var highFrequencyWithdrawal: Double
    /// e-folds of LF and background amplitude lost per unit fraction of heart-rate reserve.
    public var lowFrequencyWithdrawal: Double

    /// Defaults for a persona: Task Force resting powers, ×e^(−(age − 30)/35) (HRV falls with age),
    /// ×(0.7 + 0.6·fitness).
    public init(persona: HeartPersona) {
        let ageFactor = min(exp(-(persona.age - 30) / 35), 1.5)
        let fitnessFactor = 0.7 + 0.6 * min(max(persona.fitness, 0), 1)
        restingPower = 2.0e-3 * ageFactor * fitnessFactor
        lfHfRatio = 1.5
        lowFrequency = 0.1
        lineHalfWidth = 0.01
        restingRespirationRate = 0.25
        maximumRespirationRate = 0.75
        backgroundPower = 0.6 * restingPower
        beatNoise = 0.002
        highFrequencyWithdrawal = 5
        lowFrequencyWithdrawal = 3.5
    }

    /// LF power at rest, s².
    public var lowFrequencyPower: Double { restingPower * lfHfRatio / (1 + lfHfRatio) }
    /// HF power at rest, s².
    public var highFrequencyPower: Double { restingPower / (1 + lfHfRatio) }
}

/// The running state of the variability: two phase-diffusing oscillators and the background.
struct HeartVariabilityGenerator: Sendable {
    var profile: HeartRateVariabilityProfile
    private(set) var lowFrequencyPhase: Double
    /// Also the breathing phase shared with the PPG (respiratory amplitude and baseline modulation).
    private(set) var respirationPhase: Double
    private(set) var respirationRate: Double
    private var background: (HeartOrnsteinUhlenbeck, HeartOrnsteinUhlenbeck, HeartOrnsteinUhlenbeck)
    private let lowFrequencyAmplitude: Double
    private let highFrequencyAmplitude: Double

    init(profile: HeartRateVariabilityProfile, random: inout ModelRandom) {
        self.profile = profile
        // A sinusoid of amplitude A has power A²/2.
        lowFrequencyAmplitude = (2 * max(profile.lowFrequencyPower, 0)).squareRoot()
        highFrequencyAmplitude = (2 * max(profile.highFrequencyPower, 0)).squareRoot()
        lowFrequencyPhase = random.uniform(0...(2 * .pi))
        respirationPhase = random.uniform(0...(2 * .pi))
        respirationRate = profile.restingRespirationRate
        // Equal variance per process, corner frequencies a factor 5 apart: roughly 1/f between
        // 0.0016 and 0.04 Hz.
        let sigma = (max(profile.backgroundPower, 0) / 3).squareRoot()
        background = (
            HeartOrnsteinUhlenbeck(timeConstant: 4, standardDeviation: sigma, random: &random),
            HeartOrnsteinUhlenbeck(timeConstant: 20, standardDeviation: sigma, random: &random),
            HeartOrnsteinUhlenbeck(timeConstant: 100, standardDeviation: sigma, random: &random)
        )
    }

    /// The RR modulation (s) now, at `reserveFraction` of heart-rate reserve in use, scaled for
    /// the sleep stage's autonomic balance.
    @inline(__always)
    mutating func modulation(reserveFraction h: Double, sleep: SleepHeartEffect = .awake,
                             random: inout ModelRandom) -> Double {
        let lowScale = exp(-profile.lowFrequencyWithdrawal * h)
        let highScale = exp(-profile.highFrequencyWithdrawal * h) * sleep.highFrequencyScale
        // RR lengthens in expiration: phase 0 is the start of inspiration, so −cos peaks mid-expiration.
        let lowFrequency = lowFrequencyAmplitude * sin(lowFrequencyPhase)
        let respiratory = -highFrequencyAmplitude * cos(respirationPhase)
        let slow = background.0.value + background.1.value + background.2.value
        return lowScale * (sleep.lowFrequencyScale * lowFrequency + sleep.backgroundScale * slow) + highScale * respiratory
            + profile.beatNoise * random.normal()
    }

    /// Advances the oscillators and the background by `dt` seconds.
    @inline(__always)
    mutating func advance(by dt: Double, reserveFraction h: Double, random: inout ModelRandom) {
        respirationRate = profile.restingRespirationRate
            + (profile.maximumRespirationRate - profile.restingRespirationRate) * min(max(h, 0), 1)
        // Phase diffusion D = 2π·HWHM (rad/s) gives a Lorentzian line of that half-width (Hz).
        let diffusion = (2 * (2 * .pi * profile.lineHalfWidth) * dt).squareRoot()
        lowFrequencyPhase = Self.wrap(lowFrequencyPhase + 2 * .pi * profile.lowFrequency * dt + diffusion * random.normal())
        respirationPhase = Self.wrap(respirationPhase + 2 * .pi * respirationRate * dt + diffusion * random.normal())
        _ = background.0.advance(by: dt, random: &random)
        _ = background.1.advance(by: dt, random: &random)
        _ = background.2.advance(by: dt, random: &random)
    }

    @inline(__always)
    static func wrap(_ phase: Double) -> Double {
        let turn = 2 * Double.pi
        return phase - turn * (phase / turn).rounded(.down)
    }
}
