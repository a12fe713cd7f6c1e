import BLEHost
import BLEWire
import DeviceSim
import GatewayStore
import Glibc
import ProtocolSpecs

/// A controller to run the gateway on, and the clock that goes with it.
public struct GatewayController {
    public var transport: any HCITransport
    /// Gateway time in seconds since the Unix epoch: the wall clock for a real controller,
    /// the simulation's clock (from its epoch) for the in-process simulator.
    public var clock: () -> Double
    /// Whether a lost transport is worth reopening (a socket or UART: yes; a simulation
    /// that ended or a replayed capture: no).
    public var reopens: Bool
    /// For a kernel-managed adapter: how to open a device's ATT bearer (see `CentralHost`).
    public var connector: ATTBearerConnector?

    public init(transport: any HCITransport, clock: @escaping () -> Double, reopens: Bool,
                connector: ATTBearerConnector? = nil) {
        self.transport = transport
        self.clock = clock
        self.reopens = reopens
        self.connector = connector
    }

    /// Seconds since the Unix epoch from the system's real-time clock.
    public static func wallClock() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    /// Opens the controller an `--hci` spec names. `sim[:SCENARIO]` builds the scenario's
    /// devices behind an in-process virtual controller on the wall clock (its epoch is now).
    public static func open(_ spec: TransportSpec, catalog: ProtocolCatalog,
                            timeout: Duration = .seconds(10)) throws -> GatewayController {
        switch spec {
        case .simulator(let name):
            let simulation = try simulation(named: name ?? "quickstart", catalog: catalog, epoch: wallClock())
            let transport = simulated(simulation, pace: .realTime(speed: 1))
            let epoch = simulation.epoch
            return GatewayController(transport: transport, clock: { epoch + transport.now }, reopens: false)
        case .bluez(let index):
            // Scanning over the raw HCI socket, GATT over one L2CAP ATT socket per device:
            // the kernel keeps the adapter and its links, bluetoothd keeps running.
            let connector: ATTBearerConnector = { address, type in
                let kind = BlueZAddress.LEAddressType(AddressType(rawValue: type) ?? .publicDevice)
                return try BlueZATTSocket.connect(to: address, addressType: kind, adapter: index, timeout: .seconds(5))
            }
            return GatewayController(transport: try spec.open(timeout: timeout), clock: wallClock, reopens: true,
                                     connector: connector)
        case .btsnoop:
            throw GatewayError.unsupportedController(spec.description, reason: "a capture is replayed, not opened: use CaptureReplay")
        default:
            return GatewayController(transport: try spec.open(timeout: timeout), clock: wallClock, reopens: true)
        }
    }

    /// A scenario by name (`Simulators/NAME.yaml`) or path, ready to run.
    public static func simulation(named name: String, catalog: ProtocolCatalog, epoch: Double? = nil,
                                  truth: GroundTruthSink? = nil) throws -> Simulation {
        guard let file = ScenarioLoader.locate(name) else {
            throw GatewayError.noScenario(name)
        }
        let scenario = try Scenario.load(file: file, options: .init(catalog: catalog))
        return try Simulation(scenario: scenario, catalog: catalog, truth: truth, epoch: epoch)
    }

    /// The simulation's devices behind a virtual controller, as a transport.
    public static func simulated(_ simulation: Simulation, pace: VirtualControllerTransport.Pace)
        -> VirtualControllerTransport {
        let controller = VirtualController(configuration: .init(seed: simulation.scenario.seed),
                                           peripherals: simulation.devices)
        return VirtualControllerTransport(controller: controller, pace: pace)
    }
}

public enum GatewayError: Error, CustomStringConvertible {
    case noScenario(String)
    case unsupportedController(String, reason: String)

    public var description: String {
        switch self {
        case .noScenario(let name): "no scenario '\(name)': give a name from Simulators/ or a YAML file"
        case let .unsupportedController(spec, reason): "\(spec): \(reason)"
        }
    }
}

