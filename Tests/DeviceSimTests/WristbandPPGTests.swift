@testable import DeviceSim
import Foundation
import GaitwayTestSupport
import Testing

/// The wristband's raw PPG stream, decoded from offline captures with `gaitway decode`'s
/// dissector: sampled on the band's own clock, jittered like the insoles, and carrying a
/// recorded waveform when the scenario replays one.
extension OfflineCaptureTests {
    static func band(drift: Double = 0, jitter: Int = 0, seed: Int = 23, activity: String = "[{do: rest}]") -> String {
        """
        name: band
        seed: \(seed)
        duration: 60s
        personas:
          - name: sitter
            age: 45
            sex: male
            devices:
              - {kind: wristband, firmware: {sample_rate: 25, clock_drift: \(drift), jitter: \(jitter)}}
            activity: \(activity)
        """
    }

    struct PPGNotification {
        var timestamp: Int
        var sampleRate: Int
        var samples: [Int]
        /// Seconds on the capture's clock.
        var captured: Double
    }

    func ppgNotifications(_ run: Run) throws -> [PPGNotification] {
        try decode(run.capture).filter { $0.format == "gaitway-ppg" }.map { value in
            let object = try fields(value.fieldsJSON)
            return PPGNotification(timestamp: try #require(object["timestamp"] as? Int),
                                   sampleRate: try #require(object["sample_rate"] as? Int),
                                   samples: try #require(object["samples"] as? [Int]),
                                   captured: Double(value.timeMicros) / 1_000_000)
        }
    }

    /// Simulation time of each decoded sample: sample n of a notification was taken at the
    /// band's clock reading `timestamp + n / rate` (gaitway-ppg.yaml), mapped back through the
    /// band's clock.
    func sampleTimes(_ notifications: [PPGNotification], clock: DeviceClock) -> [(time: Double, counts: Int)] {
        notifications.flatMap { notification in
            notification.samples.enumerated().map { index, counts in
                let millis = Double(notification.timestamp) + Double(index) * 1000 / Double(notification.sampleRate)
                return (clock.simulationTime(atDeviceSeconds: millis / 1000), counts)
            }
        }
    }

    func bandClock(_ run: Run) throws -> DeviceClock {
        try #require(run.simulation.devices.first as? WristbandFirmware).clock
    }

    /// A band 1000 ppm fast takes more samples per true second than one 1000 ppm slow: exactly
    /// one per tick of its own clock (sent five to a notification), each notification's
    /// timestamp is its first tick, and it leaves when its last tick has come.
    @Test func ppgSamplesOnTheBandsOwnClock() throws {
        var counts: [Double: Int] = [:]
        for drift in [1000.0, -1000] {
            let run = try simulate(yaml: Self.band(drift: drift), duration: 60)
            defer { try? FileManager.default.removeItem(at: run.folder) }
            let clock = try bandClock(run)
            let notifications = try ppgNotifications(run)
            let ticks = Int((clock.deviceSeconds(at: 60) * 25).rounded(.down) - (clock.deviceSeconds(at: 0) * 25).rounded(.down))
            let sent = notifications.reduce(0) { $0 + $1.samples.count }
            #expect(sent == ticks - ticks % 5, "drift \(drift): \(sent) samples for \(ticks) ticks")
            counts[drift] = sent
            let firstTick = (clock.deviceSeconds(at: 0) * 25).rounded(.down) + 1
            #expect(notifications.first?.timestamp == Int(firstTick * 40))
            for (previous, next) in zip(notifications, notifications.dropFirst()) {
                #expect(next.timestamp == previous.timestamp + 40 * previous.samples.count)
            }
            for notification in notifications {
                let lastTick = clock.simulationTime(atDeviceSeconds: Double(notification.timestamp + 160) / 1000)
                let sentAt = notification.captured - run.simulation.epoch
                #expect(sentAt >= lastTick - 1e-6 && sentAt < lastTick + 0.031, "sent at \(sentAt), last tick \(lastTick)")
            }
        }
        // 60 s × 25 Hz × 2000 ppm = 3 ticks apart, give or take one notification.
        let fast = try #require(counts[1000]), slow = try #require(counts[-1000])
        #expect(fast > slow && fast - slow <= 8)
    }

