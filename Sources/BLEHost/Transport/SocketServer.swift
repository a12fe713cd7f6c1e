import Glibc
import Synchronization

/// Listens on TCP (`tcp-server:HOST:PORT`) or a Unix socket (`unix-server:PATH`) and serves
/// ONE host at a time: how the simulator stands in for a controller that a host stack
/// (Bumble, the gateway) connects to.
///
/// As an `HCITransport` it talks to the current host: `read` first waits (within its
/// timeout) for a host to connect, then returns that host's bytes. A second host that
/// connects while one is being served is accepted and closed at once, so it fails fast
/// instead of hanging in the backlog (counted in `rejectedConnectionCount`).
///
/// When the host disconnects:
/// - by default the server is done: `read` throws `.closed`, as a client transport would.
///   A connection that closes without having sent a byte (a probe, such as another
///   `unix-server` checking whether this socket is live, or a port scan) does not count:
///   the server keeps waiting for its host;
/// - with `reacceptsAfterDisconnect`, `read` returns 0 at once (so the caller can notice
///   `connectionCount` or `isHostConnected` changing and reset its controller state) and
///   the next reads wait for the next host.
///
/// Writes while no host is connected are discarded and counted in `discardedByteCount`,
/// as a controller's events are lost when no host listens.
///
/// The Unix socket file is created with mode 0600 (only this user may connect: the peer
/// gets full control of the virtual controller); a stale socket file left by an earlier
/// run is removed first, but not a live one or a file that is not a socket. `close()`
/// removes the socket file.
///
/// One thread may read while another writes; `close()` may be called from any thread.
public final class SocketServer: HCITransport, Sendable {
    /// The listening address as a transport spec, e.g. "tcp-server:127.0.0.1:9001".
    public let target: String
    /// The TCP port actually bound (useful after asking for port 0); nil for Unix sockets.
    public let boundPort: UInt16?
    /// Whether a host that disconnects is followed by waiting for the next one.
    public let reacceptsAfterDisconnect: Bool

    private let listener: Atomic<Int32>
    /// The socket file to remove on close, with its device and inode, so that a file some
    /// other server created meanwhile is left alone.
    private let unixSocketFile: (path: String, device: UInt64, inode: UInt64)?

    private struct State {
        var host: SocketTransport?
        var connectionCount = 0
        var rejectedConnectionCount = 0
        var discardedByteCount = 0
        /// A host came and went and `reacceptsAfterDisconnect` is off.
        var finished = false
    }
    private let state = Mutex(State())
    /// Whether the current host has sent anything (see `hostLeft`); outside `state` so
    /// that the read path takes no lock once it is set.
    private let hostHasSpoken = Atomic<Bool>(false)

    // MARK: Listening

    /// Listens where `spec` says: `.tcpServer` or `.unixServer`.
    public convenience init(listening spec: TransportSpec, reacceptsAfterDisconnect: Bool = false) throws(TransportError) {
        switch spec {
        case let .tcpServer(host, port):
            try self.init(tcpHost: host, port: port, reacceptsAfterDisconnect: reacceptsAfterDisconnect)
        case let .unixServer(path):
            try self.init(unixPath: path, reacceptsAfterDisconnect: reacceptsAfterDisconnect)
        default:
            throw .invalidSpec(spec.description, reason: "not a server transport (expected tcp-server: or unix-server:)")
        }
    }

