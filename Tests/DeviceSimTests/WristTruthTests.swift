@testable import DeviceSim
import ProtocolSpecs
import Testing

/// What the ground truth says of a band that streams its accelerometer: its wearer's steps and
/// nights.
@Suite struct WristTruthTests {
    @Test func theTruthListsEveryStepAndEveryStagePeriod() throws {
        let catalog = try ProtocolCatalog.bundled()
        let log = GroundTruthLog()
        let simulation = try Simulation.named("wrist-day", catalog: catalog, truth: log)
        // Simulators/wrist-day.yaml: asleep to 30 min, resting to 40, walking to 55 (then a run).
        try OfflineRun(simulation: simulation, captureFile: nil).run(duration: 57 * 60)
        let band = try #require(simulation.devices.first { $0 is WristbandFirmware }).address
        var steps = 0, stages: [(stage: String, start: Double, end: Double)] = []
        for event in log.events {
            switch event {
            case let .gait(kind, device, _, _) where kind == "step":
                #expect(device == band)
                steps += 1
            case let .sleepStage(person, stage, start, end):
                #expect(person == "sleeper")
                stages.append((stage, start - simulation.epoch, end - simulation.epoch))
            default: break
            }
        }
        let body = simulation.bodies[0]
        #expect(steps > 1_000 && steps == body.steps, "\(steps) in the truth, \(body.steps) taken")
        let night = try #require(body.nights.first)
        #expect(stages.count == night.periods.count)
        for (line, period) in zip(stages, night.periods) {
            #expect(line.stage == period.stage.rawValue && abs(line.start - period.start) < 1e-6 && abs(line.end - period.end) < 1e-6)
        }
        #expect(stages.first?.start == 0 && abs((stages.last?.end ?? 0) - 30 * 60) < 1e-6)
        #expect(GroundTruthEvent.sleepStage(person: "a", stage: "rem", start: 1, end: 2.5).json
                == #"{"type":"sleep_stage","person":"a","stage":"rem","start":1.000000,"end":2.500000}"#)
    }
}
