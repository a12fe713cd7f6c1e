import BLEHost
import BLEWire
import Foundation
import GaitwayTestSupport
import Glibc
import ProtocolSpecs
import Synchronization
import Testing
@testable import DeviceSim

/// The issue's check: the simulator as peripheral host on one of Bumble's two virtual
/// controllers (`python -m bumble.apps.controllers`, Bumble 0.0.236 from .venv) is found
/// and read by a Bumble central (tools/bumble_central_check.py) on the other: one device
/// with legacy advertising, and several devices with one extended advertising set each. Skipped with a
/// message when .venv is missing, a failure when GAITWAY_REQUIRE_REFERENCES=1.
@Suite(.serialized) struct PeripheralHostBumbleTests {
    struct Outcome: Sendable {
        var error: String?
        var statistics: PeripheralHostStatistics?
        var aclDataLength = 0
    }

    final class Shared: Sendable {
        let stop = Atomic<Bool>(false)
        let connected = Atomic<Bool>(false)
        let outcome = Mutex(Outcome())
    }

    /// What a run of the peripheral host against a Bumble central gave.
    struct Run {
        var outcome: Outcome
        /// The central's JSON output, its exit status and the tail of its standard error.
        var json: [String: Any]
        var status: Int32
        var errors: String
        var hosted: [BDAddress]
    }

    /// Starts Bumble's two virtual controllers, a peripheral host of `devices` on the first
    /// and tools/bumble_central_check.py with `arguments` on the second; returns when the
    /// central has finished and the host has stopped. Nil (with a message) without .venv.
    static func runWithBumbleCentral(devices: [any VirtualPeripheral], arguments: [String]) async throws -> Run? {
        guard Reference.pythonAvailable(for: "Bumble peripheral-host interop") else { return nil }
        let controllers = try BumbleControllers()
        defer { controllers.stop() }
        let (hostPort, centralPort) = controllers.ports

        let shared = Shared()
        let finished = DispatchSemaphore(value: 0)
        let hosted = Mutex<[BDAddress]>([])
        // The simulation is not Sendable; the host thread is its only user from here on.
        nonisolated(unsafe) let devices = devices
        let thread = Thread {
            defer { finished.signal() }
            do {
                let transport = try Loopback.connect(port: hostPort, within: 10)
                defer { transport.close() }
                shared.connected.store(true, ordering: .relaxed)
                let host = PeripheralHost(devices: devices, transport: transport)
                defer { shared.outcome.withLock { [statistics = host.statistics, length = host.aclDataLength] in
                    $0.statistics = statistics
                    $0.aclDataLength = length
                } }
                try host.start()
                hosted.withLock { $0 = host.hostedDevices.map(\.address) }
                try host.run(until: 40) { shared.stop.load(ordering: .relaxed) }
            } catch {
                shared.outcome.withLock { $0.error = "\(error)" }
            }
        }
        thread.start()

        // Bumble's central retries nothing: start it once the controllers listen (the host got in).
        for _ in 0..<100 where !shared.connected.load(ordering: .relaxed) {
            if shared.outcome.withLock({ $0.error != nil }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let central = try await Reference.execute(Reference.python, [Reference.path("tools/bumble_central_check.py"),
                                                               "tcp-client:127.0.0.1:\(centralPort)"] + arguments)
        shared.stop.store(true, ordering: .relaxed)
        #expect(finished.wait(timeout: .now() + 10) == .success, "host thread did not stop")

        let text = central.outputText
        print("bumble_central_check.py: \(text)")
        let errors = central.errorText.suffix(3000).description
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                                "output: \(text) \(errors)")
        return Run(outcome: shared.outcome.withLock { $0 }, json: json, status: central.status, errors: errors,
                   hosted: hosted.withLock { $0 })
    }

    @Test(.timeLimit(.minutes(5))) func bumbleCentralOnTheOtherControllerReadsTheWristband() async throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")),
                                         options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let wristband = try #require(simulation.peripheralHostDevice)
        #expect(wristband.spec.role == .wristband)
        let address = wristband.address.description
        guard let run = try await Self.runWithBumbleCentral(devices: [wristband], arguments: ["--notifications", "3", "--timeout", "20"])
        else { return }
        let outcome = run.outcome, json = run.json
        #expect(outcome.error == nil, "peripheral host: \(outcome.error ?? "")")
        #expect(run.status == 0, "bumble_central_check.py: \(json) \(run.errors)")
        #expect((json["address"] as? String)?.hasPrefix(address) == true, "\(json) is not \(address)")
        #expect((json["services"] as? [String])?.contains { $0.hasSuffix("180d") } == true, "\(json)")
        #expect((json["characteristics"] as? [String])?.contains { $0.hasSuffix("2a37") } == true, "\(json)")
        let measurements = try #require(json["measurements"] as? [[String: Any]])
        #expect(measurements.count >= 3)
        #expect(measurements.allSatisfy { ($0["heart_rate"] as? Int).map { (30...220).contains($0) } ?? false })

        let statistics = try #require(outcome.statistics)
        #expect(statistics.connections == 1 && statistics.disconnections == 1, "\(statistics)")
        #expect(statistics.notificationsSent >= 3 && statistics.attributeRequests > 0, "\(statistics)")
        #expect(statistics.malformedPackets == 0 && statistics.failedCommands == 0, "\(statistics)")
        // Bumble's controllers buffer 27-byte LE ACL packets, so an MTU-sized PDU needed fragments.
        #expect(outcome.aclDataLength == 27)
    }

