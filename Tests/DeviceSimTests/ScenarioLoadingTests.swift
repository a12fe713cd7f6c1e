import Foundation
import ProtocolSpecs
import Testing

@testable import DeviceSim

/// The scenarios shipped in `Simulators/` load, validate and resolve.
@Suite struct ScenarioLoadingTests {
    static let directory = ScenarioLoader.repositorySimulatorsDirectory
    static let shipped = ["quickstart", "gym-100", "parkinson-clinic", "fault-storm", "replay-gaitpdb", "replay-rr", "wrist-day", "sleep"]

    static func load(_ name: String) throws -> Scenario {
        let path = try #require(ScenarioLoader.locate(name, in: [directory]))
        do {
            return try Scenario.load(file: path)
        } catch {
            Issue.record("\(error)")
            throw error
        }
    }

    @Test(arguments: shipped)
    func shippedScenarioLoadsAndResolves(_ name: String) throws {
        let scenario = try Self.load(name)
        #expect(scenario.name == name)
        #expect(!scenario.people.isEmpty)
        #expect(!scenario.devices.isEmpty)
        // Every timeline covers the run without gaps or overlaps.
        for person in scenario.people {
            #expect(person.activity.first?.start == 0)
            #expect(person.activity.last?.end == scenario.duration)
            for (a, b) in zip(person.activity, person.activity.dropFirst()) { #expect(a.end == b.start) }
            for segment in person.activity { #expect(segment.end > segment.start) }
        }
        // Addresses are unique static random ones (or the file's).
        #expect(Set(scenario.devices.map(\.firmware.address)).count == scenario.devices.count)
    }

    @Test func everyScenarioInTheDirectoryLoads() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".yaml") }
        #expect(Set(names.map { String($0.dropLast(5)) }).isSuperset(of: Self.shipped))
        for name in names { _ = try Self.load(String(name.dropLast(5))) }
    }

    @Test func quickstartHasARunnerWithInsolesAndAWristbandAndAWalker() throws {
        let scenario = try Self.load("quickstart")
        #expect(scenario.people.map(\.name) == ["runner", "walker"])
        #expect(scenario.devices.map(\.role) == [.leftInsole, .rightInsole, .wristband, .wristband])
        #expect(scenario.duration == 600)
        #expect(scenario.start == ISO8601DateFormatter().date(from: "2025-03-01T08:00:00Z"))
        let runner = scenario.people[0]
        #expect(runner.gait.cadence == 112)
        #expect(runner.gait.strike == .midfoot)
        #expect(runner.heart.lowFrequencyPower == 1400)
        #expect(runner.activity.map(\.kind.name) == ["stand", "walk", "run", "walk", "rest"])
        #expect(runner.activity[2] == ActivitySegment(kind: .run(speed: 3.3), start: 120, end: 480, transition: 10))
        let insole = scenario.devices[0].firmware
        #expect(insole.connectionInterval == 0.015)
        #expect(insole.clockDriftPPM == 12)
        #expect(insole.batteryLevel == 90)
        #expect(insole.address.rawValue >> 46 == 0b11)
        #expect(insole.name.hasPrefix("Gaitway Insole L "))
        #expect(scenario.devices[0].specs == ["gaitway-insole", "rsc-measurement", "battery-level"])
        #expect(scenario.devices[3].specs == ["heart-rate-measurement", "gaitway-ppg", "battery-level"])
    }

    @Test func gymHasOneHundredPeopleWithMixedActivities() throws {
        let scenario = try Self.load("gym-100")
        #expect(scenario.people.count == 100)
        #expect(Set(scenario.people.map(\.template)) == ["treadmill-runner", "walker", "lifter", "spinner"])
        #expect(scenario.people.allSatisfy { $0.group == "member" })
        #expect(scenario.people.first?.name == "member-1")
        #expect(Set(scenario.people.compactMap(\.gait.cadence)).count > 20) // drawn per person
        let activities = Set(scenario.people.flatMap { $0.activity.map(\.kind.name) })
        #expect(activities.isSuperset(of: ["walk", "run", "stand", "rest"]))
        #expect(scenario.faults.count == 1 && scenario.faults[0].devices.count == scenario.devices.count)
    }

    @Test func parkinsonClinicHasShufflingFreezingVariableWalkers() throws {
        let scenario = try Self.load("parkinson-clinic")
        #expect(scenario.people.map(\.name) == ["patient-1", "patient-2", "patient-3", "patient-limp", "control"])
        for patient in scenario.people.prefix(4) {
            #expect((patient.gait.variability ?? 0) >= 0.03)
            #expect(patient.gait.shuffle >= 0.5)
            #expect((patient.gait.freezing?.perMinute ?? 0) > 0)
            #expect((patient.gait.dfaAlpha ?? 1) < 0.8)
        }
        #expect(scenario.people[3].gait.limp == .init(side: .right, severity: 0.4))
        #expect(scenario.people[4].gait.freezing == nil)
    }

    @Test func faultStormHasEveryFaultKind() throws {
        let scenario = try Self.load("fault-storm")
        let kinds = Set(scenario.faults.map(\.kind.name))
        #expect(kinds == Set(ScenarioParser.faultKinds))
        for fault in scenario.faults { #expect(!fault.devices.isEmpty, "fault on line \(fault.line)") }
        let byLine = { (kind: String) in scenario.faults.filter { $0.kind.name == kind } }
        // alice/wristband is the third device; the fixed addresses are kept.
        #expect(byLine("disconnect")[0].devices == [2])
        #expect(byLine("disconnect")[0].timing == .at(60))
        #expect(byLine("disconnect")[1].timing == .random(perSecond: 4.0 / 3600))
        #expect(scenario.devices[2].firmware.address.description == "C0:FF:EE:00:00:03")
        // A stuck cell 12 only exists on bob's 16-cell insoles.
        let stuck = byLine("stuck_cell")[0]
        #expect(stuck.devices.map { scenario.devices[$0].role } == [.leftInsole])
        #expect(stuck.devices.allSatisfy { scenario.devices[$0].cells == 16 })
        #expect(byLine("clock_jump")[1].kind == .clockJump(seconds: -2.5))
        #expect(byLine("ectopic_beats").allSatisfy { $0.devices.allSatisfy { scenario.devices[$0].role == .wristband } })
        // Random faults that are states last 10 s by default.
        #expect(byLine("duplicate")[0].duration == 5)
    }

    @Test func replaysFindTheirFiles() throws {
        let gaitpdb = try Self.load("replay-gaitpdb")
        let insoles = try #require(gaitpdb.people.first?.replay.first)
        #expect(insoles.kind == .gaitpdb)
        #expect(insoles.path.hasSuffix("shared/data/gaitpdb/GaCo01_01.txt"))
        #expect(FileManager.default.fileExists(atPath: insoles.path))

        let rr = try Self.load("replay-rr")
        let replay = try #require(rr.people.first?.replay.first)
        #expect(replay.kind == .rrIntervals)
        let intervals = try ReplaySpec.readRRIntervals(path: replay.path)
        #expect(intervals.count == 420)
        #expect(intervals.allSatisfy { (0.7...1.0).contains($0) })
    }

    @Test func ppgReplayReadsACSV() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-ppg-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "time,ppg,ambient\n0.00,1000,5\n0.04,1010,5\n0.08,1030,6\n".write(
            to: directory.appendingPathComponent("pulse.csv"), atomically: true, encoding: .utf8)
        let yaml = """
            name: ppg
            personas:
              - name: p
                devices: [{kind: wristband}]
                replay:
                  ppg: {file: pulse.csv, column: ppg}
            """
        let file = directory.appendingPathComponent("ppg.yaml").path
        let scenario = try ScenarioLoader.load(yaml: yaml, file: file).resolve()
        let replay = try #require(scenario.people.first?.replay.first)
        let ppg = try ReplaySpec.readPPG(path: replay.path, column: "ppg", sampleRate: nil)
        #expect(ppg.values == [1000, 1010, 1030])
        #expect(ppg.times == [0, 0.04, 0.08])
    }
}
