import BLEWire
import CBlueZ
import Glibc

/// An Attribute Protocol bearer to one LE peer through the kernel's L2CAP (the GATT half of
/// the `bluez:hciN` transport): a `SOCK_SEQPACKET` L2CAP socket on the fixed ATT channel
/// (CID 4, Core Specification v5.4, Vol 3, Part A, §2.1), as bluetoothd's own GATT client
/// and `btgatt-client` use it.
///
/// Connecting the socket makes the kernel create the LE connection (and tear it down when
/// the last user closes); each `recvmsg` returns one whole ATT PDU and each `send` takes
/// one, with no L2CAP or ACL header: the kernel does the framing, fragmentation and flow
/// control that ``BlueZHCISocket``'s user channel would leave to us. The gateway's GATT
/// client will run over this socket on boards where bluetoothd keeps the adapter; ATT MTU
/// exchange and everything above it is the client's business.
///
/// bluetoothd notices the new connection too and may run its own GATT discovery over the
/// same link (its ATT requests do not reach this socket, but the peer serves both).
///
/// One thread may receive while another sends; `close()` may be called from any thread and
/// wakes a blocked receive, which then throws `.closed`.
public final class BlueZATTSocket: Sendable {
    /// `bt_security.level` (bluetooth.h:56-60), set with `setsockopt(SOL_BLUETOOTH,
    /// BT_SECURITY)` before connecting; the kernel pairs or encrypts to reach it.
    public enum SecurityLevel: UInt8, Sendable {
        /// `BT_SECURITY_LOW`: no encryption (the default).
        case low = 1
        /// `BT_SECURITY_MEDIUM`: encrypted, unauthenticated pairing is enough.
        case medium = 2
        /// `BT_SECURITY_HIGH`: encrypted with an authenticated (MITM-protected) key.
        case high = 3
        /// `BT_SECURITY_FIPS`: LE Secure Connections with an authenticated key.
        case fips = 4
    }

    let stream: StreamDescriptor

    /// The peer's address and its type.
    public let peer: BDAddress
    public let addressType: BlueZAddress.LEAddressType
    /// The adapter the connection goes through; nil: the kernel chose (`BDADDR_ANY`).
    public let adapter: UInt16?
    /// Names the connection in error messages, e.g. "bluez:hci0/att/C0:11:22:33:44:55/random".
    public var target: String { stream.target }

    /// Takes ownership of a connected socket that keeps packet boundaries (an L2CAP ATT
    /// socket, or in tests one end of an `AF_UNIX` `SOCK_SEQPACKET` pair).
    init(descriptor: Int32, peer: BDAddress, addressType: BlueZAddress.LEAddressType, adapter: UInt16?, target: String) {
        stream = StreamDescriptor(descriptor, kind: .socket, target: target)
        self.peer = peer
        self.addressType = addressType
        self.adapter = adapter
    }

    /// Connects to `peer`'s ATT channel, waiting for the link.
    ///
    /// ``startConnecting(to:addressType:adapter:security:)``, then a wait of up to `timeout`
    /// (nil: as long as the kernel does, about 20 s for an LE connection) for the link, as
    /// `l2cap_sock_connect` in the kernel's net/bluetooth/l2cap_sock.c expects; the socket is
    /// then made blocking again.
    public static func connect(to peer: BDAddress, addressType: BlueZAddress.LEAddressType, adapter: UInt16? = nil,
                               security: SecurityLevel? = nil, timeout: Duration? = nil) throws(TransportError) -> BlueZATTSocket {
        let deadline = SystemCall.deadline(after: timeout)
        let socket = try startConnecting(to: peer, addressType: addressType, adapter: adapter, security: security)
        // Closing the socket on the way out cancels the kernel's connection attempt.
        var keep = false
        defer { if !keep { socket.close() } }
        let descriptor = socket.stream.number
        guard try SystemCall.waitWritable(descriptor, until: deadline, target: socket.target) else {
            throw BlueZSystemCall.failure("connect", socket.target, adapter: adapter, step: .connectATT, errno: ETIMEDOUT)
        }
        guard try socket.connectionEstablished() else {
            throw BlueZSystemCall.failure("connect", socket.target, adapter: adapter, step: .connectATT, errno: ETIMEDOUT)
        }
        try SystemCall.setNonBlocking(descriptor, false, target: socket.target)
        keep = true
        return socket
    }