    /// Listens on TCP. A nil host listens on all interfaces: IPv6 and IPv4 on one dual-stack
    /// socket, or IPv4 alone where the system has no IPv6. Port 0 picks a free port.
    public init(tcpHost host: String?, port: UInt16, reacceptsAfterDisconnect: Bool = false) throws(TransportError) {
        let requested = TransportSpec.tcpServer(host: host, port: port).description
        var addresses = try SocketAddress.resolveTCP(host: host, port: port, passive: true, target: requested)
        if host == nil {
            // Prefer the IPv6 wildcard, made dual-stack below, so that both families connect.
            addresses.sort { $0.family == AF_INET6 && $1.family != AF_INET6 }
        }
        var lastError = TransportError.system(call: "getaddrinfo", target: requested, errno: EAI_NONAME,
                                              message: "no IPv4 or IPv6 address to listen on")
        for address in addresses {
            do throws(TransportError) {
                let descriptor = try Self.listen(on: address, target: requested) { descriptor throws(TransportError) in
                    try SystemCall.setOption(descriptor, SOL_SOCKET, SO_REUSEADDR, 1, label: "SO_REUSEADDR", target: requested)
                    if host == nil && address.family == AF_INET6 {
                        try SystemCall.setOption(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0, label: "IPV6_V6ONLY",
                                                 target: requested)
                    }
                }
                let bound = try SocketAddress.local(of: descriptor, target: requested).port ?? port
                listener = Atomic(descriptor)
                boundPort = bound
                target = TransportSpec.tcpServer(host: host, port: bound).description
                unixSocketFile = nil
                self.reacceptsAfterDisconnect = reacceptsAfterDisconnect
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// Listens on a Unix-domain stream socket at `path`, created with mode 0600.
    public init(unixPath path: String, reacceptsAfterDisconnect: Bool = false) throws(TransportError) {
        let target = TransportSpec.unixServer(path: path).description
        guard let address = SocketAddress(unixPath: path) else {
            throw .invalidSpec(target, reason: TransportSpec.unixPathProblem(path) ?? "unusable path")
        }
        try Self.removeStaleSocket(at: path, address: address, target: target)
        let descriptor = try Self.listen(on: address, target: target) { descriptor throws(TransportError) in
            // The socket file takes the socket inode's mode (less the umask) at bind time, so
            // setting it first leaves no moment when others could connect.
            guard fchmod(descriptor, 0o600) == 0 else { throw SystemCall.failure("fchmod", target) }
        }
        var info = stat()
        guard chmod(path, 0o600) == 0, lstat(path, &info) == 0 else {
            let error = SystemCall.failure("chmod", target)
            _ = Glibc.close(descriptor)
            _ = unlink(path)
            throw error
        }
        listener = Atomic(descriptor)
        boundPort = nil
        self.target = target
        unixSocketFile = (path, UInt64(info.st_dev), UInt64(info.st_ino))
        self.reacceptsAfterDisconnect = reacceptsAfterDisconnect
    }

    private static func listen(on address: SocketAddress, target: String,
                               configure: (Int32) throws(TransportError) -> Void) throws(TransportError) -> Int32 {
        // Non-blocking, so that a client that gives up between poll and accept cannot block us.
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)
        let descriptor = socket(address.family, type, 0)
        guard descriptor >= 0 else { throw SystemCall.failure("socket", target) }
        do throws(TransportError) {
            try configure(descriptor)
            guard address.withSockaddr({ bind(descriptor, $0, $1) }) == 0 else { throw SystemCall.failure("bind", target) }
            guard Glibc.listen(descriptor, 4) == 0 else { throw SystemCall.failure("listen", target) }
            return descriptor
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    /// Removes a socket file nobody listens on any more; refuses a live one and anything
    /// that is not a socket.
    private static func removeStaleSocket(at path: String, address: SocketAddress, target: String) throws(TransportError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw .system(call: "bind", target: target, errno: EEXIST, message: "\(path) exists and is not a socket")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if probe >= 0 {
            defer { _ = Glibc.close(probe) }
            if address.withSockaddr({ Glibc.connect(probe, $0, $1) }) == 0 {
                throw .system(call: "bind", target: target, errno: EADDRINUSE,
                              message: "another server is listening on \(path)")
            }
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw SystemCall.failure("unlink", target) }
    }

    deinit { close() }

    // MARK: Hosts

    /// Whether a host is connected now.
    public var isHostConnected: Bool { state.withLock { $0.host != nil } }
    /// Hosts accepted so far; it changes when a new host connects.
    public var connectionCount: Int { state.withLock { $0.connectionCount } }
    /// Connections refused because a host was already being served.
    public var rejectedConnectionCount: Int { state.withLock { $0.rejectedConnectionCount } }
    /// Bytes written while no host was connected.
    public var discardedByteCount: Int { state.withLock { $0.discardedByteCount } }

    /// Waits for a host to connect unless one is connected already. Returns false if the
    /// timeout passed first; throws `.closed` if the server is closed or finished.
    @discardableResult
    public func waitForHost(timeout: Duration?) throws(TransportError) -> Bool {
        try currentHost(until: SystemCall.deadline(after: timeout)) != nil
    }

    /// Accepts the next connection on the listening socket and hands it over as a transport of
    /// its own, outside the one-host bookkeeping of the `HCITransport` side (for servers
    /// that manage connections themselves). Nil if the timeout passed.
    public func accept(timeout: Duration?) throws(TransportError) -> SocketTransport? {
        try acceptConnection(until: SystemCall.deadline(after: timeout))
    }

    private func acceptConnection(until deadline: ContinuousClock.Instant?) throws(TransportError) -> SocketTransport? {
        while true {
            let descriptor = listener.load(ordering: .acquiring)
            guard descriptor >= 0 else { throw .closed }
            guard try SystemCall.waitReadable(descriptor, until: deadline, target: target) else { return nil }
            guard let connection = try acceptNow(descriptor) else { continue }
            return connection
        }
    }

    /// One non-blocking `accept`; nil when the connection went away before we took it.
    /// (On Linux the accepted socket does not inherit the listener's O_NONBLOCK; Glibc's
    /// module has no `accept4`, hence the separate close-on-exec.)
    private func acceptNow(_ descriptor: Int32) throws(TransportError) -> SocketTransport? {
        let connection = Glibc.accept(descriptor, nil, nil)
        guard connection >= 0 else {
            switch errno {
            case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO: return nil
            case EBADF, EINVAL: throw .closed
            default: throw SystemCall.failure("accept", target)
            }
        }
        let transport = SocketTransport(connectedSocket: connection, target: target)
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        try SystemCall.setNonBlocking(connection, false, target: target)
        if boundPort != nil {
            try SystemCall.setOption(connection, Int32(IPPROTO_TCP), TCP_NODELAY, 1, label: "TCP_NODELAY", target: target)
        }
        return transport
    }

    /// The host being served, accepting one if none is (and the server is not finished).
    private func currentHost(until deadline: ContinuousClock.Instant?) throws(TransportError) -> SocketTransport? {
        let (host, finished) = state.withLock { ($0.host, $0.finished) }
        if finished || listener.load(ordering: .acquiring) < 0 { throw .closed }
        if let host { return host }
        guard let accepted = try acceptConnection(until: deadline) else { return nil }
        state.withLock { state in
            state.host = accepted
            state.connectionCount += 1
        }
        hostHasSpoken.store(false, ordering: .relaxed)
        return accepted
    }

    /// The host hung up: forget it, and finish unless re-accepting or it never spoke.
    /// Returns whether the server is finished.
    private func hostLeft(_ host: SocketTransport) -> Bool {
        host.close()
        let spoke = hostHasSpoken.load(ordering: .relaxed)
        return state.withLock { state in
            if state.host === host {
                state.host = nil
                if !reacceptsAfterDisconnect && spoke { state.finished = true }
            }
            return state.finished
        }
    }

    /// After the host hung up: throws `.closed` if the server is finished; otherwise returns
    /// whether a read should return 0 now (re-accepting: tell the caller at once; a silent
    /// probe went away: keep waiting quietly).
    private func hostLeftOrFinish(_ host: SocketTransport) throws(TransportError) -> Bool {
        if hostLeft(host) { throw .closed }
        return reacceptsAfterDisconnect
    }

    /// Accepts and closes whoever knocks while a host is being served.
    private func rejectPending(_ descriptor: Int32) throws(TransportError) {
        while let extra = try acceptNow(descriptor) {
            extra.close()
            state.withLock { $0.rejectedConnectionCount += 1 }
        }
    }

    // MARK: HCITransport

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        let deadline = SystemCall.deadline(after: timeout)
        while true {
            guard let host = try currentHost(until: deadline) else { return 0 }
            let listening = listener.load(ordering: .acquiring)
            let hostDescriptor = host.stream.number
            guard listening >= 0 else { throw .closed }
            let events = try SystemCall.poll([hostDescriptor, listening], events: Int16(POLLIN), until: deadline, target: target)
            if events[0] != 0 {
                // The host first: if it has just hung up, the connection waiting on the
                // listener may be its successor rather than an intruder.
                do throws(TransportError) {
                    // Readiness is known: read without waiting again.
                    let count = try host.read(into: buffer, timeout: .zero)
                    if count > 0 {
                        if !hostHasSpoken.load(ordering: .relaxed) { hostHasSpoken.store(true, ordering: .relaxed) }
                        return count
                    }
                    if buffer.count == 0 { return 0 }
                } catch .closed {
                    if listener.load(ordering: .acquiring) < 0 { throw .closed }
                    if try hostLeftOrFinish(host) { return 0 }
                    continue
                }
            }
            if events[1] != 0 {
                try rejectPending(listening)
                continue
            }
            if events[0] == 0 { return 0 }
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        let (host, finished) = state.withLock { ($0.host, $0.finished) }
        if finished || listener.load(ordering: .acquiring) < 0 { throw .closed }
        guard let host else {
            state.withLock { $0.discardedByteCount += bytes.count }
            return
        }
        do throws(TransportError) {
            try host.write(bytes)
        } catch .closed {
            if listener.load(ordering: .acquiring) < 0 { throw .closed }
            _ = try hostLeftOrFinish(host)
            state.withLock { $0.discardedByteCount += bytes.count }
        }
    }

    /// Stops listening, disconnects the host and removes the Unix socket file.
    public func close() {
        let descriptor = listener.exchange(-1, ordering: .acquiringAndReleasing)
        guard descriptor >= 0 else { return }
        _ = shutdown(descriptor, Int32(SHUT_RDWR))
        _ = Glibc.close(descriptor)
        let host = state.withLock { state in
            defer { state.host = nil }
            return state.host
        }
        host?.close()
        if let file = unixSocketFile {
            var info = stat()
            if lstat(file.path, &info) == 0, UInt64(info.st_dev) == file.device, UInt64(info.st_ino) == file.inode {
                _ = unlink(file.path)
            }
        }
    }
}
