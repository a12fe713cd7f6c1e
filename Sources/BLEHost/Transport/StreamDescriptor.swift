import Glibc
import Synchronization

/// One open stream descriptor (a connected socket or a tty) shared by the thread that reads,
/// the thread that writes and whoever closes it, with the read/write loops every stream
/// transport needs.
///
/// The descriptor number lives in an atomic so that `close()` from any thread is seen by
/// the others, which then throw `.closed`. Closing a socket first shuts it down, which wakes
/// a thread blocked in `poll` on it (on Linux, `close` alone does not).
final class StreamDescriptor: Sendable {
    enum Kind: Sendable {
        /// `send` with `MSG_NOSIGNAL`, so that writing to a peer that has gone returns
        /// `EPIPE` instead of killing the process with SIGPIPE.
        case socket
        /// `read`/`write` on a terminal (ttys raise no SIGPIPE).
        case terminal
    }

    private let descriptor: Atomic<Int32>
    /// Set once the peer's end of stream has been read: later reads throw `.closed`
    /// without another system call.
    private let reachedEnd = Atomic<Bool>(false)
    let kind: Kind
    /// The transport spec, for error messages.
    let target: String

    init(_ descriptor: Int32, kind: Kind, target: String) {
        self.descriptor = Atomic(descriptor)
        self.kind = kind
        self.target = target
    }

    deinit { close() }

    /// The descriptor number, or -1 once closed.
    var number: Int32 { descriptor.load(ordering: .acquiring) }

    var isClosed: Bool { number < 0 }

    func close() {
        let old = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        guard old >= 0 else { return }
        if kind == .socket { _ = shutdown(old, Int32(SHUT_RDWR)) }
        _ = Glibc.close(old)
    }

    private func open() throws(TransportError) -> Int32 {
        let number = self.number
        guard number >= 0, !reachedEnd.load(ordering: .relaxed) else { throw .closed }
        return number
    }

    // MARK: Reading

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        let deadline = SystemCall.deadline(after: timeout)
        while true {
            let fd = try open()
            guard buffer.count > 0 else { return 0 }
            guard try SystemCall.waitReadable(fd, until: deadline, target: target) else { return 0 }
            if isClosed { throw .closed }
            let count: Int = switch kind {
            case .socket: recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            case .terminal: Glibc.read(fd, buffer.baseAddress, buffer.count)
            }
            if count > 0 { return count }
            if count == 0 {
                reachedEnd.store(true, ordering: .relaxed)
                throw .closed
            }
            let code = errno
            switch code {
            case EINTR, EAGAIN, EWOULDBLOCK:
                // Interrupted, or readiness that went away (another reader took the bytes):
                // wait again within the same deadline.
                continue
            case EBADF:
                throw .closed
            case _ where kind == .socket && SystemCall.isPeerGone(code):
                reachedEnd.store(true, ordering: .relaxed)
                throw .closed
            case EIO where kind == .terminal:
                // A terminal that has hung up (the pty's other side closed, a USB UART
                // unplugged) fails reads with EIO: the end of this stream.
                reachedEnd.store(true, ordering: .relaxed)
                throw .closed
            default:
                throw SystemCall.failure(kind == .socket ? "recv" : "read", target, errno: code)
            }
        }
    }

    // MARK: Writing

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            let fd = try open()
            let pointer = bytes.baseAddress! + offset
            let left = bytes.count - offset
            let written: Int = switch kind {
            case .socket: send(fd, pointer, left, Int32(MSG_NOSIGNAL))
            case .terminal: Glibc.write(fd, pointer, left)
            }
            if written > 0 {
                offset += written
                continue
            }
            let code = written == 0 ? EIO : errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                // Only if someone made the descriptor non-blocking: wait for room.
                _ = try SystemCall.waitWritable(fd, until: nil, target: target)
            case EBADF:
                throw .closed
            case _ where kind == .socket && SystemCall.isPeerGone(code):
                throw .closed
            default:
                throw SystemCall.failure(kind == .socket ? "send" : "write", target, errno: code)
            }
        }
    }
}
