import BLEHost
import Foundation
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
