import BLEHost
import BLEWire
import DeviceSim
import Foundation
import GatewayPipeline
import GatewayStore
import Testing
import WearMetrics

/// The metric stage in the gateway: gait records of the quickstart runner's insoles, stored
/// under each insole and under the wearer the configuration names, and the same records from a
/// replay of the run's capture.
@Suite(.serialized) struct GatewayMetricsTests {
    /// The quickstart runner's insoles (Simulators/quickstart.yaml gives their addresses).
    static let left = BDAddress("D2:EE:5A:DE:B3:1A")!
    static let right = BDAddress("C9:06:E8:87:15:43")!
    static let runner = Wearer(name: "runner", leftInsole: left, rightInsole: right, profile: WearerProfile(weight: 70))

    /// Every metric record as one comparable line, in store order.
    static func records(_ store: GatewayStore) throws -> [String] {
        try store.metricRecords(MetricRecordQuery()).map {
            "\($0.timeMicros) \($0.endMicros ?? -1) \($0.subject) \($0.metric) \($0.value) \($0.quality ?? -1)"
        }
    }

    /// A gateway (in-memory store, virtual controller) run over `simulation` for `duration` s of
    /// its time, with `wearers` configured.
    static func run(_ simulation: Simulation, duration: Double, wearers: [Wearer] = []) throws -> (store: GatewayStore, ingest: GatewayIngest) {
        let transport = simulation.virtualControllerTransport(pace: .virtual)
        let epoch = simulation.epoch
        let store = try GatewayStore.inMemory()
        let ingest = GatewayIngest(catalog: GatewayEndToEndTests.catalog, store: store)
        ingest.wearers = wearers
        let runner = GatewayRunner(ingest: ingest, configuration: CentralConfiguration(wantedServices: GatewayEndToEndTests.wanted)) {
            GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        }
        try runner.run(duration: duration)
        return (store, ingest)
    }

    @Test(.timeLimit(.minutes(5))) func theRunnersStridesAreStoredAndAReplayComputesTheSame() throws {
        let catalog = GatewayEndToEndTests.catalog
        let simulation = try Simulation.named("quickstart", catalog: catalog)
        let transport = simulation.virtualControllerTransport(pace: .virtual)
        let epoch = simulation.epoch
        let capturePath = GatewayEndToEndTests.temporaryPath("metrics.btsnoop")
        defer { try? FileManager.default.removeItem(atPath: capturePath) }

        // 30 s standing, then walking at 1.4 m/s: about 25 strides a foot by 60 s.
        let live = try GatewayStore.inMemory()
        let liveIngest = GatewayIngest(catalog: catalog, store: live)
        liveIngest.wearers = [Self.runner]
        let runner = GatewayRunner(ingest: liveIngest, configuration: CentralConfiguration(wantedServices: GatewayEndToEndTests.wanted)) {
            GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        }
        runner.capture = try HCICaptureFile(path: capturePath)
        try runner.run(duration: 60)

        for insole in [Self.left, Self.right] {
            let strides = try live.metricRecords(MetricRecordQuery(metric: "stride_time", address: insole.description))
            #expect(strides.count >= 15, "\(insole): \(strides.count) strides")
            // A walk at 1.4 m/s: strides of about a second, each at its own initial contact.
            #expect(strides.allSatisfy { (0.8...1.4).contains($0.value) }, "\(strides.map(\.value))")
            #expect(zip(strides, strides.dropFirst()).allSatisfy { $0.timeMicros < $1.timeMicros })
            let stance = try live.metricRecords(MetricRecordQuery(metric: "stance_pct", address: insole.description))
            #expect(stance.count == strides.count && stance.allSatisfy { (50...75).contains($0.value) })
        }
        // Two-foot records belong to the wearer, not to an insole.
        let double = try live.metricRecords(MetricRecordQuery(metric: "double_support"))
        #expect(!double.isEmpty && double.allSatisfy { $0.subject == .wearer(name: "runner") })
        #expect(try live.metricRecords(MetricRecordQuery(metric: "walking_bout", wearer: "runner")).count >= 1)
        #expect(try live.wearers() == ["runner"])

        let replayed = try GatewayStore.inMemory()
        let replayIngest = GatewayIngest(catalog: catalog, store: replayed)
        replayIngest.wearers = [Self.runner]
        try CaptureReplay(ingest: replayIngest).replay(capture: Array(try Data(contentsOf: URL(fileURLWithPath: capturePath))))
        let liveRecords = try Self.records(live), replayRecords = try Self.records(replayed)
        #expect(liveRecords.count > 100)
        #expect(liveRecords == replayRecords)
    }

