import BLEWire
import CBlueZ
import Glibc
import Synchronization

/// An HCI socket of the Linux kernel's Bluetooth subsystem (BlueZ), bound to one adapter:
/// the `hci-socket:N` and `bluez:hciN` transports.
///
/// ## Channels
///
/// - **User channel** (`hci-socket:N`, ``openUserChannel(adapter:)``): `HCI_CHANNEL_USER`
///   gives this process the controller to itself, as if it were on a UART: the kernel's
///   host stack and bluetoothd let go of it (the adapter disappears from `btmgmt info`)
///   until the socket is closed, when the kernel powers the adapter down and hands it back.
///   The adapter must be down before binding (`sudo hciconfig hciN down` or
///   `btmgmt --index N power off`), and the process needs `CAP_NET_ADMIN`. See
///   `hci_sock_bind` in the kernel's net/bluetooth/hci_sock.c.
/// - **Raw channel** (`bluez:hciN`, ``openRawChannel(adapter:filter:)``): `HCI_CHANNEL_RAW`
///   shares a powered adapter with the kernel and bluetoothd. The socket receives copies of
///   the packets its ``BlueZHCIFilter`` passes, including the events answering other
///   processes' commands (match Command Complete / Status by opcode), and may send
///   commands, which the kernel queues between its own. LE commands and LE Meta events need
///   `CAP_NET_RAW` there (the kernel's `hci_sec_filter` admits neither otherwise). It is
///   meant for LE scanning (LE Set Scan Parameters / Enable, then LE Advertising Reports):
///   bluetoothd may change or stop scanning under it. GATT over such an adapter goes
///   through ``BlueZATTSocket``, an L2CAP socket on the ATT channel, not through ACL on
///   this socket.
///
/// ## Framing
///
/// On both channels each `recvmsg` returns one whole HCI packet after its packet-type
/// byte, and each `sendmsg` takes one: H4 framing, one packet per datagram. So this is an
/// `HCITransport` like a UART: ``read(into:timeout:)`` hands out the packets' bytes (a
/// packet longer than the caller's buffer is kept and handed out by the following reads),
/// and ``write(_:)`` cuts what it is given into packets with an `H4Framer` and sends each
/// one (several packets in one write, or one packet over several writes, both work). The
/// kernel takes packets of 4 bytes up to `HCI_MAX_FRAME_SIZE` (1028 bytes on current
/// kernels: 1024 bytes of ACL data) per write.
///
/// One thread may read while another writes; `close()` may be called from any thread and
/// wakes a blocked read, which then throws `.closed`.
public final class BlueZHCISocket: HCITransport, Sendable {
    let stream: StreamDescriptor
    /// A socket pair that `close()` writes to, to wake a reader blocked in `poll`: an HCI
    /// socket cannot be shut down (its `shutdown` is `sock_no_shutdown`), and on Linux
    /// closing a descriptor does not end a `poll` on it.
    private let wake: (reader: Int32, writer: Int32)
    private let receiving = Mutex(ReceiveBuffer())
    private let sending = Mutex(H4Framer())

    /// The adapter index N of hciN.
    public let adapter: UInt16
    public let channel: BlueZAddress.HCIChannel
    /// The transport spec this was opened with: "hci-socket:N" or "bluez:hciN".
    public var target: String { stream.target }

    /// The receive buffer asked for (the kernel doubles it): some 15 s of a few hundred
    /// packets a second waiting for the host loop (`BlueZSystemCall.enlargeReceiveBuffer`).
    static let receiveBufferSize: Int32 = 1 << 20

    /// The longest packet the kernel could deliver: the type byte and an ACL packet of the
    /// largest length its header can declare.
    public static let maximumPacketSize = 1 + HCIPacketType.aclData.maximumPacketSize

