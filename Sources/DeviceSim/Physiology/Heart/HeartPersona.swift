/// The person whose heart is simulated: what sets resting and maximal heart rate, the speed of
/// the heart-rate response and the size of the beat-to-beat variability.
public struct HeartPersona: Sendable, Hashable {
    public enum Sex: String, Sendable, Hashable {
        case female, male
    }

    /// Years.
    public var age: Double
    public var sex: Sex
    /// Beats per minute at seated rest.
    public var restingHeartRate: Double
    /// Beats per minute at maximal effort.
    public var maximumHeartRate: Double
    /// Aerobic fitness from 0 (sedentary) to 1 (endurance athlete): faster kinetics, more HRV.
    public var fitness: Double

    /// - Parameters:
    ///   - restingHeartRate: default 72 − 16·fitness bpm, +3 bpm for women (population means,
    ///     e.g. Ostchega et al. 2011, NHSR 41).
    ///   - maximumHeartRate: default 208 − 0.7·age bpm (Tanaka, Monahan & Seals 2001,
    ///     J Am Coll Cardiol 37:153).
    public init(
        age: Double = 35,
        sex: Sex = .female,
        restingHeartRate: Double? = nil,
        maximumHeartRate: Double? = nil,
        fitness: Double = 0.5
    ) {
        self.age = age
        self.sex = sex
        self.fitness = min(max(fitness, 0), 1)
        self.restingHeartRate = restingHeartRate ?? (72 - 16 * self.fitness + (sex == .female ? 3 : 0))
        self.maximumHeartRate = maximumHeartRate ?? (208 - 0.7 * age)
    }

    /// Maximum minus resting heart rate, bpm (never below 10, so a bad persona cannot divide by 0).
    public var heartRateReserve: Double { max(maximumHeartRate - restingHeartRate, 10) }
}