    /// Starts connecting to `peer`'s ATT channel and returns at once, the kernel creating the
    /// LE link in the background: ask ``connectionEstablished()`` until it says true (or
    /// throws why not), and ``close()`` to give up, which cancels the attempt. Several
    /// attempts may be under way at once; the kernel queues them (it initiates one LE
    /// connection at a time, `hci_conn.c`).
    ///
    /// The socket is bound to the ATT CID on adapter hci`adapter`'s address (nil: any adapter,
    /// `BDADDR_ANY`) as an LE public address, then connected without blocking. (When the kernel
    /// finds no route from that address, as with a static address set on an LE-only adapter,
    /// and hci`adapter` is the first adapter up, it binds to `BDADDR_ANY` instead.) It stays
    /// non-blocking: ``receive(into:timeout:)`` waits with `poll` either way, and a send
    /// that finds no room waits for it.
    ///
    /// - Parameters:
    ///   - addressType: public or random, as the peer advertised it (`AddressType` of its
    ///     advertising report converts with `LEAddressType.init(_:)`); the wrong one times out.
    ///   - security: a level to reach before the connection is reported (nil: the kernel's
    ///     default, `BT_SECURITY_LOW`).
    public static func startConnecting(to peer: BDAddress, addressType: BlueZAddress.LEAddressType, adapter: UInt16? = nil,
                                       security: SecurityLevel? = nil) throws(TransportError) -> BlueZATTSocket {
        let target = (adapter.map { TransportSpec.bluez(index: $0).description } ?? "bluez") + "/att/\(peer)/\(addressType)"
        var local: BDAddress? = nil
        if let adapter {
            let info = try BlueZHCISocket.deviceInfo(adapter, target: target)
            local = BlueZAddress.address(info.bdaddr)
        }
        do throws(TransportError) {
            let descriptor = try connectSocket(from: local, to: peer, addressType: addressType, adapter: adapter,
                                               security: security, target: target)
            return BlueZATTSocket(descriptor: descriptor, peer: peer, addressType: addressType, adapter: adapter, target: target)
        } catch .system(_, _, EHOSTUNREACH, _) where adapter != nil && hci_get_route(nil) == Int32(adapter!) {
            // The kernel routes by the adapter's identity address (`hci_get_route`, hci_conn.c),
            // which is its static random address, not the public one HCIGETDEVINFO reports,
            // when a static address is set on an LE-only adapter (`hci_copy_identity_address`):
            // bound to the public address, connect finds no adapter (found in the VM,
            // 2026-12-02). No ioctl reports the static address, so bind to BDADDR_ANY, which
            // routes to the first adapter that is up: this one, as libbluetooth's
            // `hci_get_route(NULL)` (the same list, the same order) says.
            let descriptor = try connectSocket(from: nil, to: peer, addressType: addressType, adapter: adapter,
                                               security: security, target: target)
            return BlueZATTSocket(descriptor: descriptor, peer: peer, addressType: addressType, adapter: adapter, target: target)
        }
    }

    /// A new non-blocking ATT socket bound to `local` (nil: `BDADDR_ANY`) whose connection to
    /// `peer` is under way.
    private static func connectSocket(from local: BDAddress?, to peer: BDAddress, addressType: BlueZAddress.LEAddressType,
                                      adapter: UInt16?, security: SecurityLevel?, target: String) throws(TransportError) -> Int32 {
        let type = Int32(SOCK_SEQPACKET.rawValue | SOCK_NONBLOCK.rawValue)
        let descriptor = try BlueZSystemCall.openSocket(type: type, protocol: BTPROTO_L2CAP, target: target, adapter: adapter)
        var keep = false
        defer { if !keep { _ = Glibc.close(descriptor) } }

        let localAddress = BlueZAddress.l2capLocalAddress(local)
        guard BlueZSystemCall.withSockaddr(localAddress, { Glibc.bind(descriptor, $0, $1) }) == 0 else {
            throw BlueZSystemCall.failure("bind", target, adapter: adapter, step: .localAddress)
        }
        // One device's notifications for some seconds of a stalled loop (a PDU the queue has
        // no room for is dropped; BlueZSystemCall.enlargeReceiveBuffer).
        BlueZSystemCall.enlargeReceiveBuffer(descriptor, to: 256 << 10)
        if let security {
            try BlueZSystemCall.setOption(descriptor, SOL_BLUETOOTH, BT_SECURITY, bt_security(level: security.rawValue, key_size: 0),
                                          label: "BT_SECURITY", target: target, adapter: adapter, step: .connectATT)
        }

        let remote = BlueZAddress.l2capAddress(peer: peer, addressType: addressType)
        if BlueZSystemCall.withSockaddr(remote, { Glibc.connect(descriptor, $0, $1) }) != 0 {
            let code = errno
            // EINTR: the connection goes on in the background, as with EINPROGRESS.
            guard code == EINPROGRESS || code == EINTR else {
                throw BlueZSystemCall.failure("connect", target, adapter: adapter, step: .connectATT, errno: code)
            }
        }
        keep = true
        return descriptor
    }

