import BLEHost
import BLEWire
import DeviceSim
import GatewayPipeline
import GatewayStore
import Logging
import ProtocolSpecs
import Testing

/// More devices than the controller's link limit: the simulator's virtual controller takes
/// two links and refuses the third with Connection Limit Exceeded (0x09). The gateway learns
/// the limit, says once which devices wait, logs no warning per refused attempt, and
/// connects a waiting device when a link frees up.
@Suite struct ConnectionLimitTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()
    static let wanted: Set<BluetoothUUID> = [.heartRateService, .runningSpeedAndCadenceService]

    @Test(.timeLimit(.minutes(5))) func devicesBeyondTheLimitWaitAndAreSaidOnce() throws {
        let simulation = try Simulation.named("quickstart", catalog: Self.catalog, epoch: 1_795_255_200)
        let controller = VirtualController(configuration: .init(maximumConnections: 2, seed: 7), peripherals: simulation.devices)
        let transport = VirtualControllerTransport(controller: controller, pace: .virtual)
        let epoch = simulation.epoch
        let log = LogLines()
        let ingest = GatewayIngest(catalog: Self.catalog, store: try GatewayStore.inMemory())
        ingest.logger = log.logger
        var firstLinks: [BDAddress] = []
        var terminated = false
        let runner = GatewayRunner(ingest: ingest, configuration: CentralConfiguration(wantedServices: Self.wanted)) {
            GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        }
        runner.logger = log.logger
        runner.onTick = { host, now in
            // At 30 s one of the two connected devices reboots: its link frees up.
            if !terminated, now - epoch >= 30, let peer = host.peers.first {
                terminated = true
                firstLinks = host.peers.map(\.address)
                controller.schedule(.terminate(peer.address, reason: 0x15), at: controller.now)
            }
        }
        try runner.run(duration: 150)

        let host = try #require(runner.host)
        #expect(host.queue.learnedLimit == 2)
        #expect(host.statistics.refusedForRoom >= 1)
        let warnings = log.messages(atLeast: .warning)
        #expect(warnings.isEmpty, "\(warnings)")
        let said = log.messages(atLeast: .info).filter { $0.contains("wait for a free link") }
        #expect(said.count == 1, "\(log.text)")
        let waitingAtFirst = Set(simulation.devices.map(\.address)).subtracting(firstLinks)
        #expect(firstLinks.count == 2 && waitingAtFirst.count == 2)
        for address in waitingAtFirst { #expect(said.first?.contains(address.description) == true, "\(said)") }
        #expect(said.first?.contains("2 devices wait") == true, "\(said)")
        // The freed link went to a device that waited, and the change was reported (at most
        // one line per 30 s of the 120 s after the first report).
        let connectedLater = log.messages(atLeast: .info).filter { $0.hasPrefix("connected to") }
            .compactMap { line in waitingAtFirst.first { line.contains($0.description) } }
        #expect(!connectedLater.isEmpty, "\(log.text)")
        let changes = log.messages(atLeast: .info).filter { $0.contains("wait for a link") }
        #expect((1...4).contains(changes.count), "\(changes)")
        #expect(host.peers.count == 2)
    }
}
