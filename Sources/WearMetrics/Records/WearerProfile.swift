/// What the metrics that depend on the person need to know of the wearer: energy
/// expenditure (age, sex, weight: Keytel et al. 2005), heart-rate zones (resting and maximum
/// heart rate: Karvonen et al. 1957), stride length normalised by height. Every field is
/// optional: a metric that needs a missing one is not computed, never guessed.
public struct WearerProfile: Sendable, Equatable {
    public enum Sex: String, Sendable, CaseIterable {
        case female, male
    }

    /// Years.
    public var age: Double?
    public var sex: Sex?
    /// Metres.
    public var height: Double?
    /// Kilograms.
    public var weight: Double?
    /// Beats per minute, at rest.
    public var restingHeartRate: Double?
    /// Beats per minute, the most the wearer reaches.
    public var maximumHeartRate: Double?

    public init(age: Double? = nil, sex: Sex? = nil, height: Double? = nil, weight: Double? = nil,
                restingHeartRate: Double? = nil, maximumHeartRate: Double? = nil) {
        self.age = age
        self.sex = sex
        self.height = height
        self.weight = weight
        self.restingHeartRate = restingHeartRate
        self.maximumHeartRate = maximumHeartRate
    }

    /// Ranges outside which a value is a typo, not a person (checked where profiles are read).
    public static let ageRange = 1.0...120.0
    public static let heightRange = 0.5...2.5
    public static let weightRange = 10.0...300.0
    public static let heartRateRange = 25.0...250.0
}
