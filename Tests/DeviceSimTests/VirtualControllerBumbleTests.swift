import BLEHost
import BLEWire
import Foundation
import GaitwayTestSupport
import Synchronization
import ProtocolSpecs
import Testing
@testable import DeviceSim

/// The issue's check: a Bumble central (tools/bumble_central_check.py, Bumble 0.0.236 from
/// .venv) scans the virtual controller served over TCP, connects to a simulated wristband,
/// discovers the Heart Rate service and receives measurements. Skipped with a message when
/// .venv is missing, a failure when GAITWAY_REQUIRE_REFERENCES=1.
@Suite(.serialized) struct VirtualControllerBumbleTests {
    /// What the controller thread reports back.
    struct Outcome: Sendable {
        var error: String?
        var statistics: VirtualControllerStatistics?
        var subscribed = false
        /// RR intervals of the true beats, when the peripherals came from a simulation.
        var beats: [Double] = []
    }

    /// Shared between the test and the controller thread.
    final class Shared: Sendable {
        let stop = Atomic<Bool>(false)
        let outcome = Mutex(Outcome())
    }

    /// Serves `makeController()` over TCP, runs the Bumble central against it, and returns
    /// the script's JSON (nil when Bumble is not installed and not required).
    /// `makeController` runs on the controller's thread and returns the controller and what
    /// to record in the outcome once the session is over.
    func centralSession(
        capturePath: String,
        _ makeController: @escaping @Sendable () -> (VirtualController, (inout Outcome) -> Void)
    ) async throws -> ([String: Any], Outcome)? {
        guard Reference.pythonAvailable(for: "Bumble interop") else { return nil }
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        let port = try #require(server.boundPort)
        let shared = Shared()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { finished.signal() }
            let (controller, finish) = makeController()
            do {
                let capture = try HCICaptureFile(path: capturePath)
                let runner = VirtualControllerRunner(controller: controller, transport: server, capture: capture)
                try runner.run(until: 90) { shared.stop.load(ordering: .relaxed) }
                shared.outcome.withLock {
                    $0.statistics = controller.statistics
                    finish(&$0)
                }
            } catch {
                shared.outcome.withLock { $0.error = "\(error)" }
            }
        }
        thread.start()

        let central = try await Reference.execute(Reference.python, [Reference.path("tools/bumble_central_check.py"),
                                                               "tcp-client:127.0.0.1:\(port)", "--notifications", "3", "--timeout", "40"])
        shared.stop.store(true, ordering: .relaxed)
        server.close()
        #expect(finished.wait(timeout: .now() + 10) == .success, "controller thread did not stop")
        let text = central.outputText
        print("bumble_central_check.py: \(text)")
        #expect(central.status == 0, "bumble_central_check.py: \(text) \(central.errorText.suffix(3000))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "output: \(text)")
        let outcome = shared.outcome.withLock { $0 }
        #expect(outcome.error == nil, "runner: \(outcome.error ?? "")")
        return (json, outcome)
    }

    /// The simulator's own wristband firmware (quickstart's people, with their insoles
    /// advertising around) behind the virtual controller: Bumble finds a wristband by its
    /// Heart Rate service and the RR intervals it receives are true beats.
    @Test(.timeLimit(.minutes(5))) func bumbleCentralReadsASimulatedWristband() async throws {
        let capturePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("gaitway-sim-bumble-\(ProcessInfo.processInfo.processIdentifier).btsnoop").path
        defer { try? FileManager.default.removeItem(atPath: capturePath) }
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")),
                                         options: .init(catalog: catalog))
        let addresses = scenario.devices.filter { $0.role == .wristband }.map(\.firmware.address.description)
        guard let (json, outcome) = try await centralSession(capturePath: capturePath, {
            let truth = GroundTruthLog()
            let simulation = try! Simulation(scenario: scenario, catalog: catalog, truth: truth)
            let controller = VirtualController(configuration: .init(seed: scenario.seed), peripherals: simulation.devices)
            return (controller, { outcome in
                outcome.beats = truth.events.compactMap { if case .beat(_, _, let rr, _) = $0 { rr } else { nil } }
            })
        }) else { return }
        let measurements = try #require(json["measurements"] as? [[String: Any]])
        #expect(measurements.count >= 3)
        #expect(addresses.contains(try #require(json["address"] as? String)), "\(json)")
        let reported = measurements.flatMap { ($0["rr_intervals"] as? [Double]) ?? [] }
        let beats = outcome.beats
        #expect(!reported.isEmpty)
        for rr in reported {
            #expect(beats.contains { ($0 * 1024).rounded() / 1024 == rr }, "RR \(rr) is a true beat's")
        }
    }

    @Test(.timeLimit(.minutes(5))) func bumbleCentralReceivesHeartRateMeasurements() async throws {
        let capturePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("gaitway-vctl-\(ProcessInfo.processInfo.processIdentifier).btsnoop").path
        defer { try? FileManager.default.removeItem(atPath: capturePath) }
        let bandAddress = BDAddress("F6:00:00:00:00:01")!
        guard let (json, result) = try await centralSession(capturePath: capturePath, {
            // Other devices around, as in a gym: the central must pick the Heart Rate one.
            let band = HeartRateBandDouble(address: bandAddress, advertisingInterval: 0.05, measurementPeriod: 0.25)
            let others = (1...3).map { index in
                HeartRateBandDouble(address: BDAddress(rawValue: 0xF6_00_00_00_40_00 + UInt64(index)),
                                    advertisingInterval: 0.1, name: "Band\(index)")
            }
            for other in others { other.isConnectable = false }
            return (VirtualController(peripherals: others + [band]), { $0.subscribed = band.measurementsQueued > 0 })
        }) else { return }
        if let keep = ProcessInfo.processInfo.environment["GAITWAY_KEEP_CAPTURE"] {
            try? FileManager.default.removeItem(atPath: keep)
            try? FileManager.default.copyItem(atPath: capturePath, toPath: keep)
        }
        let measurements = try #require(json["measurements"] as? [[String: Any]])
        #expect(measurements.count >= 3)
        #expect(measurements.allSatisfy { ($0["heart_rate"] as? Int).map { (60...100).contains($0) } ?? false })
        #expect((json["services"] as? [String])?.contains { $0.hasSuffix("180d") } == true, "\(json)")
        #expect((json["characteristics"] as? [String])?.contains { $0.hasSuffix("2a37") } == true, "\(json)")
        #expect(json["mtu"] as? Int == 247)
        #expect((json["address"] as? String)?.hasPrefix("F6:00:00:00:00:01") == true)

        #expect(result.subscribed)
        let statistics = try #require(result.statistics)
        #expect(statistics.unknownCommands == 0, "Bumble sent a command the controller does not know")
        #expect(statistics.malformedHostPackets == 0 && statistics.rejectedCommands == 0)
        #expect(statistics.connections == 1 && statistics.notificationsDelivered >= 3)

        // The capture is a btsnoop file (datalink 1002) with the session in it.
        let capture = try Data(contentsOf: URL(fileURLWithPath: capturePath))
        #expect(capture.prefix(8) == Data("btsnoop\0".utf8))
        #expect(Array(capture[12..<16]) == [0, 0, 0x03, 0xEA])
        #expect(capture.count > 2_000)
    }
}
