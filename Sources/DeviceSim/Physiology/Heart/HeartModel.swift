/// A simulated heart: beats whose mean rate follows activity (``HeartRateKinetics``), whose
/// intervals vary like a real sinus rhythm (``HeartRateVariabilityProfile``), with optional
/// ectopic beats.
///
/// Deterministic for a seed; each beat costs a few `exp`/`sin` and about eight normal draws, and
/// allocates nothing.
///
/// ```swift
/// var heart = HeartModel(persona: HeartPersona(age: 40, fitness: 0.6), seed: 7)
/// let beat = heart.nextBeat(intensity: 0.3)   // beat.time, beat.rr, beat.kind
/// ```
///
/// Each interval is drawn at the start of the sinus cycle (integral-pulse-frequency-modulation
/// style, sampled once per cycle): RR = 60/HR(t) + m(t), where HR(t) comes from the kinetics and
/// m(t) from the variability generator; then the state advances by RR under the given intensity.
public struct HeartModel: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var persona: HeartPersona
        public var kinetics: HeartRateKinetics
        public var variability: HeartRateVariabilityProfile
        /// Probability that a beat is premature (ectopic); each one is followed by a compensatory
        /// pause. 0.001 is about one per 15 minutes at rest.
        public var ectopicBeatProbability: Double
        /// Coupling interval of an ectopic beat, as a fraction of the sinus interval it interrupts.
        public var ectopicPrematurity: ClosedRange<Double>

        public init(persona: HeartPersona = HeartPersona()) {
            self.persona = persona
            kinetics = HeartRateKinetics(persona: persona)
            variability = HeartRateVariabilityProfile(persona: persona)
            ectopicBeatProbability = 0
            ectopicPrematurity = 0.55...0.75
        }
    }

    public let configuration: Configuration
    public private(set) var kinetics: HeartRateKinetics
    private var variability: HeartVariabilityGenerator
    private var random: ModelRandom
    /// A stream of its own, so turning ectopic beats on does not change the sinus rhythm.
    private var ectopicRandom: ModelRandom
    /// When the sinus node last fired (hidden behind an ectopic beat or not).
    private var sinusTime = 0.0
    /// Time of the last beat returned.
    public private(set) var time = 0.0
    private var compensationPending = false
    /// The sleep stage the person is in (nil awake): set before each beat by whoever drives the
    /// model; its effect on rate and variability follows it smoothly (``SleepHeartEffect``).
    public var sleepStage: SleepStage?
    /// The resting rate's slow fall through a night, as a factor (1 awake): heart rate declines
    /// across the night by several beats per minute, whatever the stage (Trinder et al. 2001).
    public var nocturnalRateTrend = 1.0
    private var sleepEffect = SleepHeartEffect.awake

    public init(configuration: Configuration, seed: UInt64, initialIntensity: Double = 0) {
        self.configuration = configuration
        kinetics = configuration.kinetics
        kinetics.settle(intensity: initialIntensity)
        random = ModelRandom.heart(seed: seed, stream: 0x4845_4152_5442_4541)  // "HEARTBEA"
        ectopicRandom = ModelRandom.heart(seed: seed, stream: 0x4543_544F_5049_4300)  // "ECTOPIC"
        variability = HeartVariabilityGenerator(profile: configuration.variability, random: &random)
    }

    public init(persona: HeartPersona = HeartPersona(), seed: UInt64) {
        self.init(configuration: Configuration(persona: persona), seed: seed)
    }

    /// Mean heart rate now (the kinetics, without beat-to-beat variability), beats per minute.
    public var heartRate: Double {
        configuration.persona.restingHeartRate * sleepEffect.rateFactor * nocturnalRateTrend
            + configuration.persona.heartRateReserve * kinetics.reserveFraction
    }

    /// Breathing frequency now, Hz.
    public var respirationRate: Double { variability.respirationRate }
    /// Respiratory phase now, radians; 0 is the start of inspiration.
    public var respirationPhase: Double { variability.respirationPhase }

    /// The next beat, with `intensity` (0 rest … 1 maximal) held until it.
    public mutating func nextBeat(intensity: Double) -> HeartBeat {
        if compensationPending {
            compensationPending = false
            sinusTime += sinusCycle(intensity: intensity)
            return emit(at: sinusTime, kind: .compensatory)
        }
        let probability = configuration.ectopicBeatProbability
        if probability > 0, ectopicRandom.uniform() <= probability {
            let cycle = sinusCycle(intensity: intensity)
            let prematurity = ectopicRandom.uniform(configuration.ectopicPrematurity)
            // The sinus beat at sinusTime + cycle still happens but is hidden (refractory), so the
            // next visible beat completes two sinus cycles: the full compensatory pause.
            let ectopicTime = sinusTime + min(max(prematurity, 0.3), 0.95) * cycle
            sinusTime += cycle
            compensationPending = true
            return emit(at: ectopicTime, kind: .ectopic)
        }
        sinusTime += sinusCycle(intensity: intensity)
        return emit(at: sinusTime, kind: .normal)
    }

    /// Carries on from a beat at `beatTime` that came from elsewhere (the last of a replayed
    /// RR series): the next beat follows it by an interval drawn from the state then, with
    /// the heart-rate kinetics relaxed towards `intensity` over the time the model sat out.
    public mutating func resume(after beatTime: Double, intensity: Double) {
        kinetics.advance(by: beatTime - sinusTime, intensity: intensity)
        sinusTime = beatTime
        time = beatTime
        compensationPending = false
    }

    /// Draws one sinus interval from the state now, then advances the state by it.
    private mutating func sinusCycle(intensity: Double) -> Double {
        let h = kinetics.reserveFraction
        let meanInterval = 60 / heartRate
        let modulation = variability.modulation(reserveFraction: h, sleep: sleepEffect, random: &random)
        let interval = min(max(meanInterval + modulation, 0.25), 2.5)
        kinetics.advance(by: interval, intensity: intensity)
        sleepEffect.relax(toward: sleepStage.map(SleepHeartEffect.of) ?? .awake, by: interval)
        variability.advance(by: interval, reserveFraction: kinetics.reserveFraction, random: &random)
        return interval
    }

    private mutating func emit(at beatTime: Double, kind: HeartBeat.Kind) -> HeartBeat {
        let rr = beatTime - time
        time = beatTime
        // The breathing state was advanced to sinusTime; step the phase back for an earlier beat.
        let phase = HeartVariabilityGenerator.wrap(
            variability.respirationPhase - 2 * .pi * variability.respirationRate * (sinusTime - beatTime))
        return HeartBeat(time: beatTime, rr: rr, kind: kind, respirationPhase: phase,
                         respirationRate: variability.respirationRate)
    }
}
