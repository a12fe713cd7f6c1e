import BLEHost
import BLEWire
import DeviceSim
import Dissector
import Foundation
import GaitwayTestSupport
import GatewayPipeline
import GatewayStore
import ProtocolSpecs
import Synchronization
import Testing

/// The gateway end to end over a link stack nobody here wrote: Bumble's two virtual
/// controllers (`python -m bumble.apps.controllers`, Bumble 0.0.236 from .venv) on one
/// virtual link, the gateway (`GatewayRunner`, in process, wall clock, a store file) on one,
/// and on the other either Bumble's own Heart Rate peripheral (tools/hr_peripheral.py) or
/// the simulator as the peripheral host of a wristband. Skipped with a message when .venv is
/// missing, a failure when GAITWAY_REQUIRE_REFERENCES=1.
///
/// Bumble's known limits shape the setup (the design's ARCHITECTURE.md, "Validation against
/// things no one here wrote"): its LocalLink routes LE ACL by the sender's random address,
/// so both sides use a random static address; legacy non-connectable advertising is not
/// delivered, so the peripherals advertise connectable; only one peripheral per link
/// notifies reliably (bumble issue 136), so each test has just one.
@Suite(.serialized) struct GatewayBumbleTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()
    /// Random static addresses (the two top bits 0b11, Vol 6, Part B, §1.3.2.1).
    static let gatewayAddress = BDAddress("C1:C2:C3:C4:C5:C6")!
    static let heartRatePeripheralAddress = BDAddress("F1:F2:F3:F4:F5:F6")!

    static func gateway(store: GatewayStore, controllerPort: UInt16, log: LogLines) -> GatewayRunner {
        let ingest = GatewayIngest(catalog: catalog, store: store)
        ingest.logger = log.logger
        let configuration = CentralConfiguration(allow: [.service(.heartRateService)], ownRandomAddress: gatewayAddress)
        return GatewayRunner(ingest: ingest, configuration: configuration) {
            // The controller app listens a moment after it starts.
            GatewayController(transport: try Loopback.connect(port: controllerPort, within: 10),
                              clock: GatewayController.wallClock, reopens: false)
        }
    }

    /// `stored` is `sent` whole, or `sent` without at most `slack` values at either end.
    /// Returns where in `sent` it starts.
    static func window<T: Equatable>(_ stored: [T], in sent: [T], slack: Int) -> Int? {
        guard stored.count <= sent.count, sent.count - stored.count <= 2 * slack else { return nil }
        return (0...min(slack, sent.count - stored.count)).first { start in
            sent.count - (start + stored.count) <= slack && Array(sent[start..<(start + stored.count)]) == stored
        }
    }

    // MARK: Bumble's Heart Rate peripheral

    /// tools/hr_peripheral.py on controller 1: Bumble's Heart Rate Service (and Battery
    /// Service) sending 40 measurements at 4 per second once the gateway subscribed: rates
    /// 60..180 in the 8- and 16-bit formats, 0-2 RR intervals (Bumble truncating seconds to
    /// 1/1024 s), energy expended, each sensor contact state. Every value Bumble says it sent
    /// is stored, in order, equal to the value on the air (RR exactly units / 1024); the
    /// Battery Level is read once; connection, name and disconnection are recorded.
    @Test(.timeLimit(.minutes(5))) func everyMeasurementOfABumbleHeartRatePeripheralIsStored() async throws {
        guard Reference.pythonAvailable(for: "Gateway vs Bumble Heart Rate peripheral") else { return }
        let directory = try Reference.temporaryDirectory("bumble-hr")
        defer { try? FileManager.default.removeItem(at: directory) }
        let controllers = try BumbleControllers()
        defer { controllers.stop() }
        let count = 40, battery = 87
        let peripheral = CollectedProcess(executable: Reference.python, arguments: [
            Reference.repository.appendingPathComponent("tools/hr_peripheral.py").path,
            "tcp-client:127.0.0.1:\(controllers.ports.first)", "--count", "\(count)", "--rate", "4",
            "--battery", "\(battery)", "--address", Self.heartRatePeripheralAddress.description, "--timeout", "25",
        ])
        try peripheral.start()
        defer { peripheral.kill() }

        let store = try GatewayStore(path: directory.appendingPathComponent("gateway.sqlite").path)
        defer { try? store.close() }
        let log = LogLines()
        let runner = Self.gateway(store: store, controllerPort: controllers.ports.second, log: log)
        // Until a second after the peripheral exited (it disconnects first), at most 40 s.
        var exitedAt: Double?
        try await OwnThread.run {
            try runner.run(duration: 40) {
                let now = GatewayController.wallClock()
                if exitedAt == nil, !peripheral.isRunning { exitedAt = now }
                return exitedAt.map { now - $0 >= 1 } ?? false
            }
        }
        if await !peripheral.wait(seconds: 5) {
            Issue.record("hr_peripheral.py did not exit")
            peripheral.kill()
        }
        let lines = peripheral.jsonLines
        #expect(peripheral.terminationStatus == 0, """
            hr_peripheral.py: \(peripheral.errorText.suffix(3000))
            \(peripheral.outputText.suffix(2000))
            gateway:
            \(log.text)
            """)

        // What Bumble sent: its own decoding of the bytes that went out.
        let sent = lines.filter { $0["event"] as? String == "notification" }
        #expect(sent.count == count, "\(sent.count) notifications of \(count) sent")
        #expect(sent.map { $0["index"] as? Int } == Array(0..<sent.count).map { $0 })
        #expect(lines.contains { $0["event"] as? String == "subscribed" })
        let sentRates = sent.map { ($0["heart_rate"] as? Int).map(Double.init) ?? -1 }
        let sentRR = sent.flatMap { ($0["rr_raw"] as? [Int] ?? []).map { Double($0) / 1024 } }
        let sentEnergy = sent.compactMap { ($0["energy_expended"] as? Int).map(Double.init) }
        // The script's two views of RR (raw units, Bumble's seconds) agree.
        #expect(sentRR == sent.flatMap { $0["rr_intervals"] as? [Double] ?? [] })
        // The sequence exercises what it claims to: both rate formats, RR and energy.
        #expect(sent.contains { $0["uint16"] as? Bool == true } && sent.contains { $0["uint16"] as? Bool == false })
        #expect(sentRR.count >= 20 && sentEnergy.count >= 10)
        let done = lines.first { $0["event"] as? String == "done" }
        #expect(done?["battery_reads"] as? Int == 1, "\(done.map { "\($0)" } ?? "no 'done' line")")

        let address = Self.heartRatePeripheralAddress.description
        func values(_ quantity: String) throws -> [Double] {
            try store.samples(SampleQuery(address: address, quantity: quantity)).map(\.value)
        }
        let rates = try values("heart_rate"), rr = try values("rr_interval"), energy = try values("energy_expended")
        print("Bumble HR peripheral: \(sent.count) notifications sent; stored \(rates.count) heart rates, "
              + "\(rr.count) RR intervals, \(energy.count) energy values")
        #expect(rates.count == count, "\(rates.count) heart rates stored of \(count) sent\ngateway:\n\(log.text)")
        #expect(rates == sentRates)
        #expect(rr == sentRR)
        #expect(energy == sentEnergy)
        // Live, not bunched up: 40 at 4 per second span about 9.75 s of arrival times.
        let times = try store.samples(SampleQuery(address: address, quantity: "heart_rate")).map(\.gatewayTimeMicros)
        if let first = times.first, let last = times.last { #expect(last - first > 7_000_000, "\(times)") }

        // Battery Level: read once after discovery (Bumble's Battery Service also offers
        // notifications, which the script never sends).
        #expect(try values("battery_level") == [Double(battery)])
        var reads: [StoredRawPayload] = []
        try store.forEachRawPayload(address: address) { if $0.source == "read" { reads.append($0) } }
        #expect(reads.map(\.bytes) == [[UInt8(battery)]] && reads.first?.uuid == BluetoothUUID.batteryLevel.description)

        let device = try store.devices().first { $0.address == address }
        #expect(device?.name == "Gaitway HRP" && device?.isQuarantined == false)
        let events = try store.events(address: address).map(\.kind)
        #expect(events == [DeviceEventKind.connected, DeviceEventKind.disconnected], "\(events)")
        #expect(runner.ingest.statistics.malformedPayloads == 0)
        #expect(runner.transportLosses == 0)
    }

    // MARK: The simulator as peripheral host

    /// What the peripheral host reports back from its thread.
    struct HostOutcome: Sendable {
        var error: String?
        var statistics: PeripheralHostStatistics?
    }

    final class HostShared: Sendable {
        let stop = Atomic<Bool>(false)
        let finished = Atomic<Bool>(false)
        let outcome = Mutex(HostOutcome())
    }

    /// One notification the peripheral host sent, from its own capture.
    struct SentNotification {
        var uuid: String
        var bytes: [UInt8]
        var timeMicros: Int64
        var samples: [DecodedValue.Sample] = []
    }

    /// The quickstart scenario's first wristband hosted by `PeripheralHost` on controller 1
    /// (its own thread, wall clock), the gateway on controller 2, for 15 s. The host's btsnoop
    /// capture is the device's own record of what it sent; decoded with the Dissector, its
    /// notifications are what the store must hold: every characteristic's payloads byte for
    /// byte and in order, the Heart Rate Measurements' heart rates and RR intervals value for
    /// value (at most one notification missing at either edge of the connection), each
    /// stored within 2 s of being sent, and the RR intervals are true beats of the simulation.
    @Test(.timeLimit(.minutes(5))) func whatTheSimulatorSentAsPeripheralHostOverBumbleIsStored() async throws {
        guard Reference.pythonAvailable(for: "Gateway vs simulator peripheral host over Bumble") else { return }
        let directory = try Reference.temporaryDirectory("bumble-sim")
        defer { try? FileManager.default.removeItem(at: directory) }
        let truth = GroundTruthLog()
        let simulation = try Simulation.named("quickstart", catalog: Self.catalog, truth: truth)
        let wristband = try #require(simulation.peripheralHostDevice)
        #expect(wristband.spec.role == .wristband)
        let address = wristband.address
        let controllers = try BumbleControllers()
        defer { controllers.stop() }

        let capturePath = directory.appendingPathComponent("peripheral.btsnoop").path
        let shared = HostShared()
        let hostDone = DispatchSemaphore(value: 0)
        let hostPort = controllers.ports.first
        // The simulation is not Sendable; the host thread is its only user until hostDone.
        nonisolated(unsafe) let device = wristband
        let thread = Thread {
            defer {
                shared.finished.store(true, ordering: .releasing)
                hostDone.signal()
            }
            do {
                let transport = try Loopback.connect(port: hostPort, within: 10)
                defer { transport.close() }
                // Capture times on the wall clock, as the gateway's: epoch + simulation time.
                let capture = try HCICaptureFile(path: capturePath, epoch: GatewayController.wallClock())
                let host = PeripheralHost(device: device, transport: transport, capture: capture)
                defer { shared.outcome.withLock { [statistics = host.statistics] in $0.statistics = statistics } }
                try host.run(until: 50) { shared.stop.load(ordering: .relaxed) }
            } catch {
                shared.outcome.withLock { $0.error = "\(error)" }
            }
        }
        thread.start()
        defer {
            // On an early exit (a throw): the thread must stop before the files go.
            shared.stop.store(true, ordering: .relaxed)
            if !shared.finished.load(ordering: .acquiring) { _ = hostDone.wait(timeout: .now() + 10) }
        }

        let store = try GatewayStore(path: directory.appendingPathComponent("gateway.sqlite").path)
        defer { try? store.close() }
        let log = LogLines()
        let runner = Self.gateway(store: store, controllerPort: controllers.ports.second, log: log)
        // 15 s, then the peripheral host stops first (it disconnects the gateway), so that
        // everything it sent has its chance to arrive; the gateway stops once it saw the
        // disconnection, or 3 s later.
        let start = GatewayController.wallClock()
        var stopAskedAt: Double?
        try await OwnThread.run {
            try runner.run(duration: 30) {
                let now = GatewayController.wallClock()
                if stopAskedAt == nil, now - start >= 15 {
                    shared.stop.store(true, ordering: .relaxed)
                    stopAskedAt = now
                }
                guard let asked = stopAskedAt else { return false }
                let disconnected = runner.ingest.devices[address]?.connected != true
                let hostStopped = shared.finished.load(ordering: .acquiring)
                return (hostStopped && disconnected && now - asked >= 0.2) || now - asked >= 3
            }
        }
        shared.stop.store(true, ordering: .relaxed)  // in case the gateway stopped early
        #expect(hostDone.wait(timeout: .now() + 10) == .success, "the peripheral host did not stop")
        let outcome = shared.outcome.withLock { $0 }
        #expect(outcome.error == nil, "peripheral host: \(outcome.error ?? "")\ngateway:\n\(log.text)")
        let statistics = try #require(outcome.statistics)
        #expect(statistics.connections == 1 && statistics.malformedPackets == 0 && statistics.failedCommands == 0,
                "\(statistics)")

        // The device's own record: its capture, decoded as tshark would.
        var sent: [SentNotification] = []
        var decodeErrors: [String] = []
        var dissector = CaptureDissector(catalog: Self.catalog)
        dissector.onValue = { data, uuid, source, server, micros in
            guard source == .notification, server == address else { return }
            sent.append(SentNotification(uuid: uuid?.description ?? "?", bytes: data.withUnsafeBytes { Array($0) },
                                         timeMicros: micros))
        }
        var decodedCount = 0
        let captureBytes = Array(try Data(contentsOf: URL(fileURLWithPath: capturePath)))
        try dissector.dissect(file: captureBytes.span.bytes) { value in
            if let error = value.error { decodeErrors.append("frame \(value.frame): \(error)") }
            guard value.source == .notification, value.address == address else { return }
            // onValue ran just before for the same value: pair them.
            if decodedCount < sent.count { sent[decodedCount].samples = value.samples }
            decodedCount += 1
        }
        #expect(decodeErrors.isEmpty, "\(decodeErrors.prefix(5))")
        #expect(decodedCount == sent.count)

        // What the gateway stored: the raw payloads as they arrived, per characteristic.
        var stored: [String: [StoredRawPayload]] = [:]
        try store.forEachRawPayload(address: address.description) { payload in
            if payload.source == "notification" { stored[payload.uuid, default: []].append(payload) }
        }
        let sentByCharacteristic = Dictionary(grouping: sent, by: \.uuid)
        #expect(Set(stored.keys) == Set(sentByCharacteristic.keys),
                "stored \(stored.keys.sorted()), sent \(sentByCharacteristic.keys.sorted())")
        for (uuid, notifications) in sentByCharacteristic {
            let payloads = stored[uuid] ?? []
            #expect(Self.window(payloads.map(\.bytes), in: notifications.map(\.bytes), slack: 1) != nil,
                    "\(uuid): \(payloads.count) payloads stored of \(notifications.count) sent, or not the same")
        }

        // Heart Rate Measurement: the sent window's values are the stored ones.
        let heartRate = BluetoothUUID.heartRateMeasurement.description
        let sentHR = sentByCharacteristic[heartRate] ?? []
        let storedHR = stored[heartRate] ?? []
        #expect(sentHR.count >= 10, "\(sentHR.count) Heart Rate Measurements sent in 15 s\ngateway:\n\(log.text)")
        let first = try #require(Self.window(storedHR.map(\.bytes), in: sentHR.map(\.bytes), slack: 1),
                                 "stored Heart Rate Measurements are not what the peripheral host sent")
        let window = sentHR[first..<(first + storedHR.count)]
        func sentValues(_ quantity: String) -> [Double] {
            window.flatMap { $0.samples.filter { $0.quantity == quantity }.map(\.value) }
        }
        let rates = try store.samples(SampleQuery(address: address.description, quantity: "heart_rate")).map(\.value)
        let rr = try store.samples(SampleQuery(address: address.description, quantity: "rr_interval")).map(\.value)
        print("simulator over Bumble: \(sent.count) notifications sent (\(sentHR.count) HRM), "
              + "\(stored.values.map(\.count).reduce(0, +)) stored (\(storedHR.count) HRM, from \(first)); "
              + "\(rates.count) heart rates, \(rr.count) RR intervals")
        #expect(rates.count >= 10 && rr.count >= 10, "\(rates.count) heart rates, \(rr.count) RR intervals stored")
        #expect(rates == sentValues("heart_rate"))
        #expect(rr == sentValues("rr_interval"))
        #expect(rates.allSatisfy { (35...200).contains($0) })
        // Each arrived within 2 s of leaving the peripheral host (both on the wall clock).
        for (notification, payload) in zip(window, storedHR) {
            let delay = Double(payload.gatewayTimeMicros - notification.timeMicros) / 1_000_000
            #expect((-0.1...2).contains(delay), "stored \(delay) s after it was sent")
        }

        // And the RR intervals are the simulation's true beats, consecutive, to 1/1024 s.
        let beats = truth.events.compactMap { event -> Double? in
            guard case .beat(let beatDevice, _, let interval, _) = event, beatDevice == address else { return nil }
            return (interval * 1024).rounded() / 1024
        }
        let beatStart = (0...max(0, beats.count - rr.count)).first { start in
            start + rr.count <= beats.count && Array(beats[start..<(start + rr.count)]) == rr
        }
        #expect(!rr.isEmpty && beatStart != nil, "stored RR intervals are not consecutive true beats")
        #expect(runner.ingest.statistics.malformedPayloads == 0)
    }
}
