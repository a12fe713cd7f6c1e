import BLEHost
import BLEWire
import DeviceSim
import Foundation
import GaitwayTestSupport
import GatewayPipeline
import GatewayStore
import Glibc
import Logging
import ProtocolSpecs
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

/// The gateway's runtime: the BLE loop stops when told (at once, even while it backs off or
/// waits for a controller), honours its duration while no controller opens, and the service
/// group commits everything handed over before it stops.
// Serialized: the synchronous runs block their thread for seconds, which would starve the
// cooperative pool (two threads here) that the service-group test runs on.
@Suite(.serialized) struct GatewayRuntimeTests {
    static let catalog = try! ProtocolCatalog.bundled()
    static let wanted: Set<BluetoothUUID> = [.heartRateService, .gaitwayInsoleService, .gaitwayWristbandService]

    /// A TCP port nothing listens on: bound, then closed again.
    static func refusedPort() throws -> UInt16 { try Loopback.refusedPort() }

    static func runner(_ spec: TransportSpec, log: LogLines = LogLines()) throws -> GatewayRunner {
        let ingest = GatewayIngest(catalog: catalog, store: try GatewayStore.inMemory())
        let runner = GatewayRunner(ingest: ingest, configuration: CentralConfiguration(wantedServices: wanted),
                                   opener: TransportOpener(spec: spec))
        runner.logger = log.logger
        return runner
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = GatewayController.wallClock()
        try body()
        return GatewayController.wallClock() - start
    }

    static var unreachableSpecs: [String] {
        [
            "tcp-client:127.0.0.1:\((try? refusedPort()) ?? 9)",  // connection refused
            "tcp-server:127.0.0.1:0",  // a server no controller connects to
            "unix:/tmp/gaitway-no-such-socket-\(getpid())",
            "serial:/dev/gaitway-no-such-uart",
        ]
    }

    /// `--duration` counts while the controller cannot be opened: the run ends on time (it
    /// used to retry forever), each failed attempt is logged with its delay.
    @Test(.timeLimit(.minutes(5)), arguments: unreachableSpecs)
    func theDurationIsHonouredWhileNoControllerOpens(spec: String) throws {
        let log = LogLines()
        let runner = try Self.runner(try TransportSpec(parsing: spec), log: log)
        let elapsed = try Self.seconds { try runner.run(duration: 2) }
        #expect(elapsed >= 1.9 && elapsed < 3.2, "\(spec): ran \(elapsed) s of a 2 s duration")
        if spec.hasPrefix("tcp-server") {
            #expect(log.messages(atLeast: .info).contains { $0.hasPrefix("waiting for a controller to connect on tcp-server:127.0.0.1:") })
        } else {
            let errors = log.messages(atLeast: .error)
            #expect(errors.count == 1, "\(errors)")  // rate-limited: one line per ten seconds
            #expect(errors.first?.contains("retrying in 1 s") == true, "\(errors)")
        }
    }

    /// A stop request ends a backoff or a wait for a host within a fraction of a second.
    @Test(.timeLimit(.minutes(5)), arguments: unreachableSpecs)
    func aStopRequestEndsTheRunAtOnce(spec: String) throws {
        let runner = try Self.runner(try TransportSpec(parsing: spec))
        let stop = runner.stop
        let asker = Thread {
            Thread.sleep(forTimeInterval: 1.2)
            stop.request()
        }
        asker.start()
        let elapsed = try Self.seconds { try runner.run() }
        #expect(elapsed >= 1.1 && elapsed < 2.0, "\(spec): stopped \(elapsed - 1.2) s after the request")
    }

    /// The BLE, store and status services in one group: a graceful shutdown (what SIGTERM
    /// triggers) stops the BLE thread, and every sample it handed over is committed before
    /// the group returns.
    @Test(.timeLimit(.minutes(5))) func aGracefulShutdownCommitsEverythingHandedOver() async throws {
        let store = try GatewayStore.inMemory()
        let queue = StoreQueue(capacity: 2)
        let ingest = GatewayIngest(catalog: Self.catalog, handoff: queue, commitInterval: 0.25)
        ingest.logger = LogLines().logger
        let simulation = try Simulation.named("quickstart", catalog: Self.catalog,
                                              epoch: GatewayController.wallClock())
        let transport = simulation.virtualControllerTransport(pace: .realTime(speed: 1))
        let epoch = simulation.epoch
        let runner = GatewayRunner(ingest: ingest, configuration: CentralConfiguration(wantedServices: Self.wanted)) {
            GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        }
        let logger = LogLines().logger
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: StoreService(store: store, queue: queue, logger: logger)),
                .init(service: BLEService(runner: runner, queue: queue, duration: nil, logger: logger),
                      successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger))
        let start = GatewayController.wallClock()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .seconds(4))
                trigger.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
        // The stop itself takes well under a second; the slack is for other suites' synchronous
        // tests, which can hold the cooperative pool's threads meanwhile.
        let elapsed = GatewayController.wallClock() - start
        #expect(elapsed < 10, "the group took \(elapsed - 4) s to stop")
        let handedOver = ingest.statistics.committedSamples
        #expect(handedOver > 100, "\(ingest.statistics) \(ingest.devices.values.map { "\($0.address) \($0.connected) \($0.subscribed)" })")
        #expect(handedOver == ingest.statistics.samples)
        #expect(queue.progress.committedSamples == handedOver)
        #expect(try store.counts().samples == handedOver)
    }

    /// While the store is behind (its queue full), the BLE side keeps the rows, up to its
    /// bound; beyond it, payloads are shed and counted, and nothing blocks.
    @Test func payloadsBeyondTheBoundAreShedWhileTheStoreIsBehind() throws {
        let queue = StoreQueue(capacity: 1)
        let ingest = GatewayIngest(catalog: Self.catalog, handoff: queue, commitInterval: 1)
        ingest.logger = LogLines().logger
        ingest.maximumPendingSamples = 10
        let band = BDAddress("C0:00:00:00:00:01")!
        // Heart rate 72 with two RR intervals: three samples a payload.
        let payload: [UInt8] = [0x10, 72, 0x00, 0x04, 0x00, 0x04]
        for second in 0..<20 {
            ingest.ingestValue(payload.span.bytes, of: .heartRateMeasurement, kind: .notification, from: band,
                               at: 1_000 + Double(second))
            try ingest.commitIfDue(at: 1_000 + Double(second))
        }
        // The first hand-over filled the queue (nobody consumes it); the batch then grew to
        // its bound of 10 samples (4 payloads) and the rest were shed.
        #expect(queue.progress.pendingBatches == 1)
        #expect(ingest.statistics.shedPayloads > 0)
        #expect(ingest.statistics.samples + 3 * ingest.statistics.shedPayloads == 60)
    }
}
