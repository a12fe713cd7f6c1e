#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What a sleep stage does to the heart, relative to quiet wakefulness: mean rate and the size of
/// each part of the variability (``HeartVariabilityGenerator``).
///
/// - Heart rate falls through NREM sleep, lowest in slow-wave (deep) sleep, and comes back to
///   near waking levels in REM, with surges (Trinder et al. 2001, J Sleep Res 10:253; Somers et al.
///   1993, N Engl J Med 328:303): here 0.93 of the waking resting rate in light sleep, 0.88 in
///   deep sleep, 0.97 in REM.
/// - Vagal (HF, respiratory) modulation grows and LF/HF falls in NREM, most in deep sleep; in REM
///   LF/HF is at waking levels or above and the rate wanders (Bonnet & Arand 1997,
///   Electroencephalogr Clin Neurophysiol 102:390). Heart-rate fluctuations are least correlated
///   in deep sleep (DFA α near 0.6) and most in REM (near 1; Penzel et al. 2003, IEEE Trans Biomed
///   Eng 50:1143): the slow background scales 0.5 in deep sleep, 0.8 in light sleep, 1.6 in REM.
///
/// The factors change smoothly between stages (first order, 60 s), as the autonomic balance does.
struct SleepHeartEffect: Sendable, Hashable {
    /// Mean heart rate as a fraction of the waking resting rate.
    var rateFactor: Double
    var lowFrequencyScale: Double
    var highFrequencyScale: Double
    var backgroundScale: Double

    static let awake = SleepHeartEffect(rateFactor: 1, lowFrequencyScale: 1, highFrequencyScale: 1, backgroundScale: 1)

    static func of(_ stage: SleepStage) -> SleepHeartEffect {
        switch stage {
        case .wake: .awake
        case .light: SleepHeartEffect(rateFactor: 0.93, lowFrequencyScale: 0.8, highFrequencyScale: 1.2, backgroundScale: 0.8)
        case .deep: SleepHeartEffect(rateFactor: 0.88, lowFrequencyScale: 0.4, highFrequencyScale: 1.5, backgroundScale: 0.5)
        case .rem: SleepHeartEffect(rateFactor: 0.97, lowFrequencyScale: 1.3, highFrequencyScale: 0.8, backgroundScale: 1.6)
        }
    }

    /// Moves towards `target` over `dt` seconds.
    mutating func relax(toward target: SleepHeartEffect, by dt: Double) {
        guard self != target else { return }
        let keep = exp(-dt / 60)
        rateFactor = target.rateFactor + (rateFactor - target.rateFactor) * keep
        lowFrequencyScale = target.lowFrequencyScale + (lowFrequencyScale - target.lowFrequencyScale) * keep
        highFrequencyScale = target.highFrequencyScale + (highFrequencyScale - target.highFrequencyScale) * keep
        backgroundScale = target.backgroundScale + (backgroundScale - target.backgroundScale) * keep
    }
}