    /// A link loss or a reboot drops the notification being filled: after it, every
    /// notification still leaves at the tick of its last sample (its timestamp + 4 × 40 ms).
    @Test func ppgNotificationsDoNotSpanALinkLossOrAReboot() throws {
        let yaml = Self.band(drift: 300) + """

            faults:
              - {kind: disconnect, target: sitter, at: 10.013s, duration: 3s}
              - {kind: reboot, target: sitter, at: 30.021s, duration: 2s}
            """
        let run = try simulate(yaml: yaml, duration: 60)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        // The clock the run ended with counts from the reboot; the one before it, from the
        // counter DeviceFirmware starts every device at.
        let rebooted = try bandClock(run)
        var booted = rebooted
        booted.bootTime = 0
        booted.offsetMillis = Double(try #require(run.simulation.devices.first).spec.seed % 3_600_000)
        let notifications = try ppgNotifications(run)
        #expect(notifications.count > 200)
        for notification in notifications {
            let sentAt = notification.captured - run.simulation.epoch
            let clock = sentAt < 30.021 ? booted : rebooted
            let lastTick = clock.simulationTime(atDeviceSeconds: Double(notification.timestamp + 160) / 1000)
            #expect(sentAt >= lastTick - 1e-6 && sentAt < lastTick + 0.031, "sent at \(sentAt), last tick \(lastTick)")
        }
    }

    /// The waveform is built from the beats of the ground truth, on the true clock: each
    /// beat's systolic wave (a trough: raw counts go down as the arteries fill) is where the
    /// synthesizer puts it after that beat, read through the band's drifting clock.
    @Test func ppgPulsesFollowTheTrueBeatsThroughTheBandsClock() throws {
        let run = try simulate(yaml: Self.band(drift: 800), duration: 60)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let samples = sampleTimes(try ppgNotifications(run), clock: try bandClock(run))
        let beats: [(time: Double, rr: Double)] = run.truth.compactMap {
            if case .beat(_, let time, let rr, _) = $0 { (time - run.simulation.epoch, rr) } else { nil }
        }
        let configuration = PPGSynthesizer.Configuration()
        var checked = 0
        for beat in beats where beat.time > 2 && beat.time < 58 {
            // PPGSynthesizer.add: the systolic centre, one pulse arrival time plus 2.5 widths on.
            let scale = min(max(beat.rr, 0.3), 1.3)
            let centre = beat.time + configuration.pulseArrivalTime * (0.75 + 0.25 * min(scale, 1))
                + 2.5 * (0.055 * scale + 0.015)
            let window = samples.filter { $0.time > beat.time + 0.1 && $0.time < beat.time + 0.6 }
            let trough = try #require(window.min { $0.counts < $1.counts })
            #expect(abs(trough.time - centre) <= 0.06, "beat at \(beat.time): trough at \(trough.time), expected \(centre)")
            checked += 1
        }
        #expect(checked > 40)
    }

    /// `jitter` moves the instant each PPG sample is taken, not its timestamp, and draws from
    /// its own stream: the Heart Rate, PLX and other notifications stay byte for byte the same.
    @Test func wristbandSamplingJitterMovesTheInstantNotTheTimestamp() throws {
        let steady = try simulate(yaml: Self.band(jitter: 0), duration: 20)
        let jittery = try simulate(yaml: Self.band(jitter: 4), duration: 20)
        let again = try simulate(yaml: Self.band(jitter: 4), duration: 20)
        defer { for run in [steady, jittery, again] { try? FileManager.default.removeItem(at: run.folder) } }

        let a = try ppgNotifications(steady), b = try ppgNotifications(jittery)
        try #require(a.count == b.count && a.count > 90)
        #expect(a.map(\.timestamp) == b.map(\.timestamp))
        let differing = zip(a, b).filter { $0.samples != $1.samples }.count
        #expect(differing > a.count / 2, "\(differing) of \(a.count) notifications changed")
        let others = { (run: Run) in try self.decode(run.capture).filter { $0.format != "gaitway-ppg" }.map(\.fieldsJSON) }
        #expect(try others(steady) == others(jittery))
        #expect(try Data(contentsOf: jittery.capture) == Data(contentsOf: again.capture))
    }

    /// Replaying `Simulators/replay-ppg.yaml`: the stream carries the recorded CSV, linearly
    /// interpolated at the band's (drifting) sample instants and looping every 20 s, within
    /// the stream's quantisation after undoing the documented scaling (the recording's minimum
    /// at 2^22 counts, its maximum at 3 × 2^22).
    @Test func ppgReplayReproducesTheRecordedValues() throws {
        let run = try simulate(scenario: "replay-ppg", duration: 50)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let csv = try String(contentsOf: Reference.repository.appendingPathComponent("Simulators/data/ppg-neurokit-72bpm.csv"),
                             encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "ppg")
        let recorded = lines.dropFirst().compactMap { Double($0) }
        try #require(recorded.count == 500)  // 20 s at 25 Hz
        let low = recorded.min()!, high = recorded.max()!
        let unit = (high - low) / 8_388_608  // one count, in the recording's unit

        let samples = sampleTimes(try ppgNotifications(run), clock: try bandClock(run))
        #expect(samples.count > 1200)
        var worst = 0.0
        for sample in samples {
            // Recording time (offset 0), looping every 500 samples of 40 ms.
            let position = sample.time.truncatingRemainder(dividingBy: 20) * 25
            let index = Int(position.rounded(.down))
            let fraction = position - Double(index)
            let expected = recorded[index % 500] + (recorded[(index + 1) % 500] - recorded[index % 500]) * fraction
            let received = low + (Double(sample.counts) - 4_194_304) * unit
            worst = max(worst, abs(received - expected) / unit)
        }
        #expect(worst <= 0.5 + 1e-3, "worst error \(worst) counts")
    }

    /// Beats wait for the PPG only as long as a band may still sample them: without a band,
    /// or with one nobody subscribed to, the queue stays a couple of seconds long.
    @Test func beatsWaitingForThePPGStayFew() throws {
        let yaml = Self.band().replacingOccurrences(of: "{kind: wristband,", with: "{kind: insoles,")
        let template = try ScenarioLoader.load(yaml: yaml, file: "test.yaml", options: .init(catalog: Self.catalog))
        let simulation = try Simulation(scenario: try template.resolve(duration: 600), catalog: Self.catalog)
        var longest = 0
        for step in 1...20_000 {
            simulation.advance(to: Double(step) * 0.03)
            longest = max(longest, simulation.bodies[0].ppgBeats.count)
        }
        #expect(longest <= 40, "\(longest) beats queued")
    }

    /// Without `loop`, a replay ends: the synthetic PPG takes over after the last sample.
    @Test func ppgReplayWithoutLoopEnds() {
        var replay = PPGReplay(times: [0, 0.5, 1], values: [0, 2, 1], loops: false, offset: 0.25)
        #expect(replay.value(at: 0) == 1)
        #expect(replay.counts(at: 0.25) == 12_582_912)
        #expect(replay.counts(at: 0.75) == 8_388_608)  // the last sample, mid-scale
        #expect(replay.counts(at: 0.8) == nil)
        #expect(replay.counts(at: -0.5) == nil)
        var looping = PPGReplay(times: [0, 0.5, 1], values: [0, 2, 1], loops: true)
        #expect(looping.value(at: 1.25) == 0.5)  // between the last sample and the first again
        #expect(looping.value(at: 1.5) == 0)
        #expect(looping.value(at: -0.5) == 1)
    }
}