/// Runs the gateway: the central host on a controller, its values through `GatewayIngest`
/// into the store, until told to stop or the duration is over; a controller that goes
/// away is reopened with backoff (1 s doubling to 30 s).
public final class GatewayRunner {
    public let ingest: GatewayIngest
    public let configuration: CentralConfiguration
    /// Opens (and reopens) the controller.
    let openController: () throws -> GatewayController
    /// Called between reads (many times a second) with the host and the time.
    public var onTick: ((CentralHost, Double) -> Void)?
    public private(set) var host: CentralHost?
    public private(set) var transportLosses = 0
    /// Records the host-side HCI traffic (a btsnoop capture, on the gateway's clock).
    public var capture: HCICaptureFile?

    public init(ingest: GatewayIngest, configuration: CentralConfiguration,
                openController: @escaping () throws -> GatewayController) {
        self.ingest = ingest
        self.configuration = configuration
        self.openController = openController
    }

    /// Runs until `shouldStop` returns true, `duration` seconds of gateway time passed, or
    /// a controller that does not reopen is gone; then commits what is batched.
    public func run(duration: Double? = nil, shouldStop: @escaping () -> Bool = { false }) throws {
        var endTime: Double?
        var backoff = 1.0
        var failure: Error?
        defer {
            if let host { try? ingest.commit(at: host.clock()) }
            capture?.close()
        }
        while !shouldStop() {
            let controller: GatewayController
            do {
                controller = try openController()
            } catch {
                // A spec that can never open (a typo, an unsupported mode) fails at once; a
                // controller that is not there yet (a socket refused, a UART unplugged) is retried.
                if error is GatewayError { throw error }
                if let transport = error as? TransportError {
                    switch transport {
                    case .system(_, _, let code, _) where code != EAFNOSUPPORT: break  // may come back
                    default: throw error  // a bad spec, an unsupported mode, a kernel without Bluetooth
                    }
                }
                if failure == nil { ingest.log(.error, "cannot open the controller: \(error); retrying") }
                failure = error
                if !sleep(backoff, unless: shouldStop) { return }
                backoff = min(backoff * 2, 30)
                continue
            }
            let clock = controller.clock
            if endTime == nil, let duration { endTime = clock() + duration }
            var configuration = self.configuration
            // The kernel owns a managed adapter's address.
            if controller.connector != nil { configuration.ownRandomAddress = nil }
            let host = CentralHost(transport: controller.transport, configuration: configuration,
                                   connector: controller.connector, clock: clock)
            host.delegate = ingest
            if let capture {
                host.link.onPacket = { type, direction, packet in
                    capture.append(packet.withUnsafeBytes { Array($0) }, type: type, direction: direction, time: clock())
                }
            }
            let ingest = self.ingest
            host.wantsSubscription = { ingest.wantsSubscription($0) }
            host.wantsRead = { ingest.wantsRead($0) }
            self.host = host
            var storeError: GatewayStoreError?
            do {
                try host.run(until: endTime) { [self] in
                    let now = clock()
                    do throws(GatewayStoreError) { try ingest.commitIfDue(at: now) } catch {
                        storeError = error
                        return true
                    }
                    onTick?(host, now)
                    return shouldStop()
                }
                backoff = 1
            } catch {
                ingest.log(.error, "controller: \(error)")
            }
            controller.transport.close()
            if let storeError { throw storeError }
            if let endTime, clock() >= endTime { return }
            guard controller.reopens, !shouldStop() else { return }
            transportLosses += 1
            ingest.log(.warning, "controller transport lost; reopening in \(Int(backoff)) s")
            if !sleep(backoff, unless: shouldStop) { return }
            backoff = min(backoff * 2, 30)
        }
    }

    /// Sleeps on the wall clock, waking every 100 ms to check `shouldStop`; false if it said stop.
    func sleep(_ seconds: Double, unless shouldStop: () -> Bool) -> Bool {
        var left = seconds
        while left > 0 {
            if shouldStop() { return false }
            usleep(UInt32(min(left, 0.1) * 1_000_000))
            left -= 0.1
        }
        return !shouldStop()
    }
}