    /// Two wristbands (and two insoles) behind one peripheral host, one extended advertising
    /// set each: Bumble's central finds both wristbands, and reading each in turn it gets
    /// that device's own GATT server (its Serial Number String is its address) and heart
    /// rate notifications. One link at a time: Bumble's controller keys links by the peer's
    /// address, so its one central cannot hold two links to one controller at once.
    @Test(.timeLimit(.minutes(5))) func bumbleCentralReadsTwoDevicesOfOnePeripheralHost() async throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")),
                                         options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let devices = simulation.peripheralHostDevices
        let wristbands = Set(devices.filter { $0.spec.role == .wristband }.map(\.address.description))
        try #require(wristbands.count == 2, "quickstart has two wristbands")
        guard let run = try await Self.runWithBumbleCentral(
            devices: devices, arguments: ["--devices", "2", "--notifications", "2", "--timeout", "20"])
        else { return }
        let outcome = run.outcome
        #expect(outcome.error == nil, "peripheral host: \(outcome.error ?? "")")
        #expect(run.status == 0, "bumble_central_check.py: \(run.json) \(run.errors)")
        #expect(run.hosted == devices.map(\.address), "Bumble's controller has 240 sets: every device hosted")
        let read = try #require(run.json["devices"] as? [[String: Any]], "\(run.json)")
        // Bumble prints addresses with a type suffix ("C1:4D:AE:E4:8F:BD/P" or similar).
        let addresses = read.compactMap { ($0["address"] as? String)?.prefix(17).uppercased() }
        #expect(Set(addresses) == wristbands, "Bumble found \(addresses), the scenario's wristbands are \(wristbands)")
        for device in read {
            let address = (device["address"] as? String)?.prefix(17).uppercased()
            // The GATT server that answered on this link is the advertiser's own.
            #expect((device["serial"] as? String) == address, "\(device)")
            let measurements = device["measurements"] as? [[String: Any]] ?? []
            #expect(measurements.count >= 2, "\(device)")
            #expect(measurements.allSatisfy { ($0["heart_rate"] as? Int).map { (30...220).contains($0) } ?? false })
        }
        let statistics = try #require(outcome.statistics)
        #expect(statistics.connections == 2 && statistics.disconnections == 2, "\(statistics)")
        #expect(statistics.notificationsSent >= 4 && statistics.malformedPackets == 0 && statistics.failedCommands == 0,
                "\(statistics)")
    }
}
