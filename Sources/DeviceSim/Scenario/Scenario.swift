import BLEWire
import Foundation
import ProtocolSpecs

/// A scenario resolved into concrete people and devices, ready to run: every `count` expanded,
/// every `{mean, sd}` drawn, every address and seed fixed, every timeline laid out in seconds.
///
/// Built by ``ScenarioTemplate/resolve(seed:devices:duration:)`` from a file loaded by
/// ``ScenarioLoader``; `Simulators/README.md` documents the file format and the derivation.
public struct Scenario: Sendable {
    public var name: String
    public var description: String?
    /// The seed everything below was derived from (the file's, or the one the caller forced).
    public var seed: UInt64
    /// Run length, seconds.
    public var duration: Double
    /// Wall-clock time of scenario time 0 (UTC), when the file gives one.
    public var start: Date?
    /// The scenario file, as given to the loader.
    public var file: String
    /// Every person, in file order (persona instances, then group members, then `--devices`
    /// replicas).
    public var people: [PersonaSpec]
    /// Every device of every person, flattened; ``DeviceSpec/person`` indexes ``people``.
    public var devices: [DeviceSpec]
    /// Faults with their targets resolved to indices into ``devices``.
    public var faults: [FaultSpec]

    public init(name: String, description: String?, seed: UInt64, duration: Double, start: Date?, file: String,
                people: [PersonaSpec], devices: [DeviceSpec], faults: [FaultSpec]) {
        self.name = name
        self.description = description
        self.seed = seed
        self.duration = duration
        self.start = start
        self.file = file
        self.people = people
        self.devices = devices
        self.faults = faults
    }

    /// Loads `file` and resolves it (shorthand for ``ScenarioLoader/load(file:options:)`` then
    /// ``ScenarioTemplate/resolve(seed:devices:duration:)``).
    public static func load(file: String, options: ScenarioLoader.Options = .init(), seed: UInt64? = nil,
                            devices: Int? = nil, duration: Double? = nil) throws(ScenarioErrors) -> Scenario {
        try ScenarioLoader.load(file: file, options: options).resolve(seed: seed, devices: devices, duration: duration)
    }
}

/// Every problem found in a scenario file, each with its file, line and column
/// (`quickstart.yaml:12:16: cadence 400 steps/min is outside 20...250`).
public typealias ScenarioErrors = SpecLoadErrors
