import BLEWire
import Foundation
import ProtocolSpecs

/// A scenario file as loaded and validated, before resolution: personas may still have a
/// `count`, groups and `{mean, sd}` variations; nothing is drawn yet.
///
/// ``resolve(seed:devices:duration:)`` turns it into a concrete ``Scenario``.
public struct ScenarioTemplate: Sendable {
    public var name: String
    public var description: String?
    public var seed: UInt64
    /// Default run length, seconds.
    public var duration: Double
    public var start: Date?
    public var file: String
    /// Persona names in file order.
    public var personaNames: [String] { personas.map(\.name) }
    /// Group names in file order.
    public var groupNames: [String] { groups.map(\.name) }

    var personas: [PersonaTemplate]
    var groups: [GroupTemplate]
    var faults: [FaultTemplate]
}

struct PersonaTemplate: Sendable {
    var name: String
    var line: Int
    var column: Int
    var count: Int
    /// Only used through groups.
    var isTemplate: Bool
    var age: Varied
    /// `nil`: drawn 50/50 per person (`sex: any`).
    var sex: PersonaSpec.Sex?
    var height: Varied
    var weight: Varied
    var heart: HeartTemplate
    var gait: GaitTemplate
    var insoles: DeviceTemplate?
    var wristband: DeviceTemplate?
    /// Alternative timelines, one drawn per person by weight (a single one for `activity:`).
    var timelines: [(weight: Double, segments: [SegmentTemplate])]
    var replay: [ReplaySpec]
}

struct HeartTemplate: Sendable {
    var resting: Varied?
    var maximum: Varied?
    var fitness: Varied?
    var lowFrequencyPower: Varied?
    var highFrequencyPower: Varied?
    var lowFrequency: Varied?
    var respiration: Varied?
}

struct GaitTemplate: Sendable {
    var cadence: Varied?
    var strideLength: Varied?
    var stanceShare: Varied?
    var asymmetry: Varied?
    var variability: Varied?
    var dfaAlpha: Varied?
    var strike: GaitStyleSpec.Strike = .heel
    var shuffle: Varied?
    var freezing: (rate: Varied, duration: Varied)?
    var limp: (side: GaitStyleSpec.Side, severity: Varied)?
}

struct DeviceTemplate: Sendable {
    enum Kind: String, Sendable, CaseIterable { case insoles, wristband }
    var kind: Kind
    var cells: Int
    var imu: Bool
    /// Insoles: the feet worn (`side: left` or `right` for a single shoe); both by default.
    var roles: [DeviceSpec.Role]
    var specs: [String]
    var firmware: FirmwareTemplate
    var line: Int
}

struct FirmwareTemplate: Sendable {
    var sampleRate: Varied?
    var framesPerNotification: Int?
    var mtu: Int?
    /// Seconds (the file says milliseconds).
    var connectionInterval: Varied?
    var advertisingInterval: Varied?
    var clockDrift: Varied?
    /// Seconds (the file says milliseconds).
    var jitter: Varied?
    var batteryCapacity: Varied?
    var batteryLevel: Varied?
    /// Per role; for an insole pair `{left: ..., right: ...}`.
    var addresses: [DeviceSpec.Role: (address: BDAddress, line: Int, column: Int)] = [:]
    var names: [DeviceSpec.Role: String] = [:]
}

struct SegmentTemplate: Sendable {
    enum Kind: String, Sendable, CaseIterable { case rest, stand, walk, run, sleep }
    var kind: Kind
    var speed: Varied?
    var at: Double?
    var length: Varied?
    var until: Double?
    var transition: Double?
    var line: Int
}

struct GroupTemplate: Sendable {
    var name: String
    var count: Int
    var mix: [(persona: Int, weight: Double)]
    var line: Int
}

struct FaultTemplate: Sendable {
    var kind: FaultSpec.Kind
    var timing: FaultSpec.Timing
    var duration: Double?
    var target: String
    /// `nil`: everyone.
    var targetName: String?
    /// `nil`: every device of the target; otherwise `left`, `right`, `insoles` or `wristband`.
    var targetRole: String?
    var line: Int
    var column: Int
}
