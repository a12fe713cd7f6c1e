import BLEHost
import BLEWire
import DeviceSim
import Foundation
import GaitwayTestSupport
import GatewayPipeline
import GatewayStore
import ProtocolSpecs
import Synchronization
import Testing

/// The gateway end to end against the simulator: over TCP to its virtual controller
/// (scored against the simulation's ground truth), and a live run against the replay of
/// its own capture.
@Suite(.serialized) struct GatewayEndToEndTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()
    static let wanted: Set<BluetoothUUID> = [.heartRateService, .runningSpeedAndCadenceService]

    static func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("gaitway-\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))").path
    }

    /// RR intervals as the Heart Rate Measurement carries them: 1/1024 s (HRS §3.1.1.5).
    static func quantized(_ rr: Double) -> Double { (rr * 1024).rounded() / 1024 }

    /// `stored` must be a run of consecutive true beats: found where its first values are,
    /// then equal one for one. Returns the index of the first stored beat in `truth`.
    static func alignedStart(_ stored: [Double], in truth: [Double]) -> Int? {
        let probe = min(stored.count, 8)
        guard probe > 0, truth.count >= probe else { return nil }
        return (0...(truth.count - probe)).first { start in (0..<probe).allSatisfy { truth[start + $0] == stored[$0] } }
    }

    // MARK: Over TCP, against ground truth

    /// The simulator's virtual controller serves quickstart over TCP at 10× real time (a
    /// `VirtualControllerRunner`, as `gaitway sim --hci tcp-server:` runs it); the gateway
    /// connects as `tcp-client:`. Every RR interval of every true beat from the first one
    /// stored to the end is stored, in order, to the 1/1024 s of the format.
    @Test(.timeLimit(.minutes(5))) func everyTrueBeatIsStoredOverTCP() async throws {
        let truth = GroundTruthLog()
        let simulation = try Simulation.named("quickstart", catalog: Self.catalog, truth: truth)
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        let port = try #require(server.boundPort)
        // Used only by the controller thread once started.
        nonisolated(unsafe) let controller = VirtualController(configuration: .init(seed: 3), peripherals: simulation.devices)
        let simulatedSeconds = 60.0, speed = 10.0
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        // The gateway runs until the controller has played the whole scenario, not for
        // simulatedSeconds / speed of wall time: on a loaded machine the controller runs
        // slower than 10× and a fixed wall-clock run would stop before the last beats.
        let finished = Atomic<Bool>(false)
        let thread = Thread {
            defer { finished.store(true, ordering: .releasing); done.signal() }
            do {
                guard try server.waitForHost(timeout: .seconds(20)) else {
                    failure.withLock { $0 = "no host connected" }
                    return
                }
                try VirtualControllerRunner(controller: controller, transport: server, speed: speed)
                    .run(until: simulatedSeconds + 5)
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
        }
        thread.start()

        let store = try GatewayStore.inMemory()
        let ingest = GatewayIngest(catalog: Self.catalog, store: store)
        let runner = GatewayRunner(ingest: ingest, configuration: CentralConfiguration(wantedServices: Self.wanted)) {
            GatewayController(transport: try TransportSpec.tcpClient(host: "127.0.0.1", port: port).open(timeout: .seconds(5)),
                              clock: GatewayController.wallClock, reopens: false)
        }
        // A loaded controller falls behind 10× and catches up in a burst at the end: the
        // gateway goes on for a second after the controller finished, to read what that burst
        // left in the socket.
        var finishedAt: Double?
        try await OwnThread.run {
            try runner.run(duration: 90) {
                let now = GatewayController.wallClock()
                if finishedAt == nil, finished.load(ordering: .acquiring) { finishedAt = now }
                return finishedAt.map { now - $0 >= 1 } ?? false
            }
        }
        #expect(done.wait(timeout: .now() + 20) == .success, "the controller thread did not stop")
        server.close()
        #expect(failure.withLock { $0 } == nil, "virtual controller: \(failure.withLock { $0 } ?? "")")

        let wristbands = simulation.devices.filter { $0.spec.role == .wristband }.map(\.address)
        #expect(wristbands.count == 2)
        for band in wristbands {
            let beats = truth.events.compactMap { event -> Double? in
                guard case .beat(let device, _, let rr, _) = event, device == band else { return nil }
                return Self.quantized(rr)
            }
            let stored = try store.samples(SampleQuery(address: band.description, quantity: "rr_interval")).map(\.value)
            let rates = try store.samples(SampleQuery(address: band.description, quantity: "heart_rate")).map(\.value)
            #expect(beats.count > 50, "\(band): \(beats.count) true beats in \(simulatedSeconds) s")
            #expect(stored.count >= beats.count - 15, "\(band): \(stored.count) of \(beats.count) beats stored")
            let start = try #require(Self.alignedStart(stored, in: beats), "\(band): stored RR intervals are not true beats")
            // Connecting and subscribing take a few seconds; everything after is there.
            #expect(start <= 12, "\(band): the first \(start) beats were missed")
            for (index, rr) in stored.enumerated() {
                #expect(start + index < beats.count && rr == beats[start + index], "\(band): beat \(start + index)")
            }
            #expect(start + stored.count >= beats.count - 3, "\(band): stored up to beat \(start + stored.count) of \(beats.count)")
            #expect(!rates.isEmpty && rates.allSatisfy { (35...200).contains($0) })
        }
        // The insoles' frames are stored with their device clock, and land on the gateway's
        // clock within the run.
        let insole = try #require(simulation.devices.first { $0.spec.isInsole }?.address)
        let forces = try store.samples(SampleQuery(address: insole.description, quantity: "plantar_force", limit: 1000))
        #expect(forces.count == 1000)
        #expect(forces.allSatisfy { $0.deviceTimeMicros != nil && (0..<8).contains($0.channel) })
    }

    // MARK: Replay

    /// A live run (in-process, on simulated time) records its HCI traffic; replaying that
    /// capture into a new store gives the same samples, time for time.
    @Test(.timeLimit(.minutes(5))) func replayOfACaptureStoresWhatTheLiveRunStored() throws {
        let simulation = try Simulation.named("quickstart", catalog: Self.catalog)
        let transport = simulation.virtualControllerTransport(pace: .virtual)
        let epoch = simulation.epoch
        let capturePath = Self.temporaryPath("replay.btsnoop")
        defer { try? FileManager.default.removeItem(atPath: capturePath) }

        let live = try GatewayStore.inMemory()
        let liveIngest = GatewayIngest(catalog: Self.catalog, store: live)
        let runner = GatewayRunner(ingest: liveIngest, configuration: CentralConfiguration(wantedServices: Self.wanted)) {
            GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        }
        runner.capture = try HCICaptureFile(path: capturePath)
        try runner.run(duration: 20)
        #expect(liveIngest.statistics.malformedPayloads == 0)

        let replayed = try GatewayStore.inMemory()
        let replayIngest = GatewayIngest(catalog: Self.catalog, store: replayed)
        try CaptureReplay(ingest: replayIngest).replay(capture: Array(try Data(contentsOf: URL(fileURLWithPath: capturePath))))

        func rows(_ store: GatewayStore) throws -> [String] {
            try store.samples(SampleQuery()).map {
                "\($0.gatewayTimeMicros) \($0.deviceTimeMicros ?? -1) \($0.address) \($0.quantity) \($0.channel) \($0.value)"
            }.sorted()
        }
        let liveRows = try rows(live), replayRows = try rows(replayed)
        #expect(liveRows.count > 10_000)
        #expect(liveRows.count == replayRows.count)
        #expect(liveRows == replayRows)
        #expect(Set(try live.samples(SampleQuery()).map(\.quantity)).isSuperset(of: ["heart_rate", "rr_interval", "plantar_force", "accel_z", "ppg"]))
    }
}