    @Test(.timeLimit(.minutes(5))) func anAdvertisedPairIsOneWearerWithoutConfiguration() throws {
        let catalog = GatewayEndToEndTests.catalog
        let (store, ingest) = try Self.run(try Simulation.named("quickstart", catalog: catalog), duration: 50)

        // The pair id is the left insole's address, low 32 bits (gaitway-advert.yaml).
        let pair = "pair-5adeb31a"
        #expect(try store.wearers() == [pair])
        let double = try store.metricRecords(MetricRecordQuery(metric: "double_support"))
        #expect(double.count >= 10 && double.allSatisfy { $0.subject == .wearer(name: pair) }, "\(double.count)")
        for insole in [Self.left, Self.right] {
            #expect(try store.metricRecords(MetricRecordQuery(metric: "stride_time", address: insole.description)).count >= 10)
        }
        // The live table's row: walking at 1.4 m/s by now (Simulators/quickstart.yaml).
        let status = try #require(ingest.wearerStatuses.first)
        #expect(status.name == pair && status.lastStride.count == 2)
        let cadence = try #require(status.cadence)
        #expect((90...130).contains(cadence), "\(cadence)")
        #expect(abs(status.strideTimeSymmetry ?? 100) < 10)
    }

    @Test(.timeLimit(.minutes(5))) func theRunnersBandGivesHerEffortUnderHerNameAndItsTemperatureUnderItself() throws {
        let catalog = GatewayEndToEndTests.catalog
        let simulation = try Simulation.named("quickstart", catalog: catalog)
        // The runner's band (the second device of Simulators/quickstart.yaml) and her persona's profile.
        let band = try #require(simulation.devices.first { $0 is WristbandFirmware }).address
        let profile = WearerProfile(age: 29, sex: .female, height: 1.68, weight: 58, restingHeartRate: 52, maximumHeartRate: 192)
        let runner = Wearer(name: "runner", leftInsole: Self.left, rightInsole: Self.right, wristband: band, profile: profile)
        // The whole scenario: 2 minutes standing and walking, 6 running at 3.3 m/s, 1 walking, rest.
        let (store, _) = try Self.run(simulation, duration: 600, wearers: [runner])
        let epoch = simulation.epoch

        func records(_ metric: Metric, wearer: String? = "runner", address: String? = nil) throws -> [MetricRecord] {
            try store.metricRecords(MetricRecordQuery(metric: metric.name, address: address, wearer: wearer)).map {
                MetricRecord(metric, time: Double($0.timeMicros) / 1e6, end: $0.endMicros.map { Double($0) / 1e6 }, value: $0.value,
                             quality: $0.quality)
            }
        }
        let energy = try records(.energyExpenditure)
        #expect(energy.count >= 8, "\(energy.count) minutes")
        let start = epoch
        // Keytel et al. 2005 for her while she runs (minutes 3 to 7): well above her 1 MET of 4.04 kJ/min.
        let running = energy.filter { $0.time >= start + 180 && $0.time < start + 420 }
        #expect(!running.isEmpty && running.allSatisfy { $0.value > 20 }, "\(running.map(\.value))")
        let zones = try records(.heartRateZone)
        // An easy run for her fitness: 50-70 % of her reserve (zones 1 and 2).
        #expect(zones.count == energy.count && zones.contains { $0.value >= 2 }, "\(zones.map(\.value))")
        #expect(try records(.trimp).reduce(0) { $0 + $1.value } > 5)
        let day = try #require(try records(.dailyEnergyExpenditure).first)
        #expect(day.time == (start / 86_400).rounded(.down) * 86_400)
        let recovery = try records(.heartRateRecovery)
        // One bout (the run); she walks on after it, so her heart rate falls slowly (the simulator's
        // sympathetic withdrawal, τ 180 s for her: HeartRateKinetics).
        #expect(recovery.count == 1 && recovery.allSatisfy { (2...80).contains($0.value) }, "\(recovery.map(\.value))")
        #expect(recovery.allSatisfy { $0.time >= start + 300 && $0.time <= start + 500 }, "\(recovery.map { $0.time - start })")
        // Her band's own records stay under its address.
        #expect(try records(.rmssd, wearer: nil, address: band.description).count >= 1)
        let temperature = try records(.skinTemperatureMean, wearer: nil, address: band.description)
        #expect(temperature.count == 1 && temperature.allSatisfy { (28...37).contains($0.value) }, "\(temperature.map(\.value))")
    }

