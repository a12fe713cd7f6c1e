import Foundation
import ProtocolSpecs
import Testing

@testable import DeviceSim

/// Resolution is a pure function of the scenario and its seed; `--devices N` scales any scenario.
@Suite struct ScenarioResolutionTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()

    static func template(_ name: String) throws -> ScenarioTemplate {
        let path = try #require(ScenarioLoader.locate(name))
        return try ScenarioLoader.load(file: path, options: .init(catalog: catalog))
    }

    /// Everything that identifies a resolved scenario, as text (so a difference is easy to read).
    static func fingerprint(_ scenario: Scenario) -> [String] {
        scenario.people.map { "\($0.name) \($0.template) \($0.seed) \($0.age) \($0.sex) \($0.height) \($0.gait) \($0.heart) \($0.activity)" }
            + scenario.devices.map { "\($0.role) \($0.firmware) \($0.seed)" }
            + scenario.faults.map { "\($0.kind) \($0.devices) \($0.seed)" }
    }

    @Test func sameSeedSameScenario() throws {
        let gym = try Self.template("gym-100")
        let a = try gym.resolve(), b = try gym.resolve()
        #expect(Self.fingerprint(a) == Self.fingerprint(b))
        // Loading the file again changes nothing either.
        #expect(Self.fingerprint(try Self.template("gym-100").resolve()) == Self.fingerprint(a))
    }

    @Test func anotherSeedAnotherScenario() throws {
        let gym = try Self.template("gym-100")
        let a = try gym.resolve(), b = try gym.resolve(seed: 101)
        #expect(b.seed == 101)
        #expect(a.people.map(\.age) != b.people.map(\.age))
        #expect(a.devices.map(\.firmware.address) != b.devices.map(\.firmware.address))
    }

    /// The derivation in `Simulators/README.md`: person seed = mix(mix(seed, fnv1a(name)), instance).
    @Test func seedsFollowTheDocumentedDerivation() throws {
        let scenario = try Self.template("parkinson-clinic").resolve()
        let patient2 = try #require(scenario.people.first { $0.name == "patient-2" })
        let expected = ScenarioRandom.mix(ScenarioRandom.mix(7, ScenarioRandom.fnv1a("patient")), 1)
        #expect(patient2.seed == expected)
        #expect(scenario.devices[patient2.devices[0]].seed == ScenarioRandom.mix(expected, ScenarioRandom.fnv1a("left")))
        // FNV-1a 64 test vector (draft-eastlake-fnv, "a" -> 0xaf63dc4c8601ec8c).
        #expect(ScenarioRandom.fnv1a("a") == 0xAF63_DC4C_8601_EC8C)
        // SplitMix64 from state 0: first output 0xe220a8397b1dcdaf (Vigna's splitmix64.c).
        #expect(ScenarioRandom.splitmix(0) == 0xE220_A839_7B1D_CDAF)
    }

    /// Adding a persona does not change the people drawn for the others.
    @Test func drawsAreIndependentOfOtherPersonas() throws {
        let one = """
            name: x
            seed: 5
            personas:
              - {name: a, count: 4, age: {mean: 40, sd: 10}, devices: [{kind: wristband}]}
            """
        let two = one + "\n  - {name: b, count: 2, age: {mean: 60, sd: 5}, devices: [{kind: insoles}]}\n"
        let a = try ScenarioLoader.load(yaml: one, file: "x.yaml", options: .init(catalog: Self.catalog)).resolve()
        let b = try ScenarioLoader.load(yaml: two, file: "x.yaml", options: .init(catalog: Self.catalog)).resolve()
        #expect(b.people.prefix(4).map(\.age) == a.people.map(\.age))
        #expect(b.devices.prefix(4).map(\.firmware.address) == a.devices.map(\.firmware.address))
    }

    @Test func variationsStayInTheirRanges() throws {
        let yaml = """
            name: x
            personas:
              - name: a
                count: 500
                age: {mean: 100, sd: 30}
                gait: {cadence: {min: 100, max: 120}}
                devices: [{kind: wristband, firmware: {clock_drift: {mean: 0, sd: 20}}}]
                activity:
                  - {do: walk, speed: {mean: 1.3, sd: 0.2}, for: {min: 1min, max: 2min}}
                  - {do: run, at: 90s}
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, file: "x.yaml", options: .init(catalog: Self.catalog)).resolve()
        #expect(scenario.people.allSatisfy { (5...110).contains($0.age) })
        #expect(scenario.people.contains { $0.age == 110 }) // clamped, not redrawn
        #expect(scenario.people.allSatisfy { (100...120).contains($0.gait.cadence ?? 0) })
        let drifts = scenario.devices.map(\.firmware.clockDriftPPM)
        let mean = drifts.reduce(0, +) / Double(drifts.count)
        let sd = (drifts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(drifts.count)).squareRoot()
        #expect(abs(mean) < 3 && abs(sd - 20) < 3, "mean \(mean) sd \(sd)")
        // A varied `for` is cut short by the next segment's `at`.
        for person in scenario.people {
            #expect(person.activity[0].end <= 90)
            #expect(person.activity.contains { $0.kind == .run(speed: 3.0) && $0.start == 90 })
        }
    }

    @Test func scalesToExactlyNDevices() throws {
        let quickstart = try Self.template("quickstart")
        #expect(try quickstart.deviceCount() == 4)
        for n in [1, 2, 3, 4, 5, 7, 100, 1001] {
            let scenario = try quickstart.resolve(devices: n)
            #expect(scenario.devices.count == n)
            #expect(Set(scenario.devices.map(\.firmware.address)).count == n)
            #expect(Set(scenario.people.map(\.name)).count == scenario.people.count)
            #expect(Set(scenario.people.map(\.seed)).count == scenario.people.count)
            for (index, device) in scenario.devices.enumerated() {
                #expect(scenario.people[device.person].devices.contains(index))
            }
        }
        let scaled = try quickstart.resolve(devices: 10)
        #expect(scaled.people.map(\.name) == ["runner", "walker", "runner-2", "walker-2", "runner-3"])
        // Replicas are the same persona with its own seed and derived addresses.
        #expect(scaled.people[2].gait == scaled.people[0].gait)
        #expect(scaled.people[2].seed != scaled.people[0].seed)
        // The base people are unchanged by scaling.
        let base = try quickstart.resolve()
        #expect(Self.fingerprint(try quickstart.resolve(devices: 4)) == Self.fingerprint(base))
        #expect(scaled.devices.prefix(4).map(\.firmware) == base.devices.map(\.firmware))
    }

    @Test func scalingKeepsFaultsOnTheirTargets() throws {
        let storm = try Self.template("fault-storm")
        let scenario = try storm.resolve(devices: 50)
        #expect(scenario.devices.count == 50)
        // Fixed addresses stay with the original people; replicas get derived ones.
        #expect(Set(scenario.devices.map(\.firmware.address)).count == 50)
        let ectopic = try #require(scenario.faults.first { $0.kind == .ectopicBeats(perMinute: 6) })
        #expect(ectopic.devices.count > 1)
        #expect(ectopic.devices.allSatisfy { scenario.people[scenario.devices[$0].person].template == "carol" })
    }

    @Test func scalingDownAGroupAndScalingUpTheGym() throws {
        let gym = try Self.template("gym-100")
        let small = try gym.resolve(devices: 10)
        #expect(small.devices.count == 10)
        let big = try gym.resolve(devices: 2000)
        #expect(big.devices.count == 2000)
        #expect(Set(big.people.map(\.name)).count == big.people.count)
        #expect(big.people.first?.name == "member-1")
    }

    @Test func overridesDurationAndLaysOutTimelinesAgain() throws {
        let quickstart = try Self.template("quickstart")
        let scenario = try quickstart.resolve(duration: 60)
        #expect(scenario.duration == 60)
        #expect(scenario.people[0].activity.map(\.kind.name) == ["stand", "walk"])
        #expect(scenario.people[0].activity.last?.end == 60)
    }

    @Test func parsesDurationsAndRates() {
        #expect(ScenarioValueReader.duration("90") == 90)
        #expect(ScenarioValueReader.duration("1h30m") == 5400)
        #expect(ScenarioValueReader.duration("2min") == 120)
        #expect(ScenarioValueReader.duration("250ms") == 0.25)
        #expect(ScenarioValueReader.duration("5 parsecs") == nil)
        #expect(ScenarioValueReader.ratePerSecond("6/h") == 6.0 / 3600)
        #expect(ScenarioValueReader.ratePerSecond("3") == 0.05)
        #expect(ScenarioValueReader.ratePerSecond("2/week") == nil)
    }
}
