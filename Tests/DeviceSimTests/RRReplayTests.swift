@testable import DeviceSim
import Foundation
import Testing

/// `replay: rr`: the series from recording time `offset`, looping or handing over to the
/// heart model at its end (Simulators/README.md).
@Suite struct RRReplayTests {
    func play(_ replay: inout RRReplay, upTo time: Double) -> [HeartBeat] {
        var beats: [HeartBeat] = []
        replay.beats(upTo: time) { beats.append($0) }
        return beats
    }

    /// Recording beats at 1.0, 1.5 and 2.3 s; offset 1.2 s plays them at -0.2 (skipped), 0.3
    /// and 1.1 s, then the series is over.
    @Test func offsetSkipsTheBeatsBeforeItAndTheEndFinishes() {
        var replay = RRReplay(intervals: [1.0, 0.5, 0.8], loops: false, offset: 1.2)
        let beats = play(&replay, upTo: 10)
        #expect(beats.count == 2)
        #expect(abs(beats[0].time - 0.3) < 1e-12 && beats[0].rr == 0.5)
        #expect(abs(beats[1].time - 1.1) < 1e-12 && beats[1].rr == 0.8)
        #expect(replay.isFinished)
        #expect(abs(replay.lastBeat - 1.1) < 1e-12)
        var late = RRReplay(intervals: [1.0, 0.5, 0.8], loops: false, offset: 5)
        #expect(late.isFinished && play(&late, upTo: 10).isEmpty)
    }

    /// Looping, an offset of two whole passes and 1.2 s plays like an offset of 1.2 s, and
    /// the series starts again after its last interval.
    @Test func loopingWrapsTheOffsetAndTheSeries() {
        var replay = RRReplay(intervals: [1.0, 0.5, 0.8], loops: true, offset: 2 * 2.3 + 1.2)
        let beats = play(&replay, upTo: 3.3)
        #expect(beats.map(\.rr) == [0.5, 0.8, 1.0, 0.5])
        let expected = [0.3, 1.1, 2.1, 2.6]
        for (beat, time) in zip(beats, expected) { #expect(abs(beat.time - time) < 1e-9) }
        #expect(!replay.isFinished)
    }
}

extension OfflineCaptureTests {
    /// A non-looping replay from five minutes into the synthetic series (about 61 s left of
    /// it): the ground truth's beats are the series' own intervals from there, then the heart
    /// model's, which carry on from the last replayed beat without a burst or a gap.
    @Test func rrReplayFromAnOffsetHandsOverToTheHeartModel() throws {
        let yaml = """
            name: rr-offset
            seed: 5
            duration: 120s
            personas:
              - name: sitter
                age: 40
                sex: female
                devices:
                  - {kind: wristband, firmware: {sample_rate: 25}}
                replay:
                  rr: {file: Simulators/data/rr-synthetic-rest.txt, loop: false, offset: 300}
                activity: [{do: rest}]
            """
        let run = try simulate(yaml: yaml, duration: 120)
        let epoch = run.simulation.epoch
        let beats: [(time: Double, rr: Double)] = run.truth.compactMap {
            if case let .beat(_, time, rr, _) = $0 { (time - epoch, rr) } else { nil }
        }
        let file = try #require(ScenarioLoader.locate("replay-rr")).replacingOccurrences(of: "replay-rr.yaml", with: "data/rr-synthetic-rest.txt")
        let series = try ReplaySpec.readRRIntervals(path: file)
        // The first beat after recording time 300 s, and the replayed intervals from there.
        var time = 0.0, first = 0
        while time + series[first] <= 300 { time += series[first]; first += 1 }
        let replayed = series[first...]
        let replayEnd = time + replayed.reduce(0, +) - 300
        let fromReplay = beats.filter { $0.time <= replayEnd + 1e-6 }
        #expect(fromReplay.count == replayed.count)
        for (beat, rr) in zip(fromReplay, replayed) { #expect(abs(beat.rr - rr) < 1e-6) }
        #expect(abs((fromReplay.first?.time ?? -1) - (time + series[first] - 300)) < 1e-3)
        // Then the model: beats to the end of the run, at resting intervals, the first one an
        // ordinary interval after the last replayed beat.
        let fromModel = beats.filter { $0.time > replayEnd + 1e-6 }
        #expect(Double(fromModel.count) > (120 - replayEnd) / 2)
        var previous = fromReplay.last?.time ?? 0
        for beat in fromModel {
            #expect(beat.time - previous > 0.3 && beat.time - previous < 2.0)
            #expect(abs(beat.rr - (beat.time - previous)) < 1e-6)
            previous = beat.time
        }
    }

    /// `frames_per_notification` on a wristband counts PPG samples.
    @Test func wristbandFramesPerNotificationSetsSamplesPerPPGNotification() throws {
        let yaml = OfflineCaptureTests.band().replacingOccurrences(
            of: "firmware: {sample_rate: 25,", with: "firmware: {sample_rate: 25, frames_per_notification: 3,")
        #expect(yaml.contains("frames_per_notification: 3"))
        let notifications = try ppgNotifications(try simulate(yaml: yaml, duration: 20))
        #expect(notifications.count > 100)
        #expect(notifications.allSatisfy { $0.samples.count == 3 })
        let defaults = try ppgNotifications(try simulate(yaml: OfflineCaptureTests.band(), duration: 20))
        #expect(defaults.allSatisfy { $0.samples.count == 5 })
    }
}
