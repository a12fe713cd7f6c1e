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
        let simulation = try Simulation.named("quickstart", catalog: catalog)
        let transport = simulation.virtualControllerTransport(pace: .virtual)
        let epoch = simulation.epoch
        let store = try GatewayStore.inMemory()
        let ingest = GatewayIngest(catalog: catalog, store: store)
        let runner = GatewayRunner(ingest: ingest, configuration: CentralConfiguration(wantedServices: GatewayEndToEndTests.wanted)) {
            GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        }
        try runner.run(duration: 50)

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
}
