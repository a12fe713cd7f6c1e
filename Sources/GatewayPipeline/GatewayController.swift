import BLEHost
import BLEWire
import Glibc

/// A controller to run the gateway on, and the clock that goes with it.
public struct GatewayController {
    public var transport: any HCITransport
    /// Gateway time in seconds since the Unix epoch: the wall clock for a real controller,
    /// the simulation's clock (from its epoch) for an in-process simulator.
    public var clock: () -> Double
    /// Whether a lost transport is worth reopening (a socket or UART: yes; a simulation
    /// that ended: no).
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
}

/// Opens (and reopens) the gateway's controller, one attempt per call, on the BLE thread.
///
/// An attempt returns quickly (within about a second) so that the runner can honour
/// `--duration` and a stop request while no controller is there: clients connect with a
/// short timeout, servers wait a short while for their host and keep listening between
/// attempts. ``ControllerOpenError/notYet`` means "nothing failed, ask again"; any other
/// error is a failed attempt, retried with backoff unless ``ControllerOpenError/permanent(_:)``.
public protocol ControllerOpener: AnyObject {
    func open() throws -> GatewayController
    /// Releases what the opener holds between attempts (a listening socket).
    func close()
}

public enum ControllerOpenError: Error, CustomStringConvertible {
    /// A server is listening and no host has connected yet.
    case notYet(waitingOn: String)
    /// Retrying cannot help: a spec that cannot open here (an unsupported mode, a kernel
    /// without Bluetooth, a scenario that does not exist).
    case permanent(String)

    public var description: String {
        switch self {
        case .notYet(let target): "waiting for a controller to connect on \(target)"
        case .permanent(let reason): reason
        }
    }
}

/// The opener of every `--hci` spec but `sim:` (which the executable supplies: the pipeline
/// knows nothing of the simulator) and `btsnoop:` (replayed, not opened: ``CaptureReplay``).
public final class TransportOpener: ControllerOpener {
    public let spec: TransportSpec
    /// How long one client attempt may take to connect.
    let attemptTimeout: Duration
    /// A server spec keeps listening between attempts, so that a controller that connects
    /// while the gateway backs off is not refused.
    var server: SocketServer?

    public init(spec: TransportSpec, attemptTimeout: Duration = .seconds(1)) {
        self.spec = spec
        self.attemptTimeout = attemptTimeout
    }

    public func open() throws -> GatewayController {
        switch spec {
        case .simulator, .btsnoop:
            throw ControllerOpenError.permanent("\(spec): not a controller the gateway opens itself")
        case .tcpServer, .unixServer:
            let server = try self.server ?? Self.permanentIfUnsupported { () throws(TransportError) in
                try SocketServer(listening: spec)
            }
            self.server = server
            guard try server.waitForHost(timeout: .milliseconds(500)) else {
                throw ControllerOpenError.notYet(waitingOn: server.target)
            }
            // The runner closes the transport when the host goes; the next attempt listens anew.
            self.server = nil
            return GatewayController(transport: server, clock: GatewayController.wallClock, reopens: true)
        case .bluez(let index):
            // Scanning over the raw HCI socket, GATT over one L2CAP ATT socket per device:
            // the kernel keeps the adapter and its links, bluetoothd keeps running.
            let connector: ATTBearerConnector = { address, type in
                let kind = BlueZAddress.LEAddressType(AddressType(rawValue: type) ?? .publicDevice)
                // Without waiting: the central host polls the link and gives up after its
                // connectTimeout, several devices connecting at once.
                return try BlueZATTSocket.startConnecting(to: address, addressType: kind, adapter: index)
            }
            let transport = try Self.permanentIfUnsupported { () throws(TransportError) in try spec.open() }
            return GatewayController(transport: transport, clock: GatewayController.wallClock, reopens: true,
                                     connector: connector)
        default:
            let timeout = attemptTimeout
            let transport = try Self.permanentIfUnsupported { () throws(TransportError) in try spec.open(timeout: timeout) }
            return GatewayController(transport: transport, clock: GatewayController.wallClock, reopens: true)
        }
    }

    public func close() {
        server?.close()
        server = nil
    }

    /// A refused socket or an unplugged UART may come back; a bad spec, an unsupported mode
    /// or a kernel without Bluetooth (EAFNOSUPPORT) will not.
    static func permanentIfUnsupported<T>(_ body: () throws(TransportError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .system(_, _, let code, _) where code != EAFNOSUPPORT: throw error
            case .closed: throw error
            default: throw ControllerOpenError.permanent("\(error)")
            }
        }
    }
}
