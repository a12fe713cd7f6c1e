#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Skin temperature under a wristband: a personal baseline (32–35 °C) with slow drift, and a
/// two-phase response to activity: a prompt fall as skin vessels constrict at the start of
/// exercise, then a slower rise as the body sheds heat (Torii et al. 1992, Br J Sports Med 26:29,
/// "Fall in skin temperature of exercising man"). Both phases are first-order lags.
public struct SkinTemperatureModel: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Resting skin temperature, °C; `nil` draws one from 32.5–34.5 °C.
        public var baseline: Double?
        /// Standard deviation of the slow drift (τ = 30 min), °C.
        public var drift: Double
        /// Fall at full intensity from vasoconstriction, °C, and its time constant, s.
        public var vasoconstriction: Double
        public var vasoconstrictionTimeConstant: Double
        /// Rise at full intensity from heat dissipation, °C, and its time constant, s.
        public var heating: Double
        public var heatingTimeConstant: Double
        /// Sensor noise, °C.
        public var noise: Double

        public init(baseline: Double? = nil, drift: Double = 0.3, vasoconstriction: Double = 0.8,
                    vasoconstrictionTimeConstant: Double = 120, heating: Double = 2.0,
                    heatingTimeConstant: Double = 900, noise: Double = 0.02) {
            self.baseline = baseline
            self.drift = drift
            self.vasoconstriction = vasoconstriction
            self.vasoconstrictionTimeConstant = vasoconstrictionTimeConstant
            self.heating = heating
            self.heatingTimeConstant = heatingTimeConstant
            self.noise = noise
        }
    }

    public let configuration: Configuration
    public let baseline: Double
    private var random: ModelRandom
    private var slowDrift: HeartOrnsteinUhlenbeck
    private var constriction = 0.0
    private var heat = 0.0
    /// The last reading, °C.
    public private(set) var temperature: Double

    public init(configuration: Configuration = Configuration(), seed: UInt64) {
        self.configuration = configuration
        random = ModelRandom.heart(seed: seed, stream: 0x536B_696E_5465_6D70)  // "SkinTemp"
        let drawn = random.uniform(32.5...34.5)  // drawn always, so the stream does not depend on the option
        baseline = configuration.baseline ?? drawn
        slowDrift = HeartOrnsteinUhlenbeck(timeConstant: 1800, standardDeviation: configuration.drift, random: &random)
        temperature = baseline
    }

    /// Advances by `dt` seconds at `intensity` (0 … 1) and returns the new reading, °C.
    public mutating func advance(by dt: Double, intensity: Double) -> Double {
        guard dt > 0 else { return temperature }
        let load = intensity.isFinite ? min(max(intensity, 0), 1) : 0
        constriction += (configuration.vasoconstriction * load - constriction)
            * (1 - exp(-dt / configuration.vasoconstrictionTimeConstant))
        heat += (configuration.heating * load - heat) * (1 - exp(-dt / configuration.heatingTimeConstant))
        let value = baseline + slowDrift.advance(by: dt, random: &random) - constriction + heat
            + configuration.noise * random.normal()
        temperature = min(max(value, 25), 40)
        return temperature
    }
}