    /// Takes ownership of a bound HCI socket (or, in tests, of any socket that keeps packet
    /// boundaries, such as one end of an `AF_UNIX` `SOCK_SEQPACKET` pair).
    init(descriptor: Int32, adapter: UInt16, channel: BlueZAddress.HCIChannel, target: String) throws(TransportError) {
        var pair: [Int32] = [-1, -1]
        let type = Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)
        guard socketpair(AF_UNIX, type, 0, &pair) == 0 else { throw SystemCall.failure("socketpair", target) }
        wake = (pair[0], pair[1])
        stream = StreamDescriptor(descriptor, kind: .socket, target: target)
        self.adapter = adapter
        self.channel = channel
    }

    deinit {
        close()
        _ = Glibc.close(wake.reader)
        _ = Glibc.close(wake.writer)
    }

    // MARK: Opening

    /// Binds the HCI user channel of hci`index` (the `hci-socket:N` transport).
    ///
    /// The adapter must be powered off and the process must have `CAP_NET_ADMIN`; the errors
    /// say so (`EBUSY`, `EPERM`), as they say when the adapter does not exist (`ENODEV`) or
    /// the kernel has no Bluetooth (`EAFNOSUPPORT`). The controller is handed over as the
    /// kernel left it after powering it on: send HCI_Reset first.
    public static func openUserChannel(adapter index: UInt16) throws(TransportError) -> BlueZHCISocket {
        let target = TransportSpec.hciSocket(index: index).description
        let descriptor = try BlueZSystemCall.openSocket(type: Int32(SOCK_RAW.rawValue), protocol: BTPROTO_HCI,
                                                       target: target, adapter: index)
        do throws(TransportError) {
            try bind(descriptor, device: index, channel: .user, target: target)
            BlueZSystemCall.enlargeReceiveBuffer(descriptor, to: receiveBufferSize)
            return try BlueZHCISocket(descriptor: descriptor, adapter: index, channel: .user, target: target)
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    /// Binds a raw HCI socket to hci`index` with `filter` (the `bluez:hciN` transport).
    ///
    /// The adapter must be up (bluetoothd powers it on; otherwise `btmgmt --index N power on`).
    /// The filter is read back after setting it: if the kernel dropped part of it (LE Meta
    /// events without `CAP_NET_RAW`), this throws `EPERM` saying so, rather than leaving a
    /// scanner that never sees an advertisement.
    public static func openRawChannel(adapter index: UInt16, filter: BlueZHCIFilter = .leScanning) throws(TransportError) -> BlueZHCISocket {
        let target = TransportSpec.bluez(index: index).description
        let descriptor = try BlueZSystemCall.openSocket(type: Int32(SOCK_RAW.rawValue), protocol: BTPROTO_HCI,
                                                       target: target, adapter: index)
        do throws(TransportError) {
            try bind(descriptor, device: index, channel: .raw, target: target)
            let info = try deviceInfo(index, target: target)
            guard info.flags & (1 << UInt32(HCI_UP)) != 0 else {
                throw BlueZSystemCall.failure("ioctl(HCIGETDEVINFO)", target, adapter: index, step: .send(.raw), errno: ENETDOWN)
            }
            try applyFilter(filter, to: descriptor, target: target)
            BlueZSystemCall.enlargeReceiveBuffer(descriptor, to: receiveBufferSize)
            return try BlueZHCISocket(descriptor: descriptor, adapter: index, channel: .raw, target: target)
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
    }

    private static func bind(_ descriptor: Int32, device: UInt16, channel: BlueZAddress.HCIChannel,
                             target: String) throws(TransportError) {
        let address = BlueZAddress.hciSocketAddress(device: device, channel: channel)
        let result = SystemCall.retrying { BlueZSystemCall.withSockaddr(address) { Glibc.bind(descriptor, $0, $1) } }
        guard result == 0 else { throw BlueZSystemCall.failure("bind", target, adapter: device, step: .bind(channel)) }
    }

    /// The kernel's view of adapter hci`index` (libbluetooth's `hci_devinfo`, the
    /// `HCIGETDEVINFO` ioctl).
    static func deviceInfo(_ index: UInt16, target: String) throws(TransportError) -> hci_dev_info {
        var info = hci_dev_info()
        guard hci_devinfo(Int32(index), &info) == 0 else {
            throw BlueZSystemCall.failure("ioctl(HCIGETDEVINFO)", target, adapter: index, step: .localAddress)
        }
        return info
    }

    private static func applyFilter(_ filter: BlueZHCIFilter, to descriptor: Int32, target: String) throws(TransportError) {
        try BlueZSystemCall.setOption(descriptor, SOL_HCI, HCI_FILTER, filter.cValue, label: "HCI_FILTER",
                                      target: target, adapter: nil, step: .bind(.raw))
        guard let applied = BlueZSystemCall.option(descriptor, SOL_HCI, HCI_FILTER, initial: hci_filter()) else {
            throw SystemCall.failure("getsockopt(HCI_FILTER)", target)
        }
        let effective = BlueZHCIFilter(applied)
        guard effective == filter else {
            let dropped = (0..<64).map(UInt8.init).filter { filter.allows(event: $0) && !effective.allows(event: $0) }
            let codes = dropped.map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: ", ")
            throw .system(call: "setsockopt(HCI_FILTER)", target: target, errno: EPERM,
                          message: "the kernel dropped " + (codes.isEmpty ? "packet types" : "events \(codes)")
                              + " from the filter: LE Meta events on a raw HCI socket need CAP_NET_RAW "
                              + "(run as root or `sudo setcap cap_net_raw+ep BINARY`)")
        }
    }

    // MARK: HCITransport

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        let deadline = SystemCall.deadline(after: timeout)
        while true {
            let descriptor = stream.number
            guard descriptor >= 0 else { throw .closed }
            guard buffer.count > 0 else { return 0 }
            let kept = receiving.withLock { $0.take(into: buffer) }
            if kept > 0 { return kept }
            // What the last read's batch received after its packets (an error it must not lose).
            if let deferred = receiving.withLock({ $0.takeDeferred() }) {
                switch deferred {
                case .failed(EBADF), .endOfStream: throw .closed
                case .failed(let code):
                    throw BlueZSystemCall.failure("recvmsg", target, adapter: adapter, step: .receive, errno: code)
                case .truncated(let size):
                    throw .system(call: "recvmsg", target: target, errno: EMSGSIZE,
                                  message: "a packet of \(size) bytes is longer than any HCI packet")
                case .packet:
                    break
                }
            }

            let events = try SystemCall.poll([descriptor, wake.reader], events: Int16(POLLIN), until: deadline, target: target)
            if events[1] != 0 || stream.isClosed || events[0] & Int16(POLLNVAL) != 0 { throw .closed }
            if events[0] == 0 { return 0 }

            let received = receiving.withLock { $0.receive(from: descriptor, into: buffer) }
            switch received {
            case .packet(let count):
                return count + receiveMore(from: descriptor, into: buffer, after: count)
            case .failed(EINTR), .failed(EAGAIN), .failed(EWOULDBLOCK):
                // Interrupted, or readiness that went away: wait again within the same deadline.
                continue
            case .failed(EBADF), .endOfStream:
                throw .closed
            case .failed(let code):
                throw BlueZSystemCall.failure("recvmsg", target, adapter: adapter, step: .receive, errno: code)
            case .truncated(let size):
                throw .system(call: "recvmsg", target: target, errno: EMSGSIZE,
                              message: "a packet of \(size) bytes is longer than any HCI packet")
            }
        }
    }

    /// Receives the packets already queued after the first one, without waiting, into the rest
    /// of `buffer` (the H4 stream goes on there); returns their bytes.
    ///
    /// One packet per read left the host loop a packet per pass: under emulation a debug build
    /// then took about 10 notifications a second of the 50 the devices sent, the queue grew
    /// until ATT responses waited behind it for over 30 s (ATT timeouts) and the kernel dropped
    /// what did not fit (/tmp/bf-vm3, user channel, btmon against the gateway's log).
    private func receiveMore(from descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, after first: Int) -> Int {
        var total = first
        // Room for a packet of HCI_MAX_FRAME_SIZE (1028) and its type byte; a longer one spills
        // into the overflow, which ends the batch.
        while buffer.count - total >= 1029 {
            let done = receiving.withLock { receiver -> Int? in
                guard !receiver.isHolding else { return nil }
                switch receiver.receive(from: descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...])) {
                case .packet(let count): return count
                case .failed(EAGAIN), .failed(EWOULDBLOCK), .failed(EINTR): return nil
                case let other:
                    receiver.deferred = other
                    return nil
                }
            }
            guard let done else { break }
            total += done
        }
        return total - first
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        guard !stream.isClosed else { throw .closed }
        let result: Result<Void, TransportError> = sending.withLock { framer in
            var failure: TransportError? = nil
            do throws(WireError) {
                try framer.feed(RawSpan(_unsafeBytes: bytes)) { (type, packet) throws(WireError) in
                    guard failure == nil else { return }
                    if let code = self.send(type, packet) {
                        failure = code == EBADF ? .closed
                            : BlueZSystemCall.failure("sendmsg", self.target, adapter: self.adapter,
                                                      step: .send(self.channel), errno: code)
                    }
                }
            } catch {
                failure = failure ?? .system(call: "write", target: target, errno: EINVAL,
                                             message: "not an H4 packet stream (\(error)); the bytes were dropped")
            }
            return failure.map { .failure($0) } ?? .success(())
        }
        try result.get()
    }

    /// Sends one packet as one datagram, its type byte and its bytes gathered from two
    /// places; nil when sent, else the errno.
    private func send(_ type: HCIPacketType, _ packet: RawSpan) -> Int32? {
        var indicator = type.rawValue
        return packet.withUnsafeBytes { bytes -> Int32? in
            withUnsafeMutablePointer(to: &indicator) { indicatorPointer -> Int32? in
                var vectors = (iovec(iov_base: indicatorPointer, iov_len: 1),
                               iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
                return withUnsafeMutableBytes(of: &vectors) { raw -> Int32? in
                    var message = msghdr()
                    message.msg_iov = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
                    message.msg_iovlen = 2
                    while true {
                        let descriptor = stream.number
                        guard descriptor >= 0 else { return EBADF }
                        let sent = sendmsg(descriptor, &message, Int32(MSG_NOSIGNAL))
                        if sent == 1 + bytes.count { return nil }
                        if sent >= 0 { return EIO }
                        let code = errno
                        switch code {
                        case EINTR: continue
                        case EAGAIN, EWOULDBLOCK:
                            // Only if someone made the socket non-blocking: wait for room.
                            guard (try? SystemCall.waitWritable(descriptor, until: nil, target: target)) != nil else { return EBADF }
                        default: return code
                        }
                    }
                }
            }
        }
    }

    public func close() {
        guard !stream.isClosed else { return }
        stream.close()
        var byte: UInt8 = 1
        _ = Glibc.write(wake.writer, &byte, 1)
    }
}

