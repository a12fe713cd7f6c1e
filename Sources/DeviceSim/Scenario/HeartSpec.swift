/// A persona's heart as the scenario states it. `nil` leaves the value to the heart model's
/// defaults for the persona's age, sex and fitness.
public struct HeartSpec: Sendable, Equatable {
    /// Beats per minute at seated rest.
    public var restingHeartRate: Double?
    /// Beats per minute at maximal effort.
    public var maximumHeartRate: Double?
    /// 0 (sedentary) … 1 (endurance athlete).
    public var fitness: Double
    /// Resting low-frequency (0.04–0.15 Hz) RR power, ms².
    public var lowFrequencyPower: Double?
    /// Resting high-frequency (0.15–0.4 Hz) RR power, ms².
    public var highFrequencyPower: Double?
    /// Centre of the low-frequency line, Hz.
    public var lowFrequency: Double?
    /// Breathing rate at rest, Hz (sets the centre of the high-frequency line).
    public var respirationRate: Double?

    public init(restingHeartRate: Double? = nil, maximumHeartRate: Double? = nil, fitness: Double = 0.5,
                lowFrequencyPower: Double? = nil, highFrequencyPower: Double? = nil, lowFrequency: Double? = nil,
                respirationRate: Double? = nil) {
        self.restingHeartRate = restingHeartRate
        self.maximumHeartRate = maximumHeartRate
        self.fitness = fitness
        self.lowFrequencyPower = lowFrequencyPower
        self.highFrequencyPower = highFrequencyPower
        self.lowFrequency = lowFrequency
        self.respirationRate = respirationRate
    }
}
