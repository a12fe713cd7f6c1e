import CBlueZ
import Glibc

/// The thin layer between the BlueZ transports and the kernel's Bluetooth sockets: opening
/// and binding them, and turning their errno values into messages that say what to do.
///
/// The advice follows what the kernel checks (net/bluetooth/hci_sock.c `hci_sock_bind`,
/// `hci_sock_sendmsg`; net/bluetooth/l2cap_sock.c `l2cap_sock_connect`).
enum BlueZSystemCall {
    /// What was being attempted when a call failed, which decides the advice.
    enum Step: Equatable, Sendable {
        case socket
        case bind(BlueZAddress.HCIChannel)
        case send(BlueZAddress.HCIChannel)
        case receive
        case localAddress
        case connectATT
    }

    /// The error for a failed call on adapter hci`adapter` (nil: any adapter): `strerror`'s
    /// text, then what to do about it when that is known.
    static func failure(_ call: String, _ target: String, adapter: UInt16?, step: Step,
                        errno code: Int32 = errno) -> TransportError {
        var message = String(cString: strerror(code))
        if let advice = advice(for: code, step: step, adapter: adapter) { message += ": " + advice }
        return .system(call: call, target: target, errno: code, message: message)
    }

    /// What to do about `code`, or nil when there is nothing more to say than `strerror`.
    static func advice(for code: Int32, step: Step, adapter: UInt16?) -> String? {
        let name = adapter.map { "hci\($0)" } ?? "the adapter"
        let index = adapter.map(String.init) ?? "N"
        switch (code, step) {
        case (EAFNOSUPPORT, _):
            return "this kernel has no Bluetooth support (AF_BLUETOOTH): run on a kernel built with CONFIG_BT "
                + "and its bluetooth module loaded (a container uses its host's kernel)"
        case (EPROTONOSUPPORT, .socket), (ESOCKTNOSUPPORT, .socket):
            return "this kernel's Bluetooth support lacks this socket type"
        case (ENODEV, .bind), (ENODEV, .localAddress):
            return "there is no adapter \(name) (list them with `hciconfig` or `btmgmt info`)"
        case (EPERM, .bind(.user)), (EACCES, .bind(.user)):
            return "the HCI user channel needs CAP_NET_ADMIN: run as root or grant it "
                + "(`sudo setcap cap_net_admin+ep BINARY`, or AmbientCapabilities=CAP_NET_ADMIN in the systemd unit)"
        case (EBUSY, .bind(.user)):
            return "\(name) is up or used by bluetoothd: power it off first "
                + "(`sudo hciconfig \(name) down` or `btmgmt --index \(index) power off`)"
        case (EUSERS, .bind(.user)):
            return "another process already holds the user channel of \(name)"
        case (ERFKILL, .bind(.user)):
            return "\(name) is blocked by rfkill: `rfkill unblock bluetooth`"
        case (EPERM, .send(.raw)):
            return "LE commands on a raw HCI socket need CAP_NET_RAW (they are outside the kernel's unprivileged "
                + "command filter): run as root or grant it (`sudo setcap cap_net_raw+ep BINARY`)"
        case (ENETDOWN, .send(.raw)):
            return "\(name) is down: power it on (`btmgmt --index \(index) power on` or `sudo hciconfig \(name) up`)"
        case (ENETDOWN, .send(.user)):
            return "\(name) is no longer up (reset or removed): reopen the transport"
        case (EPIPE, .send), (EPIPE, .receive), (EBADFD, .send), (EBADFD, .receive), (ENODEV, .send), (ENODEV, .receive):
            return "\(name) was removed (unplugged, or its driver unloaded)"
        case (EINVAL, .send):
            return "the kernel refused the packet: an HCI socket takes one packet per write, 4 bytes to "
                + "HCI_MAX_FRAME_SIZE (1028 on current kernels), and a user channel only commands, ACL, SCO and ISO data"
        case (ETIMEDOUT, .connectATT):
            return "the peer did not answer: out of range, not advertising connectably, or given the wrong "
                + "address type (public or random)"
        case (EHOSTUNREACH, .connectATT), (EHOSTDOWN, .connectATT), (ENETDOWN, .connectATT):
            return "no powered LE adapter can reach the peer (check `btmgmt info`: powered, le)"
        case (EBUSY, .connectATT):
            return "the adapter is already setting up another LE connection (the kernel makes one at a time): retry"
        case (EACCES, .connectATT), (EPERM, .connectATT):
            return "the requested security level needs pairing with the peer, which failed"
        default:
            return nil
        }
    }

