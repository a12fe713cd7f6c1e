import ArgumentParser
import BLEHost
import DeviceSim
import Foundation
import ProtocolSpecs

/// `gaitway sim`: synthetic smart shoes and wristbands from a scenario file.
struct Sim: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate smart shoes and wristbands from a scenario, offline or over real HCI.",
        discussion: """
            Without --hci the run is offline: as fast as the machine allows, as if a host had \
            connected to every device and subscribed to everything it notifies; --btsnoop writes \
            what that host saw, --truth the ground truth (beats, heel strikes, toe-offs, activity, \
            faults) on the capture's clock.

            With --hci tcp-server:HOST:PORT or unix-server:PATH the simulator is a virtual \
            controller: one host (a gateway, Bumble, BlueZ's btproxy) connects over H4 and finds \
            every device advertising. With --hci tcp-client:HOST:PORT, unix:PATH or hci-socket:N it \
            is the peripheral host of the scenario's devices on an external controller (e.g. one \
            of Bumble's virtual controllers): one extended advertising set per device, as many as \
            the controller has sets, or only the first wristband on a controller with legacy \
            advertising alone.

            Scenarios: quickstart, gym-100, parkinson-clinic, fault-storm, replay-gaitpdb, replay-ppg, \
            replay-rr, wrist-day, sleep (in Simulators/), or the path of your own YAML file (Simulators/README.md).

            Examples:
              gaitway sim --scenario quickstart --duration 60 --btsnoop quick.btsnoop --truth truth.jsonl
              gaitway sim --scenario gym-100 --duration 600 --devices 500
              gaitway sim --scenario quickstart --hci tcp-server:127.0.0.1:9001
              gaitway sim --scenario quickstart --hci tcp-client:127.0.0.1:9001
            """
    )

    @Option(help: "Scenario name (in Simulators/) or YAML file.")
    var scenario: String = "quickstart"

    @Option(parsing: .unconditional, help: "Random seed, 0 to 18446744073709551615 (the scenario's own seed when absent). Same seed, same bytes.",
            transform: { text throws(NumberArgument.Invalid) in try NumberArgument.integer(text, in: UInt64.min...UInt64.max) })
    var seed: UInt64?

    @Option(parsing: .unconditional, help: "Seconds to simulate, at most 2592000 (30 days; the scenario's duration when absent).",
            transform: { text throws(NumberArgument.Invalid) in try NumberArgument.seconds(text, atMost: Self.maximumDuration) })
    var duration: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Scale the scenario to this many devices: 1 to 1000000, and no more than the memory available holds (64 kB each).",
        valueName: "N"),
            transform: { text throws(NumberArgument.Invalid) in try NumberArgument.integer(text, in: 1...Self.maximumDevices) })
    var devices: Int?

    @Option(parsing: .unconditional, help: "Time factor against the wall clock with --hci, 0.001 to 1000 (2 = twice as fast).",
            transform: { text throws(NumberArgument.Invalid) in try NumberArgument.real(text, in: Self.speedRange) })
    var speed: Double = 1

    @Option(help: ArgumentHelp(
        "HCI transport: tcp-server:HOST:PORT or unix-server:PATH (virtual controller), tcp-client:HOST:PORT, unix:PATH or hci-socket:N (peripheral host on an external controller).",
        valueName: "SPEC"))
    var hci: String?

    @Option(parsing: .unconditional, help: "Links the virtual controller takes at once, 1 to 3839 (--hci tcp-server: / unix-server:).",
            transform: { text throws(NumberArgument.Invalid) in try NumberArgument.integer(text, in: GatewaySettings.maxConnectionsRange) })
    var maxConnections: Int = 64

    @Option(help: "Write the host-side HCI traffic as a btsnoop capture.")
    var btsnoop: String?

    @Option(help: "Write ground truth as JSON lines.")
    var truth: String?

    @OptionGroup var protocols: ProtocolOptions

    /// DeviceSim's own bound on a scenario's duration (ScenarioParser.maximumDuration).
    static let maximumDuration = 30 * 86_400.0
    /// DeviceSim's own bound on `--devices` (ScenarioResolver).
    static let maximumDevices = 1_000_000
    /// Slower than a thousandth of real time or faster than a thousand times, the pacing's
    /// waits (simulated seconds over the factor) leave the range a poll timeout holds.
    static let speedRange = 0.001...1000.0

    func validate() throws {
        if let devices, let problem = SimulatorMemory.problem(devices: devices) { throw ValidationError(problem) }
        for (option, path) in [("--btsnoop", btsnoop), ("--truth", truth)] {
            if let path, let problem = FileArgument.problem(path, option: option, mustExist: false) {
                throw ValidationError(problem)
            }
        }
    }

    func run() throws {
        let catalog = try protocols.loadCatalog()
        guard let file = ScenarioLoader.locate(scenario) else {
            throw CleanExit.failure("no scenario '\(scenario)': give a name from Simulators/ or a YAML file")
        }
        let resolved: Scenario
        do {
            resolved = try Scenario.load(file: file, options: .init(catalog: catalog), seed: seed, devices: devices,
                                         duration: duration)
        } catch {
            throw CleanExit.failure("\(error)")
        }
        // A scenario file may ask for many devices of its own accord.
        if let problem = SimulatorMemory.problem(devices: resolved.devices.count) { throw CleanExit.failure(problem) }
        let truthFile = try truth.map(Self.create)
        let truthSink = truthFile.map(GroundTruthFile.init)
        let seconds = resolved.duration

        if let hci {
            // Live: the capture and the truth are on the wall clock.
            let simulation = try Simulation(scenario: resolved, catalog: catalog, truth: truthSink,
                                            epoch: Date().timeIntervalSince1970)
            try serve(simulation, on: hci, duration: seconds)
            truthSink?.flush()
            try truthFile?.close()
            return
        }
        let simulation = try Simulation(scenario: resolved, catalog: catalog, truth: truthSink)
        let captureFile = try btsnoop.map(Self.create)
        let run = OfflineRun(simulation: simulation, captureFile: captureFile)
        // Int(_:) of seconds below cannot trap: the scenario's duration is at most 30 days
        // (--duration is read against that bound; DeviceSim's parser bounds a file's).
        let terminal = isatty(STDERR_FILENO) != 0
        let started = Date()
        try run.run(duration: seconds) { time in
            guard terminal else { return }
            let percent = Int(time / seconds * 100)
            FileHandle.standardError.write(Data("\r\(resolved.name): \(percent)% (\(Int(time)) of \(Int(seconds)) s simulated)".utf8))
        }
        truthSink?.flush()
        try captureFile?.close()
        try truthFile?.close()
        let elapsed = Date().timeIntervalSince(started)
        let count = simulation.devices.count
        let summary = "\(resolved.name): \(count) device\(count == 1 ? "" : "s"), \(Int(seconds)) s simulated in "
            + String(format: "%.2f s (%.0f× real time), %d notifications", elapsed, seconds / max(elapsed, 1e-9),
                     run.notificationCount)
        FileHandle.standardError.write(Data(((terminal ? "\r" : "") + summary + "\n").utf8))
    }

    /// The simulator as a virtual controller: one host connects over H4 and finds every
    /// simulated device advertising.
    func serve(_ simulation: Simulation, on hci: String, duration: Double) throws {
        let spec: TransportSpec
        do { spec = try TransportSpec(parsing: hci) } catch { throw CleanExit.failure("\(error)") }
        switch spec {
        case .tcpServer, .unixServer:
            try serve(simulation, listening: spec, duration: duration)
        default:
            // The simulator as the peripheral host of its devices on an external controller,
            // e.g. one of Bumble's virtual controllers.
            switch spec {
            case .tcpClient, .unixClient, .hciSocket: break
            default:
                throw CleanExit.failure("""
                    --hci \(hci): the simulator runs as a virtual controller (tcp-server:, unix-server:) or as \
                    the peripheral host of an external controller reached over tcp-client:, unix: or hci-socket:N \
                    (a BlueZ user channel)
                    """)
            }
            let devices = simulation.peripheralHostDevices
            guard !devices.isEmpty else {
                throw CleanExit.failure("\(simulation.scenario.name): no device to host")
            }
            var capture: HCICaptureFile?
            if let btsnoop {
                do { capture = try HCICaptureFile(path: btsnoop, epoch: simulation.epoch) } catch {
                    throw CleanExit.failure("\(error)")
                }
            }
            let transport: any HCITransport
            do { transport = try spec.open(timeout: .seconds(10)) } catch { throw CleanExit.failure("\(error)") }
            defer { transport.close() }
            let host = PeripheralHost(devices: devices, transport: transport, speed: speed, capture: capture)
            do { try host.start() } catch { throw CleanExit.failure("\(spec): \(error)") }
            FileHandle.standardError.write(Data((Self.hostingSummary(host, scenario: simulation.scenario.name,
                                                                     controller: "\(spec)") + "\n").utf8))
            do { try host.run(until: duration) } catch { throw CleanExit.failure("\(spec): \(error)") }
            let statistics = host.statistics
            FileHandle.standardError.write(Data("""
                \(simulation.scenario.name): controller gone or \(Int(duration)) s done; \(statistics.connections) \
                connections, \(statistics.notificationsSent) notifications sent.\n
                """.utf8))
        }
    }

    /// Which devices a started peripheral host advertises, and which it cannot.
    static func hostingSummary(_ host: PeripheralHost, scenario: String, controller: String) -> String {
        let hosted = host.hostedDevices
        let names = hosted.map { "\(($0 as? DeviceFirmware)?.spec.firmware.name ?? "device") (\($0.address))" }
        let left = host.devices.count - hosted.count
        switch host.advertisingMode {
        case .sets(let supported)?:
            var line = "\(scenario): hosting \(hosted.count) devices on the controller at \(controller), one " +
                "extended advertising set each: \(names.joined(separator: ", ")); advertising."
            if left > 0 {
                line += " The controller has \(supported) advertising sets: the other \(left) devices are not hosted."
            }
            return line
        default:
            var line = "\(scenario): hosting \(names.joined()) on the controller at \(controller); advertising."
            if left > 0 {
                line += " The scenario's other \(left) devices are not hosted: several devices need a controller " +
                    "with LE extended advertising (one advertising set per device), and this one has only legacy advertising."
            }
            return line
        }
    }

    func serve(_ simulation: Simulation, listening spec: TransportSpec, duration: Double) throws {
        let server: SocketServer
        do { server = try SocketServer(listening: spec) } catch { throw CleanExit.failure("\(error)") }
        defer { server.close() }
        let port = server.boundPort.map { " (port \($0))" } ?? ""
        FileHandle.standardError.write(Data("""
            \(simulation.scenario.name): \(simulation.devices.count) devices behind a virtual controller on \
            \(spec)\(port); waiting for a host to connect.\n
            """.utf8))
        let controller = VirtualController(configuration: .init(maximumConnections: maxConnections,
                                                                seed: simulation.scenario.seed),
                                           peripherals: simulation.devices)
        var capture: HCICaptureFile?
        if let btsnoop {
            do { capture = try HCICaptureFile(path: btsnoop, epoch: simulation.epoch) } catch {
                throw CleanExit.failure("\(error)")
            }
        }
        do {
            try server.waitForHost(timeout: nil)
            let runner = VirtualControllerRunner(controller: controller, transport: server, speed: speed, capture: capture)
            try runner.run(until: duration)
        } catch {
            throw CleanExit.failure("\(spec): \(error)")
        }
        let statistics = controller.statistics
        FileHandle.standardError.write(Data("""
            \(simulation.scenario.name): host gone or \(Int(duration)) s done; \(statistics.connections) connections, \
            \(statistics.notificationsDelivered) notifications delivered.\n
            """.utf8))
    }

    static func create(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CleanExit.failure("cannot create \(path)")
        }
        return try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }
}

/// Ground truth as JSON lines, buffered.
final class GroundTruthFile: GroundTruthSink {
    let handle: FileHandle
    var buffer: [UInt8] = []

    init(_ handle: FileHandle) { self.handle = handle }

    func record(_ event: GroundTruthEvent) {
        event.appendJSON(to: &buffer)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