/// The bytes of a packet longer than the caller's buffer, kept for the following reads.
/// `recvmsg` scatters each packet into the caller's buffer first and this one after it, so a
/// packet that fits costs no copy.
private struct ReceiveBuffer {
    enum Received {
        case packet(Int)
        case endOfStream
        case truncated(Int)
        case failed(Int32)
    }

    var overflow = [UInt8](repeating: 0, count: BlueZHCISocket.maximumPacketSize)
    var start = 0
    var end = 0
    /// A result after a batch's packets, for the next read.
    var deferred: Received?

    /// Whether bytes of a packet wait in the overflow.
    var isHolding: Bool { end > start }

    mutating func takeDeferred() -> Received? {
        defer { deferred = nil }
        return deferred
    }

    /// Hands out kept bytes; 0 when there are none.
    mutating func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(end - start, buffer.count)
        guard count > 0 else { return 0 }
        overflow.withUnsafeBytes { raw in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)]))
        }
        start += count
        if start == end { (start, end) = (0, 0) }
        return count
    }

    /// Receives one packet without blocking.
    mutating func receive(from descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Received {
        let overflowCount = overflow.count
        let (count, flags): (Int, Int32) = overflow.withUnsafeMutableBytes { spare in
            var vectors = (iovec(iov_base: buffer.baseAddress, iov_len: buffer.count),
                           iovec(iov_base: spare.baseAddress, iov_len: overflowCount))
            return withUnsafeMutableBytes(of: &vectors) { raw in
                var message = msghdr()
                message.msg_iov = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
                message.msg_iovlen = 2
                let count = recvmsg(descriptor, &message, Int32(MSG_DONTWAIT))
                return (count, count < 0 ? errno : message.msg_flags)
            }
        }
        if count < 0 { return .failed(flags) }
        // The kernel returns 0 once the socket is closed (BT_CLOSED): no packet is empty.
        if count == 0 { return .endOfStream }
        if flags & Int32(MSG_TRUNC) != 0 { return .truncated(count) }
        if count > buffer.count { (start, end) = (0, count - buffer.count) }
        return .packet(min(count, buffer.count))
    }
}
