/// Peripheral oxygen saturation as a pulse oximeter reports it: a personal baseline (95–99 %),
/// slow physiological wander, reading noise, optional desaturation events (as in sleep apnoea)
/// and the small fall some athletes show at maximal effort (exercise-induced arterial
/// hypoxaemia, Dempsey & Wagner 1999, J Appl Physiol 87:1997).
public struct SpO2Model: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Resting saturation, %; `nil` draws one from 96–99 %.
        public var baseline: Double?
        /// Standard deviation of the slow wander (τ = 60 s), %.
        public var wander: Double
        /// Standard deviation of the reading noise, %.
        public var noise: Double
        /// Mean number of desaturation events per hour (0: none).
        public var desaturationsPerHour: Double
        /// Depth of a desaturation, % below baseline.
        public var desaturationDepth: ClosedRange<Double>
        /// Duration of a desaturation, seconds.
        public var desaturationDuration: ClosedRange<Double>

        public init(baseline: Double? = nil, wander: Double = 0.4, noise: Double = 0.3,
                    desaturationsPerHour: Double = 0, desaturationDepth: ClosedRange<Double> = 4...10,
                    desaturationDuration: ClosedRange<Double> = 20...60) {
            self.baseline = baseline
            self.wander = wander
            self.noise = noise
            self.desaturationsPerHour = desaturationsPerHour
            self.desaturationDepth = desaturationDepth
            self.desaturationDuration = desaturationDuration
        }
    }

    public let configuration: Configuration
    public let baseline: Double
    private var random: ModelRandom
    private var drift: HeartOrnsteinUhlenbeck
    private var time = 0.0
    private var nextDesaturation = Double.infinity
    private var desaturationStart = 0.0
    private var desaturationLength = 0.0
    private var desaturationDepthNow = 0.0
    /// The last reading, %.
    public private(set) var saturation: Double

    public init(configuration: Configuration = Configuration(), seed: UInt64) {
        self.configuration = configuration
        random = ModelRandom.heart(seed: seed, stream: 0x5370_4F32)  // "SpO2"
        let drawn = random.uniform(96...99)  // drawn always, so the stream does not depend on the option
        baseline = min(max(configuration.baseline ?? drawn, 50), 100)
        drift = HeartOrnsteinUhlenbeck(timeConstant: 60, standardDeviation: configuration.wander, random: &random)
        saturation = baseline
        if configuration.desaturationsPerHour > 0 {
            nextDesaturation = random.exponential(mean: 3600 / configuration.desaturationsPerHour)
        }
    }

    /// True while a desaturation event is under way.
    public var isDesaturating: Bool { time >= desaturationStart && time < desaturationStart + desaturationLength }

    /// Advances by `dt` seconds and returns the new reading, %.
    public mutating func advance(by dt: Double, intensity: Double = 0) -> Double {
        guard dt > 0 else { return saturation }
        time += dt
        if time >= nextDesaturation {
            desaturationStart = nextDesaturation
            desaturationLength = random.uniform(configuration.desaturationDuration)
            desaturationDepthNow = random.uniform(configuration.desaturationDepth)
            nextDesaturation = desaturationStart + desaturationLength
                + random.exponential(mean: 3600 / configuration.desaturationsPerHour)
        }
        var value = baseline + drift.advance(by: dt, random: &random) + configuration.noise * random.normal()
        if isDesaturating {
            // Slow fall over 70 % of the event, faster recovery over the rest (oximeter traces of
            // apnoeas are saw-toothed this way).
            let u = (time - desaturationStart) / desaturationLength
            let shape = u < 0.7 ? u / 0.7 : (1 - u) / 0.3
            value -= desaturationDepthNow * shape
        }
        value -= 2 * max(min(intensity, 1) - 0.85, 0) / 0.15
        saturation = min(max(value, 50), 100)
        return saturation
    }
}
