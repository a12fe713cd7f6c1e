import BLEHost
import BLEWire
import Foundation
import Synchronization
import Testing
@testable import DeviceSim

/// The issue's check: a Bumble central (tools/bumble_central_check.py, Bumble 0.0.236 from
/// .venv) scans the virtual controller served over TCP, connects to a simulated wristband,
/// discovers the Heart Rate service and receives measurements. Skipped with a message when
/// .venv is missing, a failure when GAITWAY_REQUIRE_REFERENCES=1.
@Suite(.serialized) struct VirtualControllerBumbleTests {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // this file, DeviceSimTests, Tests
        return url
    }()
    static var python: String { repository.appendingPathComponent(".venv/bin/python").path }
    static var required: Bool { ProcessInfo.processInfo.environment["GAITWAY_REQUIRE_REFERENCES"] == "1" }

    /// What the controller thread reports back.
    struct Outcome: Sendable {
        var error: String?
        var statistics: VirtualControllerStatistics?
        var subscribed = false
    }

    /// Shared between the test and the controller thread.
    final class Shared: Sendable {
        let stop = Atomic<Bool>(false)
        let outcome = Mutex(Outcome())
    }

    @Test(.timeLimit(.minutes(2))) func bumbleCentralReceivesHeartRateMeasurements() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python) else {
            let message = "Bumble interop skipped: .venv missing (run tools/bootstrap.sh)"
            if Self.required { Issue.record(Comment(rawValue: message)) } else { print(message) }
            return
        }
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        let port = try #require(server.boundPort)
        let capturePath = FileManager.default.temporaryDirectory
            .appendingPathComponent("gaitway-vctl-\(ProcessInfo.processInfo.processIdentifier).btsnoop").path
        defer { try? FileManager.default.removeItem(atPath: capturePath) }

        let shared = Shared()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { finished.signal() }
            // Other devices around, as in a gym: the central must pick the Heart Rate one.
            let band = HeartRateBandDouble(address: BDAddress("F6:00:00:00:00:01")!, advertisingInterval: 0.05,
                                           measurementPeriod: 0.25)
            let others = (1...3).map { index in
                HeartRateBandDouble(address: BDAddress(rawValue: 0xF6_00_00_00_40_00 + UInt64(index)),
                                    advertisingInterval: 0.1, name: "Band\(index)")
            }
            for other in others { other.isConnectable = false }
            let controller = VirtualController(peripherals: others + [band])
            do {
                let capture = try HCICaptureFile(path: capturePath)
                let runner = VirtualControllerRunner(controller: controller, transport: server, capture: capture)
                try runner.run(until: 90) { shared.stop.load(ordering: .relaxed) }
                shared.outcome.withLock {
                    $0.statistics = controller.statistics
                    $0.subscribed = band.measurementsQueued > 0
                }
            } catch {
                shared.outcome.withLock { $0.error = "\(error)" }
            }
        }
        thread.start()

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.repository.appendingPathComponent("tools/bumble_central_check.py").path,
                             "tcp-client:127.0.0.1:\(port)", "--notifications", "3", "--timeout", "40"]
        process.currentDirectoryURL = Self.repository
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        shared.stop.store(true, ordering: .relaxed)
        server.close()
        #expect(finished.wait(timeout: .now() + 10) == .success, "controller thread did not stop")

        let text = String(decoding: outputData, as: UTF8.self)
        print("bumble_central_check.py: \(text)")
        if let keep = ProcessInfo.processInfo.environment["GAITWAY_KEEP_CAPTURE"] {
            try? FileManager.default.removeItem(atPath: keep)
            try? FileManager.default.copyItem(atPath: capturePath, toPath: keep)
        }
        #expect(process.terminationStatus == 0, "bumble_central_check.py: \(text) \(String(decoding: errorData, as: UTF8.self).suffix(3000))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "output: \(text)")
        let measurements = try #require(json["measurements"] as? [[String: Any]])
        #expect(measurements.count >= 3)
        #expect(measurements.allSatisfy { ($0["heart_rate"] as? Int).map { (60...100).contains($0) } ?? false })
        #expect((json["services"] as? [String])?.contains { $0.hasSuffix("180d") } == true, "\(json)")
        #expect((json["characteristics"] as? [String])?.contains { $0.hasSuffix("2a37") } == true, "\(json)")
        #expect(json["mtu"] as? Int == 247)
        #expect((json["address"] as? String)?.hasPrefix("F6:00:00:00:00:01") == true)

        let result = shared.outcome.withLock { $0 }
        #expect(result.error == nil, "runner: \(result.error ?? "")")
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
