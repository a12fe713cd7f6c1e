import Glibc

/// H4 over a connected stream socket: a TCP connection (`tcp-client:HOST:PORT`), a Unix
/// socket (`unix:PATH`), a host accepted by a `SocketServer`, or one end of a
/// `PipeTransport` pair.
///
/// One thread may read while another writes; `close()` may be called from any thread and
/// wakes a blocked read, which then throws `.closed`.
public final class SocketTransport: HCITransport, Sendable {
    let stream: StreamDescriptor

    /// What this transport is connected to, as a transport spec (used in error messages).
    public var target: String { stream.target }

    /// Takes ownership of a connected stream socket (closed with the transport).
    public init(connectedSocket descriptor: Int32, target: String) {
        stream = StreamDescriptor(descriptor, kind: .socket, target: target)
    }

    // MARK: Connecting

    /// Connects to a TCP listener, trying each address `host` resolves to (IPv6 and IPv4) in
    /// turn, with Nagle's algorithm off so that small HCI packets leave at once.
    ///
    /// - Parameter timeout: for the whole attempt (resolution excluded); nil waits as long
    ///   as the kernel does. Running out throws `.system(call: "connect", errno: ETIMEDOUT)`.
    public static func connect(host: String, port: UInt16, timeout: Duration? = nil) throws(TransportError) -> SocketTransport {
        let target = TransportSpec.tcpClient(host: host, port: port).description
        let deadline = SystemCall.deadline(after: timeout)
        let addresses = try SocketAddress.resolveTCP(host: host, port: port, passive: false, target: target)
        var lastError = TransportError.system(call: "getaddrinfo", target: target, errno: EAI_NONAME,
                                              message: "no IPv4 or IPv6 address for the host")
        for address in addresses {
            do throws(TransportError) {
                let descriptor = try connect(to: address, deadline: deadline, target: target)
                let transport = SocketTransport(connectedSocket: descriptor, target: target)
                try SystemCall.setOption(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, 1, label: "TCP_NODELAY", target: target)
                return transport
            } catch {
                lastError = error
                if case .system(_, _, ETIMEDOUT, _) = error { break }
            }
        }
        throw lastError
    }

    /// Connects to a Unix-domain stream socket listening at `path`.
    public static func connect(unixPath path: String, timeout: Duration? = nil) throws(TransportError) -> SocketTransport {
        let target = TransportSpec.unixClient(path: path).description
        guard let address = SocketAddress(unixPath: path) else {
            throw .invalidSpec(target, reason: TransportSpec.unixPathProblem(path) ?? "unusable path")
        }
        let descriptor = try connect(to: address, deadline: SystemCall.deadline(after: timeout), target: target)
        return SocketTransport(connectedSocket: descriptor, target: target)
    }

    /// A non-blocking connect bounded by `deadline`, handing back a blocking socket.
    private static func connect(to address: SocketAddress, deadline: ContinuousClock.Instant?,
                                target: String) throws(TransportError) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)
        let descriptor = socket(address.family, type, 0)
        guard descriptor >= 0 else { throw SystemCall.failure("socket", target) }
        var keep = false
        defer { if !keep { _ = Glibc.close(descriptor) } }

        let result = address.withSockaddr { Glibc.connect(descriptor, $0, $1) }
        if result != 0 {
            let code = errno
            // EINTR: the connection goes on in the background, as with EINPROGRESS.
            // EAGAIN: a Unix listener's backlog is full; wait for room like TCP does.
            guard code == EINPROGRESS || code == EINTR || code == EAGAIN else {
                throw SystemCall.failure("connect", target, errno: code)
            }
            if code == EAGAIN {
                try retryUnixConnect(descriptor, address, deadline: deadline, target: target)
            } else {
                guard try SystemCall.waitWritable(descriptor, until: deadline, target: target) else {
                    throw SystemCall.failure("connect", target, errno: ETIMEDOUT)
                }
                var pending: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &pending, &size) == 0 else {
                    throw SystemCall.failure("getsockopt(SO_ERROR)", target)
                }
                if pending != 0 { throw SystemCall.failure("connect", target, errno: pending) }
            }
        }
        try SystemCall.setNonBlocking(descriptor, false, target: target)
        keep = true
        return descriptor
    }

    private static func retryUnixConnect(_ descriptor: Int32, _ address: SocketAddress,
                                         deadline: ContinuousClock.Instant?, target: String) throws(TransportError) {
        while true {
            if let deadline, ContinuousClock.now >= deadline { throw SystemCall.failure("connect", target, errno: ETIMEDOUT) }
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            _ = nanosleep(&pause, nil)
            if address.withSockaddr({ Glibc.connect(descriptor, $0, $1) }) == 0 { return }
            let code = errno
            if code == EISCONN { return }
            if code != EAGAIN && code != EINTR { throw SystemCall.failure("connect", target, errno: code) }
        }
    }

    // MARK: HCITransport

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        try stream.read(into: buffer, timeout: timeout)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        try stream.write(bytes)
    }

    public func close() { stream.close() }
}
