import Glibc

extension TransportSpec {
    /// Opens the transport this spec names.
    ///
    /// - Clients (`tcp-client:`, `unix:`) connect within `timeout`.
    /// - Servers (`tcp-server:`, `unix-server:`) listen and wait up to `timeout` for the
    ///   first host; the result is the `SocketServer` (closing it stops listening). To learn
    ///   the bound port first, or to re-accept hosts, create a `SocketServer` directly.
    /// - `serial:` opens and configures the UART (`timeout` does not apply).
    /// - `hci-socket:N` binds the HCI user channel of hciN (`BlueZHCISocket.openUserChannel`:
    ///   adapter powered off, `CAP_NET_ADMIN`); `bluez:hciN` binds a raw HCI socket filtered
    ///   for LE scanning (`BlueZHCISocket.openRawChannel`: adapter up, `CAP_NET_RAW`). GATT
    ///   with `bluez:` goes through `BlueZATTSocket` (L2CAP, ATT channel), which the gateway
    ///   opens per peer, not through this transport. `timeout` does not apply to either.
    /// - The others are provided elsewhere or later and throw `.unsupported` with the reason:
    ///   `sim` is built by DeviceSim on a `PipeTransport` pair, `btsnoop:` replay is not in
    ///   this build yet.
    ///
    /// A nil timeout waits indefinitely. Running out throws `.system` with `ETIMEDOUT`.
    public func open(timeout: Duration? = nil) throws(TransportError) -> any HCITransport {
        switch self {
        case let .tcpClient(host, port):
            return try SocketTransport.connect(host: host, port: port, timeout: timeout)
        case let .unixClient(path):
            return try SocketTransport.connect(unixPath: path, timeout: timeout)
        case .tcpServer, .unixServer:
            let server = try SocketServer(listening: self)
            do throws(TransportError) {
                guard try server.waitForHost(timeout: timeout) else {
                    throw .system(call: "accept", target: server.target, errno: ETIMEDOUT,
                                  message: "no host connected within \(timeout ?? .zero)")
                }
            } catch {
                server.close()
                throw error
            }
            return server
        case let .serial(device, baudRate, rtscts):
            return try SerialTransport(device: device, baudRate: baudRate, rtscts: rtscts)
        case let .hciSocket(index):
            return try BlueZHCISocket.openUserChannel(adapter: index)
        case let .bluez(index):
            return try BlueZHCISocket.openRawChannel(adapter: index)
        case .btsnoop:
            throw .unsupported(description, reason: "btsnoop replay is not implemented yet (issue 4)")
        case .simulator:
            throw .unsupported(description, reason: "the in-process simulator is provided by DeviceSim, not BLEHost: "
                + "open it through the gaitway command (it connects a virtual controller to a PipeTransport pair)")
        }
    }
}