    @Test(.timeLimit(.minutes(5))) func theWristDaysCountsAndSleepFollowItsTimeline() throws {
        let catalog = GatewayEndToEndTests.catalog
        let simulation = try Simulation.named("wrist-day", catalog: catalog)
        let band = try #require(simulation.devices.first { $0 is WristbandFirmware }).address
        // Simulators/wrist-day.yaml: asleep to 30 min, resting to 40, walking to 55, running to 65.
        let (store, _) = try Self.run(simulation, duration: 67 * 60)
        let epoch = simulation.epoch

        func records(_ metric: Metric) throws -> [(minute: Int, value: Double)] {
            try store.metricRecords(MetricRecordQuery(metric: metric.name, address: band.description)).map {
                (Int((Double($0.timeMicros) / 1e6 - epoch) / 60), $0.value)
            }
        }
        let counts = try records(.activityCounts)
        // One record a minute from the first whole minute after the link came up.
        #expect(counts.count >= 63 && Set(counts.map(\.minute)).count == counts.count, "\(counts.map(\.minute))")
        func median(_ minutes: Range<Int>) -> Double {
            let values = counts.filter { minutes.contains($0.minute) }.map(\.value).sorted()
            return values.isEmpty ? -1 : values[values.count / 2]
        }
        let asleep = median(2..<29), walking = median(41..<54), running = median(56..<64)
        #expect(asleep >= 0 && asleep < 50, "asleep \(asleep)")
        #expect(walking > 1_000 && running > walking, "walking \(walking), running \(running)")
        let sleep = try records(.sleepWake)
        // The minutes the simulated person slept (the night starts awake in bed).
        let body = simulation.bodies[0]
        let night = sleep.filter { (2..<29).contains($0.minute) && body.sleepStage(at: Double($0.minute) * 60 + 30) != .wake }
        #expect(night.count >= 15 && Double(night.filter { $0.value == 1 }.count) >= 0.8 * Double(night.count),
                "\(night.map(\.value))")
        let day = sleep.filter { (41..<64).contains($0.minute) }
        #expect(day.count >= 20 && day.allSatisfy { $0.value == 0 }, "\(day.map(\.value))")
        // Steps from the wrist against the simulated person's heel strikes (every one of them is
        // in the walk and the run, minutes 40 to 65).
        let steps = try records(.steps)
        let counted = steps.filter { (40..<66).contains($0.minute) }.reduce(0) { $0 + $1.value }
        let truth = Double(simulation.bodies[0].steps)
        #expect(truth > 3_000 && abs(counted - truth) / truth < 0.03, "counted \(counted), truth \(truth)")
        // Gestures, twitches and posture changes a wrist pedometer takes for steps: few.
        let spurious = steps.filter { $0.minute < 40 }.reduce(0) { $0 + $1.value }
        #expect(spurious < 100, "\(spurious) steps asleep and at rest")
    }

    /// A night in bed through the gateway: the sleep period where the simulated person was in
    /// bed, its summary, and the stages per minute against the simulator's hypnogram.
    @Test(.timeLimit(.minutes(10))) func aNightGivesItsSleepPeriodSummaryAndStages() throws {
        let catalog = GatewayEndToEndTests.catalog
        let simulation = try Simulation.named("sleep", catalog: catalog)
        let band = try #require(simulation.devices.first { $0 is WristbandFirmware }).address
        let body = simulation.bodies[0]
        let night = try #require(body.nights.first)
        let (store, _) = try Self.run(simulation, duration: 9 * 3600)
        let epoch = simulation.epoch
        func records(_ metric: Metric) throws -> [MetricRecord] {
            try store.metricRecords(MetricRecordQuery(metric: metric.name, address: band.description)).map {
                MetricRecord(metric, time: Double($0.timeMicros) / 1e6 - epoch, end: $0.endMicros.map { Double($0) / 1e6 - epoch },
                             value: $0.value)
            }
        }
        // Simulators/sleep.yaml: in bed from 45 min to 8 h 30 min.
        let period = try #require(try records(.sleepPeriod).first)
        #expect(abs(period.time - night.start) < 15 * 60 && abs((period.end ?? 0) - night.end) < 15 * 60,
                "period \(period.time / 60)-\((period.end ?? 0) / 60) min, in bed \(night.start / 60)-\(night.end / 60)")
        let asleep = (night.end - night.start) / 60 - night.periods.filter { $0.stage == .wake }.reduce(0) { $0 + ($1.end - $1.start) / 60 }
        let total = try #require(try records(.totalSleepTime).first).value
        #expect(abs(total - asleep) < 0.1 * asleep, "total sleep \(total) min, truth \(asleep)")
        for metric in [Metric.sleepOnsetLatency, .wakeAfterSleepOnset, .awakenings, .sleepEfficiency, .lightSleep, .deepSleep, .remSleep] {
            #expect(try records(metric).count == 1, "\(metric)")
        }
        // Four classes per minute against the hypnogram: the aim is 70 %.
        let stages = try records(.sleepStage)
        #expect(stages.count >= 400)
        let names: [Double: DeviceSim.SleepStage] = [0: .wake, 1: .light, 2: .deep, 3: .rem]
        let agreeing = stages.filter { names[$0.value] == body.sleepStage(at: $0.time + 30) ?? .wake }.count
        let accuracy = Double(agreeing) / Double(stages.count)
        #expect(accuracy >= 0.7, "\(agreeing) of \(stages.count) minutes staged as the truth")
        print("sleep staging on the sleep scenario: \(agreeing) of \(stages.count) minutes (\(accuracy))")

        // The day summary, under the band (no wearer claims it): the night on the day it ended,
        // each day's steps the sum of its minutes.
        let days = Dictionary(grouping: try records(.stepsDay), by: { Int(($0.time + epoch) / 86_400) })
        #expect(days.count == 2, "\(days.keys)")
        let steps = try records(.steps)
        for (day, summaries) in days {
            let sum = steps.filter { Int(($0.time + epoch) / 86_400) == day }.reduce(0) { $0 + $1.value }
            #expect(summaries.count == 1 && summaries[0].value == sum, "day \(day): \(summaries.map(\.value)) vs \(sum)")
        }
        let sleepDay = try records(.sleepTimeDay)
        #expect(sleepDay.count == 1 && sleepDay.first?.value == total
                && sleepDay.first.map { Int(($0.time + epoch) / 86_400) == Int(((period.end ?? 0) + epoch) / 86_400) } == true)
        let rmssd = try records(.rmssd).filter { $0.time >= period.time && $0.time < (period.end ?? 0) }.map(\.value)
        let nightRMSSD = try #require(try records(.rmssdNight).first).value
        #expect(!rmssd.isEmpty && abs(nightRMSSD - rmssd.reduce(0, +) / Double(rmssd.count)) < 1e-9)
    }

    /// A band that sends its raw PPG and no RR intervals: HRV from the beats in the PPG, against
    /// the beats the simulated heart made.
    @Test(.timeLimit(.minutes(5))) func aBandWithoutRRIntervalsGivesHRVFromItsPPG() throws {
        let catalog = GatewayEndToEndTests.catalog
        let yaml = """
            name: ppg-rest
            seed: 5
            duration: 16min
            start: 2025-03-01T08:00:00Z
            personas:
              - name: sitter
                age: 35
                sex: female
                heart: {resting: 62, max: 185, fitness: 0.5}
                devices:
                  - kind: wristband
                    specs: [gaitway-ppg, battery-level]
                    firmware: {sample_rate: 25}
                activity:
                  - {do: rest}
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, file: "ppg-rest.yaml", options: .init(catalog: catalog)).resolve()
        let truth = GroundTruthLog()
        let simulation = try Simulation(scenario: scenario, catalog: catalog, truth: truth)
        let band = try #require(simulation.devices.first { $0 is WristbandFirmware }).address
        let (store, _) = try Self.run(simulation, duration: 16 * 60)
        var beats: [(time: Double, rr: Double)] = []
        for case let .beat(_, time, rr, _) in truth.events { beats.append((time, rr * 1000)) }
        func records(_ metric: Metric) throws -> [MetricRecord] {
            try store.metricRecords(MetricRecordQuery(metric: metric.name, address: band.description)).map {
                MetricRecord(metric, time: Double($0.timeMicros) / 1e6, end: $0.endMicros.map { Double($0) / 1e6 }, value: $0.value)
            }
        }
        let windows = try records(.rmssd)
        #expect(windows.count >= 2, "\(windows.count) HRV windows")
        let means = try records(.meanNN)
        for (window, mean) in zip(windows, means) {
            let intervals = beats.filter { $0.time >= window.time && $0.time < (window.end ?? 0) }.map(\.rr)
            let differences = zip(intervals, intervals.dropFirst()).map { $1 - $0 }
            let rmssd = (differences.map { $0 * $0 }.reduce(0, +) / Double(differences.count)).squareRoot()
            let meanNN = intervals.reduce(0, +) / Double(intervals.count)
            // The pulse reaches the wrist a varying time after the beat: PPG RMSSD reads a little
            // high (here 12-20 %); the mean interval is the heart's.
            #expect(abs(mean.value - meanNN) < 0.01 * meanNN, "mean NN \(mean.value) vs \(meanNN)")
            #expect(abs(window.value - rmssd) < 0.25 * rmssd, "RMSSD \(window.value) vs \(rmssd)")
        }
        let quality = try records(.ppgQuality)
        #expect(quality.count >= 28 && quality.allSatisfy { $0.value > PPGBeatStream.minimumQuality })
    }
}
