import BLEWire

/// Which devices a central connects to, and how it scans and reconnects.
public struct CentralConfiguration: Sendable {
    /// Devices to connect to. Empty: any connectable device that advertises one of
    /// `wantedServices`. Devices that match none are still heard passively (their
    /// advertisements reach the delegate).
    public var allow: [DeviceFilter]
    /// Services that make a device worth connecting to when `allow` is empty.
    public var wantedServices: Set<BluetoothUUID>
    /// At most this many links at once; nil: as many as the controller takes (it refuses
    /// the next connection with "Connection Limit Exceeded" or "Memory Capacity Exceeded").
    public var maxConnections: Int?
    /// Active scanning asks for scan responses (names often live there); passive only listens.
    public var activeScan: Bool
    /// Scan interval and window, in seconds (converted to 0.625 ms units, Vol 4, Part E,
    /// §7.8.10). The default listens all the time.
    public var scanInterval: Double
    public var scanWindow: Double
    /// Connection interval asked for, in seconds (1.25 ms units, §7.8.12), its peripheral
    /// latency and supervision timeout (seconds, 10 ms units).
    public var connectionInterval: ClosedRange<Double>
    public var supervisionTimeout: Double
    /// Give up on a connection attempt after this many seconds (LE Create Connection Cancel).
    public var connectTimeout: Double
    /// Reconnection backoff: the first retry waits `minimum`, each failure doubles it up to `maximum`.
    public var reconnectBackoff: ClosedRange<Double>
    /// How long an answer to an ATT request may take before the link is dropped (ATT
    /// transaction timeout, Vol 3, Part F, §3.3.3: 30 s).
    public var attTimeout: Double
    /// ATT_MTU the client offers (Vol 3, Part F, §3.4.2.1); 247 fills a 251-byte LL PDU.
    public var clientMTU: UInt16
    /// The host's random static address (Vol 6, Part B, §1.3.2.1: the two top bits 0b11);
    /// nil uses the controller's public address.
    public var ownRandomAddress: BDAddress?

    public init(allow: [DeviceFilter] = [], wantedServices: Set<BluetoothUUID> = [],
                maxConnections: Int? = nil, activeScan: Bool = true,
                scanInterval: Double = 0.06, scanWindow: Double = 0.06,
                connectionInterval: ClosedRange<Double> = 0.015...0.030, supervisionTimeout: Double = 4,
                connectTimeout: Double = 5, reconnectBackoff: ClosedRange<Double> = 1...60,
                attTimeout: Double = 30, clientMTU: UInt16 = 247, ownRandomAddress: BDAddress? = nil) {
        self.allow = allow
        self.wantedServices = wantedServices
        self.maxConnections = maxConnections
        self.activeScan = activeScan
        self.scanInterval = scanInterval
        self.scanWindow = scanWindow
        self.connectionInterval = connectionInterval
        self.supervisionTimeout = supervisionTimeout
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
        self.attTimeout = attTimeout
        self.clientMTU = clientMTU
        self.ownRandomAddress = ownRandomAddress
    }
}

/// One entry of `--allow`: an address, a service UUID, or a name pattern (`*` matches any
/// run of characters, `?` one character; a name without wildcards matches as a prefix).
public enum DeviceFilter: Hashable, Sendable, CustomStringConvertible {
    case address(BDAddress)
    case service(BluetoothUUID)
    case name(String)

    /// Reads `AA:BB:CC:DD:EE:FF` as an address, `180D` / `0x180D` / a 128-bit UUID as a
    /// service, anything else as a name pattern.
    public init(parsing text: String) {
        if let address = BDAddress(text) {
            self = .address(address)
        } else if let uuid = BluetoothUUID(text) {
            self = .service(uuid)
        } else {
            self = .name(text)
        }
    }

    public var description: String {
        switch self {
        case .address(let address): "address \(address)"
        case .service(let uuid): "service \(uuid)"
        case .name(let pattern): "name \(pattern)"
        }
    }

    /// Whether a device with this address, these advertised services and this name matches.
    public func matches(address: BDAddress, services: Set<BluetoothUUID>, name: String?) -> Bool {
        switch self {
        case .address(let wanted): return address == wanted
        case .service(let uuid): return services.contains(uuid)
        case .name(let pattern):
            guard let name else { return false }
            if !pattern.contains("*") && !pattern.contains("?") { return name.hasPrefix(pattern) }
            return Self.glob(Array(pattern.unicodeScalars), Array(name.unicodeScalars))
        }
    }

    /// Wildcard matching with backtracking on the last `*` (linear in practice).
    static func glob(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
        var p = 0, t = 0
        var star: Int?, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                mark = t
                p += 1
            } else if let star {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
