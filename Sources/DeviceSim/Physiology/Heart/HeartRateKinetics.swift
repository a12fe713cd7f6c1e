#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How mean heart rate follows activity: a two-compartment model of autonomic control.
///
/// Activity intensity `I` (0 rest … 1 maximal) sets a demand `D = I` as a fraction of heart-rate
/// reserve, because %HRR tracks %VO2 reserve almost one to one (Swain & Leutholtz 1997,
/// Med Sci Sports Exerc 29:410). The demand is split between
///
/// - a **vagal** compartment `v` (target `min(D, φ)`, φ ≈ 0.25): the low part of the range, where
///   heart rate rises by vagal withdrawal, and
/// - a **sympathetic** compartment `s` (target `max(D − φ, 0)`): the rest, sympathetic drive and
///   circulating catecholamines.
///
/// Each relaxes to its target at first order, `dx/dt = (x* − x)/τ`, integrated exactly per beat:
///
/// - **On** (target above state), both compartments use the onset time constant τ_on
///   (30–60 s in moderate exercise, shorter for the fit, slowed by up to 40 % above 60 % of reserve
///   where a slow component appears), so a step in intensity gives the first-order-like rise the
///   kinetics literature fits (Stirling, Zakynthinaki, Refoyo & Sampedro 2008, J Nonlinear Math
///   Phys 15(S3):426; Zakynthinaki 2015, PLoS ONE 10(4):e0118263).
/// - **Off**, the vagal compartment comes back fast (τ_fast 20–40 s: the parasympathetic
///   reactivation of the first minute of recovery, Imai et al. 1994, J Am Coll Cardiol 24:1529)
///   and the sympathetic one slowly (τ_slow 150–300 s: sympathetic withdrawal and metabolite
///   clearance; Peçanha et al. 2017, Int J Cardiol 227:795, review of the two recovery phases).
///
/// HR = HR_rest + (HR_max − HR_rest)·(v + s).
///
/// This is not the nonlinear ODE of Stirling et al. but a linear two-compartment stand-in with the
/// same observable features (first-order onset, biphasic recovery), chosen because it updates in
/// closed form with two `exp` per beat.
public struct HeartRateKinetics: Sendable, Hashable {
    /// Seconds to 63 % of a step up in intensity (moderate exercise).
    public var onsetTimeConstant: Double
    /// Share of the heart-rate reserve under fast vagal control.
    public var vagalShare: Double
    /// Seconds: the fast (vagal reactivation) phase of recovery.
    public var fastRecoveryTimeConstant: Double
    /// Seconds: the slow (sympathetic withdrawal) phase of recovery.
    public var slowRecoveryTimeConstant: Double

    /// Vagal withdrawal, as a fraction of heart-rate reserve (0 … `vagalShare`).
    public private(set) var vagal = 0.0
    /// Sympathetic drive, as a fraction of heart-rate reserve (0 … 1 − `vagalShare`).
    public private(set) var sympathetic = 0.0

    /// Defaults scaled by fitness: τ_on 60 → 30 s, τ_fast 40 → 20 s, τ_slow 300 → 150 s.
    public init(persona: HeartPersona) {
        let fitness = min(max(persona.fitness, 0), 1)
        onsetTimeConstant = 60 - 30 * fitness
        vagalShare = 0.25
        fastRecoveryTimeConstant = 40 - 20 * fitness
        slowRecoveryTimeConstant = 300 - 150 * fitness
    }

    /// Fraction of heart-rate reserve in use now, 0 … 1.
    public var reserveFraction: Double { vagal + sympathetic }

    /// Starts at the steady state of `intensity` (a scenario that opens mid-run).
    public mutating func settle(intensity: Double) {
        let demand = min(max(intensity, 0), 1)
        vagal = min(demand, vagalShare)
        sympathetic = max(demand - vagalShare, 0)
    }

    /// Advances the state by `dt` seconds at a constant `intensity`.
    public mutating func advance(by dt: Double, intensity: Double) {
        guard dt > 0 else { return }
        let demand = intensity.isFinite ? min(max(intensity, 0), 1) : 0
        let vagalTarget = min(demand, vagalShare)
        let sympatheticTarget = max(demand - vagalShare, 0)
        // Above ~60 % of reserve a slow component lengthens the response (the VO2 slow component).
        let onset = onsetTimeConstant * (1 + max(demand - 0.6, 0))
        let vagalTau = vagalTarget >= vagal ? onset : fastRecoveryTimeConstant
        let sympatheticTau = sympatheticTarget >= sympathetic ? onset : slowRecoveryTimeConstant
        vagal = vagalTarget + (vagal - vagalTarget) * exp(-dt / max(vagalTau, 0.1))
        sympathetic = sympatheticTarget + (sympathetic - sympatheticTarget) * exp(-dt / max(sympatheticTau, 0.1))
    }
}
