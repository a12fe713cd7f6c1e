import Glibc

/// The thin layer between the transports and the C library: errno turned into
/// `TransportError`, `EINTR` retried, and timeouts measured against one deadline so that a
/// signal arriving mid-wait neither cuts the wait short nor restarts it from zero.
enum SystemCall {
    /// The error for a failed call, read from `errno` (call this right after the failure).
    static func failure(_ call: String, _ target: String, errno code: Int32 = errno) -> TransportError {
        .system(call: call, target: target, errno: code, message: String(cString: strerror(code)))
    }

    /// Whether a failed `read`/`recv`/`send` means the other end has gone.
    static func isPeerGone(_ code: Int32) -> Bool {
        code == ECONNRESET || code == EPIPE || code == ENOTCONN
    }

    /// Runs a call that returns -1 with `errno` set, retrying after `EINTR`.
    @inline(__always)
    static func retrying<R: BinaryInteger>(_ body: () -> R) -> R {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    // MARK: Deadlines

    /// The point in time a wait ends; nil waits indefinitely.
    static func deadline(after timeout: Duration?) -> ContinuousClock.Instant? {
        timeout.map { ContinuousClock.now.advanced(by: max($0, .zero)) }
    }

    /// Milliseconds left until `deadline` for `poll` (-1: forever), rounded up so that a
    /// wait never ends before its deadline.
    static func pollMilliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let left = ContinuousClock.now.duration(to: deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        if milliseconds.overflow { return Int32.max }
        let total = milliseconds.partialValue &+ (attoseconds &+ 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: total)
    }

    // MARK: Waiting

    /// Polls `descriptors` until one reports an event in `events` (or an error/hang-up), or the
    /// deadline passes. Returns the `revents` of each, all zero on timeout.
    static func poll(_ descriptors: [Int32], events: Int16, until deadline: ContinuousClock.Instant?,
                     target: String) throws(TransportError) -> [Int16] {
        var entries = descriptors.map { pollfd(fd: $0, events: events, revents: 0) }
        while true {
            let milliseconds = pollMilliseconds(until: deadline)
            let ready = entries.withUnsafeMutableBufferPointer { buffer in
                Glibc.poll(buffer.baseAddress, nfds_t(buffer.count), milliseconds)
            }
            if ready > 0 { return entries.map(\.revents) }
            if ready == 0 { return entries.map { _ in 0 } }
            if errno == EINTR {
                // Recompute the time left; a deadline that has just passed polls once with 0.
                continue
            }
            throw failure("poll", target)
        }
    }

    /// Waits until `descriptor` is readable (or has hung up, or has an error, which the
    /// following read reports). Returns false on timeout; throws `.closed` if the
    /// descriptor was closed underneath the wait.
    static func waitReadable(_ descriptor: Int32, until deadline: ContinuousClock.Instant?,
                             target: String) throws(TransportError) -> Bool {
        let events = try poll([descriptor], events: Int16(POLLIN), until: deadline, target: target)[0]
        if events & Int16(POLLNVAL) != 0 { throw .closed }
        return events != 0
    }

    /// Waits until `descriptor` is writable; false on timeout.
    static func waitWritable(_ descriptor: Int32, until deadline: ContinuousClock.Instant?,
                             target: String) throws(TransportError) -> Bool {
        let events = try poll([descriptor], events: Int16(POLLOUT), until: deadline, target: target)[0]
        if events & Int16(POLLNVAL) != 0 { throw .closed }
        return events != 0
    }

    // MARK: Descriptor flags

    static func setNonBlocking(_ descriptor: Int32, _ nonBlocking: Bool, target: String) throws(TransportError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0 else { throw failure("fcntl(F_GETFL)", target) }
        let wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        if wanted != flags, fcntl(descriptor, F_SETFL, wanted) < 0 { throw failure("fcntl(F_SETFL)", target) }
    }

    static func setOption(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Int32,
                          label: String, target: String) throws(TransportError) {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw failure("setsockopt(\(label))", target)
        }
    }
}
