import BLEHost
import Foundation
import Glibc
import Synchronization
import Testing

/// TCP on 127.0.0.1, as the interop and end-to-end tests use it.
public enum Loopback {
    /// `count` ports that were free a moment ago: bound with port 0 (the system's choice, so
    /// parallel runs do not collide), read and released; the caller's server binds them next.
    public static func freePorts(_ count: Int) throws -> [UInt16] {
        let servers = try (0..<count).map { _ in try SocketServer(tcpHost: "127.0.0.1", port: 0) }
        defer { servers.forEach { $0.close() } }
        return try servers.map { try #require($0.boundPort) }
    }

    /// One free port (see ``freePorts(_:)``).
    public static func freePort() throws -> UInt16 { try freePorts(1)[0] }

    /// A port where a connection is refused for as long as the test process runs: bound by a
    /// socket that never listens (the kernel answers a SYN with a reset), so no other test's
    /// server can take it meanwhile, as one could take a port that ``freePort()`` released
    /// (a runtime test computed its "refused" port at discovery, a Bumble controller later bound
    /// the same port, and the two tests took each other's controller).
    public static func refusedPort() throws -> UInt16 {
        try refused.withLock { port in
            if let port { return port }
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw LoopbackError(description: "socket: errno \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            guard bound == 0, named == 0 else {
                close(descriptor)
                throw LoopbackError(description: "bind/getsockname: errno \(errno)")
            }
            // The descriptor stays open (and unlistened) until the process exits.
            port = UInt16(bigEndian: address.sin_port)
            return port!
        }
    }

    private static let refused = Mutex<UInt16?>(nil)

    public struct LoopbackError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects to a controller that is still starting, retrying for up to `seconds`.
    public static func connect(port: UInt16, within seconds: Double) throws -> any HCITransport {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                return try TransportSpec.tcpClient(host: "127.0.0.1", port: port).open(timeout: .seconds(1))
            } catch {
                if Date() > deadline { throw error }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }
}
