/// A byte pipe carrying H4-framed HCI traffic between a host and a controller: a TCP or
/// Unix socket, a UART, a BlueZ socket, a capture being replayed, or an in-process pair.
///
/// Reads return whatever bytes have arrived (partial packets included: `H4Framer` puts
/// them together). Implementations are blocking with a timeout so that one thread can
/// drive a controller or host loop that also has timers (advertising intervals,
/// connection events, supervision timeouts).
public protocol HCITransport: AnyObject {
    /// Reads up to `buffer.count` bytes. Returns the number read, 0 when the timeout passed
    /// with nothing to read; throws `TransportError.closed` at end of stream.
    /// A nil timeout waits indefinitely.
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int

    /// Writes all of `bytes` (blocking until they are written).
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError)

    /// Closes the transport; further reads and writes throw `.closed`.
    func close()
}

extension HCITransport {
    /// Writes an array of bytes.
    public func write(_ bytes: [UInt8]) throws(TransportError) {
        let result: Result<Void, TransportError> = bytes.withUnsafeBytes { raw in
            Result { () throws(TransportError) in try write(raw) }
        }
        try result.get()
    }
}

/// Why a transport failed, with the system's words for it.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer closed the connection (end of stream, or a reset / broken pipe on a
    /// socket), or `close()` was called.
    case closed
    /// A system call failed: which call, on what (the transport spec, e.g.
    /// "tcp-client:127.0.0.1:9001"), errno and its `strerror` text. For `getaddrinfo` the
    /// number is its `EAI_*` code and the message `gai_strerror`'s. A timeout while
    /// connecting or waiting for a host is `ETIMEDOUT` on `connect` or `accept`.
    case system(call: String, target: String, errno: Int32, message: String)
    /// The transport spec string could not be understood.
    case invalidSpec(String, reason: String)
    /// The spec is understood but this build cannot open it (a BlueZ transport without the
    /// CBlueZ target, a transport a later layer provides, or one not implemented yet).
    case unsupported(String, reason: String)

    public var description: String {
        switch self {
        case .closed: "transport closed"
        case let .system(call, target, errno, message): "\(call) \(target): \(message) (errno \(errno))"
        case let .invalidSpec(spec, reason): "invalid transport '\(spec)': \(reason)"
        case let .unsupported(spec, reason): "transport '\(spec)' cannot be opened: \(reason)"
        }
    }
}