    /// Whether a connection from ``startConnecting(to:addressType:adapter:security:)`` is up:
    /// false while the kernel is still creating the link, true once it is (the socket is
    /// writable and `SO_ERROR` is 0); throws the kernel's reason when the attempt failed
    /// (`ETIMEDOUT` after about 20 s without an answer, `ECONNREFUSED`, ...). Does not wait.
    /// Ask it only until it says true: on a link whose send buffer is full it says false.
    public func connectionEstablished() throws(TransportError) -> Bool {
        let descriptor = stream.number
        guard descriptor >= 0 else { throw .closed }
        guard try SystemCall.waitWritable(descriptor, until: SystemCall.deadline(after: .zero), target: target) else {
            return false
        }
        guard let pending = BlueZSystemCall.option(descriptor, SOL_SOCKET, SO_ERROR, initial: Int32(0)) else {
            throw SystemCall.failure("getsockopt(SO_ERROR)", target)
        }
        if pending != 0 {
            throw BlueZSystemCall.failure("connect", target, adapter: adapter, step: .connectATT, errno: pending)
        }
        return true
    }

    // MARK: MTU

    /// The largest PDU the kernel passes up on this channel (`getsockopt(SOL_BLUETOOTH,
    /// BT_RCVMTU)`, bluetooth.h:109): size receive buffers to it. This is the L2CAP MTU of
    /// the channel, not the ATT_MTU, which the GATT client negotiates with Exchange MTU and
    /// which must not exceed it. Nil if the kernel does not say (older kernels, or closed).
    public var receiveMTU: Int? { mtuOption(BT_RCVMTU) }

    /// The largest PDU the kernel sends on this channel (`BT_SNDMTU`, bluetooth.h:108); nil
    /// if the kernel does not say.
    public var sendMTU: Int? { mtuOption(BT_SNDMTU) }

    private func mtuOption(_ name: Int32) -> Int? {
        let descriptor = stream.number
        guard descriptor >= 0 else { return nil }
        // The kernel writes a u16 (l2cap_sock_getsockopt).
        return BlueZSystemCall.option(descriptor, SOL_BLUETOOTH, name, initial: UInt16(0)).map(Int.init)
    }

    // MARK: PDUs

    /// Waits up to `timeout` for one ATT PDU and copies it into `buffer`. Returns its length,
    /// 0 when the timeout passed (no ATT PDU is empty); throws `.closed` when the link is gone.
    /// A PDU longer than `buffer` throws `EMSGSIZE` (it is lost): size the buffer to
    /// ``receiveMTU``.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        let deadline = SystemCall.deadline(after: timeout)
        while true {
            let descriptor = stream.number
            guard descriptor >= 0 else { throw .closed }
            guard buffer.count > 0 else { return 0 }
            guard try SystemCall.waitReadable(descriptor, until: deadline, target: target) else { return 0 }
            if stream.isClosed { throw .closed }
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            var message = msghdr()
            let count = withUnsafeMutablePointer(to: &vector) { pointer in
                message.msg_iov = pointer
                message.msg_iovlen = 1
                return recvmsg(descriptor, &message, Int32(MSG_DONTWAIT))
            }
            if count > 0 {
                guard message.msg_flags & Int32(MSG_TRUNC) == 0 else {
                    throw .system(call: "recvmsg", target: target, errno: EMSGSIZE,
                                  message: "an ATT PDU longer than the \(buffer.count)-byte buffer was dropped "
                                      + "(size it to receiveMTU, \(receiveMTU.map(String.init) ?? "unknown"))")
                }
                return count
            }
            if count == 0 { throw .closed }
            let code = errno
            switch code {
            case EINTR, EAGAIN, EWOULDBLOCK: continue
            case EBADF: throw .closed
            case _ where SystemCall.isPeerGone(code): throw .closed
            default: throw BlueZSystemCall.failure("recvmsg", target, adapter: adapter, step: .receive, errno: code)
            }
        }
    }

    /// Sends one ATT PDU (at most ``sendMTU`` bytes; a longer one fails with `EMSGSIZE`).
    public func send(_ pdu: UnsafeRawBufferPointer) throws(TransportError) {
        try stream.write(pdu)
    }

    /// Sends one ATT PDU.
    public func send(_ pdu: [UInt8]) throws(TransportError) {
        let result: Result<Void, TransportError> = pdu.withUnsafeBytes { raw in
            Result { () throws(TransportError) in try send(raw) }
        }
        try result.get()
    }

    /// Closes the socket, which drops the LE link unless someone else (bluetoothd) uses it.
    public func close() { stream.close() }
}
