#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A raw wrist photoplethysmogram in ADC counts, built from the heart's beats, for the
/// `gaitway-ppg` stream (Protocols/gaitway-ppg.yaml: unsigned 24-bit samples, one LED channel).
///
/// Each beat adds a pulse made of two Gaussians, the systolic wave and the later, broader
/// diastolic (reflected/dicrotic) wave (Tang, Chen, Ward & Elgendi 2020, "Synthetic
/// photoplethysmogram generation using two Gaussian functions", Sci Rep 10:13883), starting one
/// pulse arrival time after the beat, its widths scaled with the beat interval. On top:
///
/// - respiratory amplitude (RIAV) and baseline (RIIV) modulation at the heart's breathing phase;
/// - baseline wander (Ornstein–Uhlenbeck, τ = 20 s) and white sensor noise;
/// - motion artefacts scaled by `motion`: arm swing at half the step frequency with its second
///   harmonic, a random component (τ = 0.3 s) and a shift of the DC level (sensor pressure);
/// - premature beats eject less blood (smaller pulse), the beat after the pause more.
///
/// A raw reflective sensor sees *less* light when the arteries fill, so by default pulses go
/// down in counts (`invertsPulse`); analysis tools that look for upward systolic peaks must negate
/// the signal first.
///
/// Drive it by adding every beat whose time is not after the next sample's time, then taking the
/// sample; ``nextSample(heart:intensity:motion:stepFrequency:onBeat:)`` does exactly that at
/// `sampleRate`, and ``sample(at:motion:stepFrequency:)`` at any instant (a device's own clock).
/// Nothing allocates after `init`.
public struct PPGSynthesizer: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Samples per second (the stream's `sample_rate` field).
        public var sampleRate: Double
        /// Mean ADC level, counts.
        public var dcLevel: Double
        /// Pulse (AC) amplitude as a fraction of the DC level (perfusion index, ~0.5–2 % at the wrist).
        public var perfusionIndex: Double
        /// Diastolic wave height relative to the systolic one (lower with age and stiffer arteries).
        public var diastolicRatio: Double
        /// Seconds from the beat to the foot of its pulse at rest.
        public var pulseArrivalTime: Double
        /// Respiratory pulse-amplitude modulation depth (fraction).
        public var respiratoryAmplitudeModulation: Double
        /// Respiratory baseline modulation, fraction of the pulse amplitude.
        public var respiratoryBaselineModulation: Double
        /// Baseline wander, standard deviation as a fraction of the pulse amplitude.
        public var baselineWander: Double
        /// White sensor noise, standard deviation as a fraction of the pulse amplitude.
        public var noise: Double
        /// Motion artefact gain: at `motion` 1 the arm-swing artefact peaks near this fraction of the
        /// pulse amplitude, with random and pressure components of similar size. At the default
        /// 0.6, NeuroKit2's detector still finds every beat of a brisk walk (motion 0.4) and starts
        /// missing beats near motion 0.7, as wrist PPG does when running.
        public var motionArtefact: Double
        /// Pulses go down in counts (raw reflected light) when true.
        public var invertsPulse: Bool

        public init(sampleRate: Double = 50, dcLevel: Double = 1_000_000, perfusionIndex: Double = 0.01,
                    diastolicRatio: Double = 0.45, pulseArrivalTime: Double = 0.2,
                    respiratoryAmplitudeModulation: Double = 0.1, respiratoryBaselineModulation: Double = 0.15,
                    baselineWander: Double = 0.3, noise: Double = 0.02, motionArtefact: Double = 0.6,
                    invertsPulse: Bool = true) {
            self.sampleRate = sampleRate
            self.dcLevel = dcLevel
            self.perfusionIndex = perfusionIndex
            self.diastolicRatio = diastolicRatio
            self.pulseArrivalTime = pulseArrivalTime
            self.respiratoryAmplitudeModulation = respiratoryAmplitudeModulation
            self.respiratoryBaselineModulation = respiratoryBaselineModulation
            self.baselineWander = baselineWander
            self.noise = noise
            self.motionArtefact = motionArtefact
            self.invertsPulse = invertsPulse
        }
    }

    /// One beat's pulse, precomputed when the beat is added.
    struct Pulse: Sendable {
        var start = Double.infinity
        var end = -Double.infinity
        var systolicCentre = 0.0, systolicInverseWidth = 0.0, systolicHeight = 0.0
        var diastolicCentre = 0.0, diastolicInverseWidth = 0.0, diastolicHeight = 0.0

        @inline(__always)
        func value(at t: Double) -> Double {
            guard t >= start, t <= end else { return 0 }
            let x = (t - systolicCentre) * systolicInverseWidth
            let y = (t - diastolicCentre) * diastolicInverseWidth
            return systolicHeight * exp(-0.5 * x * x) + diastolicHeight * exp(-0.5 * y * y)
        }
    }

    public let configuration: Configuration
    /// Samples per second, at least 1 (a scenario's nonsense rate must not divide by zero).
    public let sampleRate: Double
    private var random: ModelRandom
    /// The last four pulses; a pulse lasts about one beat interval, so at most three overlap.
    private var pulses: (Pulse, Pulse, Pulse, Pulse) = (Pulse(), Pulse(), Pulse(), Pulse())
    private var nextSlot = 0
    private var wander: HeartOrnsteinUhlenbeck
    private var motionNoise: HeartOrnsteinUhlenbeck
    private var pressure: HeartOrnsteinUhlenbeck
    private let wanderStep: (decay: Double, innovation: Double)
    private let motionNoiseStep: (decay: Double, innovation: Double)
    private let pressureStep: (decay: Double, innovation: Double)
    private var armPhase = 0.0
    private var lastBeatTime = 0.0
    private var lastRespirationPhase = 0.0
    private var lastRespirationRate = 0.25
    private var pendingBeat: HeartBeat?
    /// Index of the next sample.
    public private(set) var sampleIndex: UInt64 = 0

    public init(configuration: Configuration = Configuration(), seed: UInt64) {
        self.configuration = configuration
        sampleRate = configuration.sampleRate.isFinite ? max(configuration.sampleRate, 1) : 1
        random = ModelRandom.heart(seed: seed, stream: 0x5050_4753_796E_7468)  // "PPGSynth"
        wander = HeartOrnsteinUhlenbeck(timeConstant: 20, standardDeviation: configuration.baselineWander,
                                        random: &random)
        motionNoise = HeartOrnsteinUhlenbeck(timeConstant: 0.3, standardDeviation: 0.5)
        pressure = HeartOrnsteinUhlenbeck(timeConstant: 3, standardDeviation: 1.0)
        armPhase = random.uniform(0...(2 * .pi))
        let dt = 1 / sampleRate
        wanderStep = wander.step(dt)
        motionNoiseStep = motionNoise.step(dt)
        pressureStep = pressure.step(dt)
    }

    /// Time of the next sample, seconds on the heart model's clock.
    public var nextSampleTime: Double { Double(sampleIndex) / sampleRate }

    private var pulseAmplitude: Double { configuration.dcLevel * configuration.perfusionIndex }

    /// Adds a beat's pulse. Beats must come in time order, and before any sample later than them.
    public mutating func add(_ beat: HeartBeat) {
        let scale = min(max(beat.rr, 0.3), 1.3)
        let strength: Double
        switch beat.kind {
        case .normal: strength = 1
        case .ectopic: strength = 0.55  // less diastolic filling (Frank–Starling)
        case .compensatory: strength = 1.25  // post-extrasystolic potentiation
        }
        let height = pulseAmplitude * strength
            * (1 + configuration.respiratoryAmplitudeModulation * sin(beat.respirationPhase))
        // Pulse arrival shortens as heart rate rises (higher pressure, stiffer arteries).
        let foot = beat.time + configuration.pulseArrivalTime * (0.75 + 0.25 * min(scale, 1))
        let systolicWidth = 0.055 * scale + 0.015
        let diastolicWidth = 0.12 * scale + 0.02
        var pulse = Pulse()
        pulse.systolicCentre = foot + 2.5 * systolicWidth
        pulse.systolicInverseWidth = 1 / systolicWidth
        pulse.systolicHeight = height
        pulse.diastolicCentre = foot + 0.42 * scale + 0.05
        pulse.diastolicInverseWidth = 1 / diastolicWidth
        pulse.diastolicHeight = height * configuration.diastolicRatio
        pulse.start = pulse.systolicCentre - 4 * systolicWidth
        pulse.end = pulse.diastolicCentre + 4 * diastolicWidth
        switch nextSlot {
        case 0: pulses.0 = pulse
        case 1: pulses.1 = pulse
        case 2: pulses.2 = pulse
        default: pulses.3 = pulse
        }
        nextSlot = (nextSlot + 1) & 3
        lastBeatTime = beat.time
        lastRespirationPhase = beat.respirationPhase
        lastRespirationRate = beat.respirationRate
    }

    /// The next sample in ADC counts (0 … 2²⁴ − 1).
    /// - Parameters:
    ///   - motion: 0 (still) … 1 (vigorous arm movement): scales the motion artefacts.
    ///   - stepFrequency: steps per second; the arm swings at half of it (0: no periodic artefact).
    public mutating func nextSample(motion: Double = 0, stepFrequency: Double = 0) -> UInt32 {
        sample(at: nextSampleTime, motion: motion, stepFrequency: stepFrequency)
    }

    /// The sample at `t` (seconds on the heart model's clock) in ADC counts, for a device that
    /// samples on its own clock: every beat up to `t` must have been added. The noise and
    /// artefact processes step once per sample, by the nominal `1 / sampleRate` (a drifting or
    /// jittering clock changes the interval by parts per million or milliseconds, which noise
    /// cannot show). Counts as one sample for ``nextSampleTime``.
    public mutating func sample(at t: Double, motion: Double = 0, stepFrequency: Double = 0) -> UInt32 {
        let dt = 1 / sampleRate
        sampleIndex &+= 1
        let amplitude = pulseAmplitude
        let pulse = pulses.0.value(at: t) + pulses.1.value(at: t) + pulses.2.value(at: t) + pulses.3.value(at: t)
        let breathing = lastRespirationPhase + 2 * .pi * lastRespirationRate * (t - lastBeatTime)
        var baseline = wander.advance(using: wanderStep, random: &random)
            + configuration.respiratoryBaselineModulation * sin(breathing)
            + configuration.noise * random.normal()
        let movement = motion.isFinite ? min(max(motion, 0), 2) : 0
        if movement > 0 {
            armPhase = HeartVariabilityGenerator.wrap(armPhase + .pi * max(stepFrequency, 0) * dt)
            let swing = stepFrequency > 0 ? sin(armPhase) + 0.4 * sin(2 * armPhase + 0.7) : 0
            baseline += movement * configuration.motionArtefact
                * (0.6 * swing + motionNoise.advance(using: motionNoiseStep, random: &random)
                    + pressure.advance(using: pressureStep, random: &random))
        }
        let signed = configuration.invertsPulse ? -pulse : pulse
        let counts = configuration.dcLevel + amplitude * baseline + signed
        return UInt32(min(max(counts.rounded(), 0), 16_777_215))
    }

    /// Takes beats from `heart` as the samples reach them, then returns the next sample.
    /// `onBeat` sees every beat once, in order (the ground truth to log).
    public mutating func nextSample(
        heart: inout HeartModel, intensity: Double, motion: Double = 0, stepFrequency: Double = 0,
        onBeat: (HeartBeat) -> Void = { _ in }
    ) -> UInt32 {
        let t = nextSampleTime
        while true {
            let beat = pendingBeat ?? heart.nextBeat(intensity: intensity)
            if beat.time > t {
                pendingBeat = beat
                break
            }
            pendingBeat = nil
            add(beat)
            onBeat(beat)
        }
        return nextSample(motion: motion, stepFrequency: stepFrequency)
    }
}
