/// One simulated person: body, heart, gait, what they wear, what they do, and any recorded data
/// that replaces a model.
public struct PersonaSpec: Sendable, Equatable {
    public enum Sex: String, Sendable, Equatable, CaseIterable {
        case female, male
    }

    /// Unique in the resolved scenario: the persona's name, or `name-N` for the N-th (1-based)
    /// instance of a persona or group with a `count`, or a `--devices` replica.
    public var name: String
    /// The persona in the file this person was made from.
    public var template: String
    /// The group this person belongs to, if made by a group.
    public var group: String?
    /// 0-based instance number within the persona's (or group's) instances.
    public var instance: Int
    /// Seed of this person's models (see `Simulators/README.md`, "Determinism").
    public var seed: UInt64
    /// Years.
    public var age: Double
    public var sex: Sex
    /// Metres.
    public var height: Double
    /// Kilograms.
    public var weight: Double
    public var heart: HeartSpec
    public var gait: GaitStyleSpec
    /// Indices into ``Scenario/devices``.
    public var devices: [Int]
    /// Ordered, non-overlapping segments covering `0..<duration`; gaps in the file are filled with
    /// ``ActivitySegment/Kind/rest``.
    public var activity: [ActivitySegment]
    public var replay: [ReplaySpec]

    public init(name: String, template: String, group: String? = nil, instance: Int = 0, seed: UInt64,
                age: Double = 35, sex: Sex = .female, height: Double = 1.70, weight: Double = 70,
                heart: HeartSpec = HeartSpec(), gait: GaitStyleSpec = GaitStyleSpec(), devices: [Int] = [],
                activity: [ActivitySegment] = [], replay: [ReplaySpec] = []) {
        self.name = name
        self.template = template
        self.group = group
        self.instance = instance
        self.seed = seed
        self.age = age
        self.sex = sex
        self.height = height
        self.weight = weight
        self.heart = heart
        self.gait = gait
        self.devices = devices
        self.activity = activity
        self.replay = replay
    }
}
