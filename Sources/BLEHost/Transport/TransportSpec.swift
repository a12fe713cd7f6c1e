/// Where the HCI traffic goes: the `--hci` argument, spelled like Bumble's transport names
/// (bumble/transport/__init__.py) so that its users feel at home.
///
/// | spec | case |
/// |---|---|
/// | `tcp-client:HOST:PORT` | ``tcpClient(host:port:)`` (an IPv6 host may be bracketed: `[::1]:9001`) |
/// | `tcp-server:HOST:PORT` | ``tcpServer(host:port:)``; HOST `_` or empty: all interfaces; PORT 0: any free port |
/// | `unix:PATH` (or `unix-client:PATH`) | ``unixClient(path:)`` |
/// | `unix-server:PATH` | ``unixServer(path:)`` |
/// | `serial:DEVICE[,BAUD][,rtscts]` | ``serial(device:baudRate:rtscts:)``; BAUD defaults to 1000000, as Bumble's |
/// | `hci-socket:N` (or `hci-socket`: 0) | ``hciSocket(index:)`` |
/// | `bluez:hciN` | ``bluez(index:)`` |
/// | `btsnoop:FILE` | ``btsnoop(path:)`` |
/// | `sim[:SCENARIO]` | ``simulator(scenario:)`` |
///
/// `description` gives the canonical spelling, which parses back to the same value.
public enum TransportSpec: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    /// H4 to a controller listening on TCP.
    case tcpClient(host: String, port: UInt16)
    /// Listen on TCP and take one host connection; `host` nil listens on all interfaces,
    /// `port` 0 on a port the system picks (see `SocketServer.boundPort`).
    case tcpServer(host: String?, port: UInt16)
    /// H4 to a controller listening on a Unix-domain stream socket.
    case unixClient(path: String)
    /// Listen on a Unix-domain stream socket (mode 0600) and take one host connection.
    case unixServer(path: String)
    /// H4 over a UART at `baudRate`, with or without RTS/CTS hardware flow control.
    case serial(device: String, baudRate: Int, rtscts: Bool)
    /// The BlueZ HCI user channel on hci`index` (exclusive: the adapter must be down).
    case hciSocket(index: UInt16)
    /// Kernel-managed BlueZ on hci`index`, alongside bluetoothd.
    case bluez(index: UInt16)
    /// Replay of a btsnoop capture.
    case btsnoop(path: String)
    /// The in-process simulator; nil runs the default scenario.
    case simulator(scenario: String?)

    /// Bumble's default UART speed, also that of Zephyr's HCI UART samples.
    public static let defaultSerialBaudRate = 1_000_000

    /// The transport names understood, in the order help texts list them.
    public static let schemes = ["sim", "tcp-client", "tcp-server", "unix", "unix-server", "serial", "hci-socket", "bluez", "btsnoop"]

    // MARK: Parsing

    /// Parses an `--hci` argument; the error says what is wrong with it.
    public init(parsing text: String) throws(TransportError) {
        func invalid(_ reason: String) -> TransportError { .invalidSpec(text, reason: reason) }

        guard !text.isEmpty else {
            throw invalid("empty; expected one of " + Self.schemes.joined(separator: ", ") + " (e.g. tcp-client:127.0.0.1:9001)")
        }
        let scheme: Substring
        let argument: Substring?
        if let colon = text.firstIndex(of: ":") {
            scheme = text[..<colon]
            argument = text[text.index(after: colon)...]
        } else {
            scheme = text[...]
            argument = nil
        }
        func required(_ example: String) throws(TransportError) -> Substring {
            guard let argument else { throw invalid("\(scheme) needs an argument: \(example)") }
            return argument
        }

        switch scheme {
        case "tcp-client":
            let (host, port) = try Self.hostAndPort(try required("tcp-client:HOST:PORT"), minimumPort: 1, invalid)
            guard let host else { throw invalid("host is missing (tcp-client needs the controller's address; '_' means all interfaces only for tcp-server)") }
            self = .tcpClient(host: host, port: port)
        case "tcp-server":
            let (host, port) = try Self.hostAndPort(try required("tcp-server:HOST:PORT (HOST _ for all interfaces)"),
                                                    minimumPort: 0, invalid)
            self = .tcpServer(host: host, port: port)
        case "unix", "unix-client", "unix-server":
            let path = String(try required("\(scheme):PATH"))
            if let problem = Self.unixPathProblem(path) { throw invalid(problem) }
            self = scheme == "unix-server" ? .unixServer(path: path) : .unixClient(path: path)
        case "serial":
            self = try Self.serial(try required("serial:DEVICE[,BAUD][,rtscts]"), invalid)
        case "hci-socket":
            guard let argument else { self = .hciSocket(index: 0); return }
            guard let index = UInt16(argument) else {
                throw invalid("adapter index '\(argument)' is not a number from 0 to 65535 (e.g. hci-socket:0)")
            }
            self = .hciSocket(index: index)
        case "bluez":
            let name = try required("bluez:hciN, e.g. bluez:hci0")
            guard name.hasPrefix("hci"), let index = UInt16(name.dropFirst(3)) else {
                throw invalid("adapter '\(name)' is not of the form hciN (e.g. bluez:hci0)")
            }
            self = .bluez(index: index)
        case "btsnoop":
            let path = try required("btsnoop:FILE")
            guard !path.isEmpty else { throw invalid("file path is empty") }
            self = .btsnoop(path: String(path))
        case "sim":
            if let argument, argument.isEmpty { throw invalid("scenario name is empty (write 'sim' for the default)") }
            self = .simulator(scenario: argument.map(String.init))
        default:
            throw invalid("unknown transport '\(scheme)' (expected one of " + Self.schemes.joined(separator: ", ") + ")")
        }
    }

    /// Parses `text`, nil if it is not a valid spec (use `init(parsing:)` for the reason).
    public init?(_ text: String) {
        do { try self.init(parsing: text) } catch { return nil }
    }

    /// HOST:PORT, splitting at the last colon as Bumble does, so that `::1:9001` works too;
    /// `[::1]:9001` is the unambiguous form. `_` or an empty host: nil.
    private static func hostAndPort(_ text: Substring, minimumPort: Int,
                                    _ invalid: (String) -> TransportError) throws(TransportError) -> (String?, UInt16) {
        guard let colon = text.lastIndex(of: ":") else { throw invalid("expected HOST:PORT, found '\(text)'") }
        var host = text[..<colon]
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count >= 2 else { throw invalid("unclosed '[' in host '\(host)'") }
            host = host.dropFirst().dropLast()
        }
        guard !portText.isEmpty else { throw invalid("port is missing (expected HOST:PORT)") }
        guard portText.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw invalid("port '\(portText)' is not a number") }
        let port = portText.count > 5 ? Int.max : Int(portText) ?? Int.max
        guard (minimumPort...65535).contains(port) else { throw invalid("port must be \(minimumPort)-65535, found \(portText)") }
        if host.contains(where: \.isWhitespace) { throw invalid("host '\(host)' contains a space") }
        return (host.isEmpty || host == "_" ? nil : String(host), UInt16(port))
    }

    /// Bumble's `DEVICE[,SPEED][,rtscts]`; its other options (dsrdtr, delay, resync) are
    /// not supported and rejected rather than ignored.
    private static func serial(_ text: Substring, _ invalid: (String) -> TransportError) throws(TransportError) -> TransportSpec {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let device = parts[0]
        guard !device.isEmpty else { throw invalid("device is empty (e.g. serial:/dev/ttyACM0,1000000)") }
        var baudRate: Int? = nil
        var rtscts = false
        for option in parts.dropFirst() {
            if option == "rtscts" {
                rtscts = true
            } else if let rate = Int(option), option.allSatisfy(\.isNumber) {
                guard baudRate == nil else { throw invalid("baud rate given twice") }
                guard SerialTransport.supportedBaudRates.contains(rate) else {
                    throw invalid("baud rate \(rate) is not supported (supported: "
                        + SerialTransport.supportedBaudRates.map(String.init).joined(separator: ", ") + ")")
                }
                baudRate = rate
            } else {
                throw invalid("unknown serial option '\(option)' (expected a baud rate or 'rtscts')")
            }
        }
        return .serial(device: String(device), baudRate: baudRate ?? defaultSerialBaudRate, rtscts: rtscts)
    }

    /// Why `path` cannot name a Unix socket, or nil if it can.
    static func unixPathProblem(_ path: String) -> String? {
        let length = path.utf8.count
        if length == 0 { return "path is empty" }
        if path.utf8.contains(0) { return "path contains a NUL byte" }
        if length > SocketAddress.maximumUnixPathLength {
            return "path is \(length) bytes, longer than the \(SocketAddress.maximumUnixPathLength) a Unix socket address holds"
        }
        return nil
    }

    // MARK: Description

    public var description: String {
        switch self {
        case let .tcpClient(host, port): "tcp-client:\(Self.hostText(host)):\(port)"
        case let .tcpServer(host, port): "tcp-server:\(host.map(Self.hostText) ?? "_"):\(port)"
        case let .unixClient(path): "unix:\(path)"
        case let .unixServer(path): "unix-server:\(path)"
        case let .serial(device, baudRate, rtscts): "serial:\(device),\(baudRate)" + (rtscts ? ",rtscts" : "")
        case let .hciSocket(index): "hci-socket:\(index)"
        case let .bluez(index): "bluez:hci\(index)"
        case let .btsnoop(path): "btsnoop:\(path)"
        case let .simulator(scenario): scenario.map { "sim:\($0)" } ?? "sim"
        }
    }

    private static func hostText(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }

    /// Whether this spec listens for a host (the simulator acting as a controller).
    public var isServer: Bool {
        switch self {
        case .tcpServer, .unixServer: true
        default: false
        }
    }
}