    // MARK: Sockets

    /// A new Bluetooth socket of `type` (`SOCK_RAW`, `SOCK_SEQPACKET`) and `protocol`
    /// (`BTPROTO_HCI`, `BTPROTO_L2CAP`), close-on-exec.
    static func openSocket(type: Int32, protocol: Int32, target: String, adapter: UInt16?) throws(TransportError) -> Int32 {
        let descriptor = socket(AF_BLUETOOTH, type | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
        guard descriptor >= 0 else { throw failure("socket", target, adapter: adapter, step: .socket) }
        return descriptor
    }

    /// Asks for a receive buffer of `bytes` on a Bluetooth socket, best effort: beyond
    /// `net.core.rmem_max` with `SO_RCVBUFFORCE` (33, asm-generic/socket.h) where the process
    /// has `CAP_NET_ADMIN`, else with `SO_RCVBUF`, which the kernel caps at `rmem_max`.
    ///
    /// The kernel drops a packet for a socket whose receive queue is full, silently and after
    /// the monitor channel has seen it (`sock_queue_rcv_skb` in `hci_send_to_sock`,
    /// net/bluetooth/hci_sock.c; `l2cap_sock_recv_cb` for an ATT socket). The default
    /// (`rmem_default`, 212,992 bytes; each packet counts its whole allocation, over a kilobyte)
    /// holds about two seconds of four devices' notifications. Under emulation the user channel
    /// lost bursts of insole frames that btmon saw (/tmp/gaitway-bluez-vm-4950: 24 of 2,631
    /// mid-run, in four bursts, each at the same instant for both insoles), when the VM had
    /// stalled and delivered what it had queued at once: what a full queue looks like.
    static func enlargeReceiveBuffer(_ descriptor: Int32, to bytes: Int32) {
        var size = bytes
        let length = socklen_t(MemoryLayout<Int32>.size)
        if setsockopt(descriptor, SOL_SOCKET, Self.receiveBufferForce, &size, length) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, length)
        }
    }

    /// `SO_RCVBUFFORCE`, which Glibc's Swift module does not export.
    static let receiveBufferForce: Int32 = 33

    /// Runs `body` with `address` as the `sockaddr` pointer and length the socket calls take.
    static func withSockaddr<Address, R>(_ address: Address, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: address) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
    }

    /// Sets a socket option whose value is a structure.
    static func setOption<Value>(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Value,
                                 label: String, target: String, adapter: UInt16?, step: Step) throws(TransportError) {
        let result = withUnsafeBytes(of: value) { raw in
            setsockopt(descriptor, level, name, raw.baseAddress, socklen_t(raw.count))
        }
        guard result == 0 else { throw failure("setsockopt(\(label))", target, adapter: adapter, step: step) }
    }

    /// Reads a socket option whose value is a structure (`initial` gives its size); nil if the
    /// kernel does not have it.
    static func option<Value>(_ descriptor: Int32, _ level: Int32, _ name: Int32, initial: Value) -> Value? {
        var value = initial
        var length = socklen_t(MemoryLayout<Value>.size)
        let result = withUnsafeMutableBytes(of: &value) { raw in
            getsockopt(descriptor, level, name, raw.baseAddress, &length)
        }
        return result == 0 ? value : nil
    }
}
