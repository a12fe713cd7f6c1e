import BLEWire
import CBlueZ
import Foundation
import Glibc
import Testing
@testable import BLEHost

/// The BlueZ transports: their socket addresses and filter byte for byte (against the
/// layouts of libbluetooth's headers), their errors on a kernel without Bluetooth (this
/// machine) or with it, and their framing logic over `AF_UNIX` `SOCK_SEQPACKET` pairs,
/// which keep packet boundaries the way HCI and L2CAP sockets do.
@Suite struct BlueZTransportTests {
    typealias T = TransportTesting

    static func bytes<Value>(of value: Value) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// Whether this kernel has Bluetooth sockets at all: the development machines do not.
    static let kernelHasBluetooth: Bool = {
        let probe = socket(AF_BLUETOOTH, Int32(SOCK_RAW.rawValue | SOCK_CLOEXEC.rawValue), BTPROTO_HCI)
        guard probe >= 0 else { return errno != EAFNOSUPPORT }
        close(probe)
        return true
    }()

    // MARK: Addresses

    /// sockaddr_hci (hci.h:2334): family AF_BLUETOOTH 31, hci_dev 2, HCI_CHANNEL_USER 1.
    @Test func userChannelAddress() {
        let address = BlueZAddress.hciSocketAddress(device: 2, channel: .user)
        #expect(MemoryLayout<sockaddr_hci>.size == 6)
        #expect(Self.bytes(of: address) == [31, 0, 2, 0, 1, 0])
        #expect(Self.bytes(of: BlueZAddress.hciSocketAddress(device: 0x0102, channel: .raw)) == [31, 0, 0x02, 0x01, 0, 0])
    }

    /// sockaddr_l2 (l2cap.h:28) for C0:11:22:33:44:55, random, ATT CID: the address least
    /// significant octet first, the CID little-endian, no PSM.
    @Test func l2capAddressOfARandomPeer() throws {
        let peer = try #require(BDAddress("C0:11:22:33:44:55"))
        let address = BlueZAddress.l2capAddress(peer: peer, addressType: .leRandom, cid: 4)
        #expect(MemoryLayout<sockaddr_l2>.size == 14)
        #expect(MemoryLayout<bdaddr_t>.size == 6)
        let bytes = Self.bytes(of: address)
        #expect(bytes[0..<2] == [31, 0], "l2_family")
        #expect(bytes[2..<4] == [0, 0], "l2_psm")
        #expect(bytes[4..<10] == [0x55, 0x44, 0x33, 0x22, 0x11, 0xC0], "l2_bdaddr")
        #expect(bytes[10..<12] == [0x04, 0x00], "l2_cid")
        #expect(bytes[12] == 2, "l2_bdaddr_type BDADDR_LE_RANDOM")
        #expect(address.l2_bdaddr.b.0 == 0x55 && address.l2_bdaddr.b.5 == 0xC0)
        #expect(address.l2_cid == UInt16(4).littleEndian)
        #expect(BlueZAddress.address(address.l2_bdaddr) == peer)
        #expect(BlueZAddress.l2capAddress(peer: peer, addressType: .lePublic) .l2_bdaddr_type == UInt8(BDADDR_LE_PUBLIC))
    }

    /// libbluetooth's own parser agrees on the byte order.
    @Test func bdaddrMatchesLibbluetooth() throws {
        var parsed = bdaddr_t()
        #expect(str2ba("C0:11:22:33:44:55", &parsed) == 0)
        let peer = try #require(BDAddress("C0:11:22:33:44:55"))
        #expect(Self.bytes(of: parsed) == Self.bytes(of: BlueZAddress.bdaddr(peer)))
    }

    /// The local end: BDADDR_ANY, LE public, ATT CID.
    @Test func localATTAddressIsAnyAdapter() {
        let bytes = Self.bytes(of: BlueZAddress.l2capLocalAddress())
        #expect(Array(bytes[0..<13]) == [31, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1])
    }

    @Test func addressTypesMapFromHCI() {
        #expect(BlueZAddress.LEAddressType(.publicDevice) == .lePublic)
        #expect(BlueZAddress.LEAddressType(.publicIdentity) == .lePublic)
        #expect(BlueZAddress.LEAddressType(.randomDevice) == .leRandom)
        #expect(BlueZAddress.LEAddressType(.randomIdentity) == .leRandom)
        #expect(BlueZAddress.LEAddressType.lePublic.rawValue == UInt8(BDADDR_LE_PUBLIC))
        #expect(BlueZAddress.LEAddressType.leRandom.rawValue == UInt8(BDADDR_LE_RANDOM))
        #expect(BlueZAddress.HCIChannel.user.rawValue == UInt16(HCI_CHANNEL_USER))
        #expect(BlueZAddress.HCIChannel.raw.rawValue == UInt16(HCI_CHANNEL_RAW))
    }

    // MARK: Filter

    /// Command and event packets (bits 1 and 4 of type_mask), and events 0x0E, 0x0F (word 0)
    /// and 0x3E (bit 30 of word 1).
    @Test func leScanningFilterBits() {
        let filter = BlueZHCIFilter.leScanning
        #expect(filter.typeMask == 0x0000_0012)
        #expect(filter.allows(.event) && filter.allows(.command) && !filter.allows(.aclData))
        #expect(filter.allows(event: 0x3E) && filter.allows(event: 0x0E) && filter.allows(event: 0x0F))
        #expect(!filter.allows(event: 0x05) && !filter.allows(event: 0x3F))
        #expect(filter.opcode == 0)

        let c = filter.cValue
        #expect(MemoryLayout<hci_filter>.size == 16)
        #expect(c.type_mask == 0x12)
        #expect(c.event_mask.0 == 0x0000_C000)
        #expect(c.event_mask.1 == 0x4000_0000)
        #expect(Self.bytes(of: c)[0..<14] == [0x12, 0, 0, 0, 0x00, 0xC0, 0, 0, 0, 0, 0, 0x40, 0, 0])
        #expect(BlueZHCIFilter(c) == filter)
    }

    /// The same filter built with libbluetooth's inline helpers (hci_lib.h:180, 196).
    @Test func filterMatchesLibbluetooth() {
        var reference = hci_filter()
        hci_filter_clear(&reference)
        hci_filter_set_ptype(HCI_EVENT_PKT, &reference)
        hci_filter_set_ptype(HCI_COMMAND_PKT, &reference)
        hci_filter_set_event(EVT_LE_META_EVENT, &reference)
        hci_filter_set_event(EVT_CMD_COMPLETE, &reference)
        hci_filter_set_event(EVT_CMD_STATUS, &reference)
        #expect(Self.bytes(of: reference)[0..<14] == Self.bytes(of: BlueZHCIFilter.leScanning.cValue)[0..<14])
    }

    // MARK: Errors

    static let advice: [(code: Int32, step: BlueZSystemCall.Step, contains: String)] = [
        (EAFNOSUPPORT, .socket, "this kernel has no Bluetooth support (AF_BLUETOOTH)"),
        (EBUSY, .bind(.user), "hci2 is up or used by bluetoothd: power it off first"),
        (EBUSY, .bind(.user), "btmgmt --index 2 power off"),
        (EPERM, .bind(.user), "CAP_NET_ADMIN"),
        (ENODEV, .bind(.user), "there is no adapter hci2"),
        (ENODEV, .bind(.raw), "there is no adapter hci2"),
        (EUSERS, .bind(.user), "another process already holds the user channel of hci2"),
        (EPERM, .send(.raw), "CAP_NET_RAW"),
        (ENETDOWN, .send(.raw), "hci2 is down: power it on"),
        (ETIMEDOUT, .connectATT, "wrong address type"),
    ]

    @Test(arguments: advice)
    func errorsSayWhatToDo(_ example: (code: Int32, step: BlueZSystemCall.Step, contains: String)) {
        let error = BlueZSystemCall.failure("bind", "hci-socket:2", adapter: 2, step: example.step, errno: example.code)
        guard case let .system(call, target, code, message) = error else {
            Issue.record("not a system error: \(error)")
            return
        }
        #expect(call == "bind" && target == "hci-socket:2" && code == example.code)
        #expect(message.hasPrefix(String(cString: strerror(example.code)) + ": "), "\(message)")
        #expect(message.contains(example.contains), "\(message)")
    }

    @Test func unknownErrorsKeepTheSystemsWords() {
        #expect(BlueZSystemCall.advice(for: EIO, step: .receive, adapter: 0) == nil)
        let error = BlueZSystemCall.failure("recvmsg", "bluez:hci0", adapter: 0, step: .receive, errno: EIO)
        #expect(error == .system(call: "recvmsg", target: "bluez:hci0", errno: EIO, message: String(cString: strerror(EIO))))
    }

    // MARK: Opening on this kernel

    /// On a kernel without Bluetooth, both transports fail at `socket` saying so. On one with
    /// it, the user channel is tried on an adapter index that cannot exist (so that a test
    /// run as root never takes a real adapter away from bluetoothd), the raw channel on hci0,
    /// which only listens: each fails with an errno the kernel documents for it, with advice,
    /// or opens.
    @Test(arguments: [TransportSpec.hciSocket(index: 0), .bluez(index: 0)])
    func openingOnThisKernel(_ spec: TransportSpec) throws {
        let tried: TransportSpec
        let expected: Set<Int32>
        switch (spec, Self.kernelHasBluetooth) {
        case (_, false):
            tried = spec
            expected = [EAFNOSUPPORT]
        case (.hciSocket, true):
            tried = .hciSocket(index: 0xFFFE)
            expected = [EPERM, ENODEV]
        default:
            tried = spec
            // No adapter; adapter down; LE events filtered out without CAP_NET_RAW.
            expected = [ENODEV, ENETDOWN, EPERM]
        }
        do {
            let transport = try tried.open(timeout: .seconds(1))
            #expect(Self.kernelHasBluetooth && tried == .bluez(index: 0), "\(tried) opened")
            transport.close()
        } catch {
            guard case let .system(call, target, code, message) = error else {
                Issue.record("\(tried): expected a system error, got \(error)")
                return
            }
            #expect(target == tried.description)
            #expect(expected.contains(code), "\(tried): \(error)")
            #expect(BlueZSystemCall.advice(for: code, step: .bind(.user), adapter: 0) != nil
                || BlueZSystemCall.advice(for: code, step: .send(.raw), adapter: 0) != nil
                || message.contains("CAP_NET_RAW"), "\(message)")
            if !Self.kernelHasBluetooth {
                #expect(call == "socket")
                #expect(message.contains("kernel has no Bluetooth support"), "\(message)")
                #expect(error.description.hasPrefix("socket \(tried): "))
            }
        }
    }

    /// `hci-socket:1` reaches the BlueZ code: a system error naming the spec, not
    /// `.unsupported`.
    @Test func specRoutesToTheUserChannel() throws {
        let spec = try TransportSpec(parsing: Self.kernelHasBluetooth ? "hci-socket:65534" : "hci-socket:1")
        do {
            try spec.open().close()
            Issue.record("\(spec) opened")
        } catch {
            guard case let .system(call, target, _, _) = error else {
                Issue.record("expected a system error from the BlueZ code, got \(error)")
                return
            }
            #expect(target == spec.description)
            #expect(call == (Self.kernelHasBluetooth ? "bind" : "socket"))
        }
    }

    @Test func attConnectFailsTheSameWay() throws {
        let peer = try #require(BDAddress("C0:11:22:33:44:55"))
        do {
            let socket = try BlueZATTSocket.connect(to: peer, addressType: .leRandom, timeout: .milliseconds(200))
            socket.close()
            #expect(Self.kernelHasBluetooth, "connected without Bluetooth")
        } catch {
            guard case let .system(call, target, code, message) = error else {
                Issue.record("expected a system error, got \(error)")
                return
            }
            #expect(target == "bluez/att/C0:11:22:33:44:55/random")
            if !Self.kernelHasBluetooth {
                #expect(call == "socket" && code == EAFNOSUPPORT)
                #expect(message.contains("kernel has no Bluetooth support"))
            }
        }
    }

    // MARK: Framing, over packet-preserving socket pairs

    /// A BlueZHCISocket over one end of a SOCK_SEQPACKET pair, and the other end's descriptor.
    static func hciPair(channel: BlueZAddress.HCIChannel = .user) throws -> (BlueZHCISocket, Int32) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw POSIXError(.EIO)
        }
        let transport = try BlueZHCISocket(descriptor: pair[0], adapter: 7, channel: channel, target: "hci-socket:7")
        return (transport, pair[1])
    }

    /// The next datagram on `descriptor`, whole.
    static func datagram(_ descriptor: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 70_000)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? Array(buffer[0..<count]) : []
    }

    /// Packets written together go out one per datagram; a packet written in pieces goes out
    /// once it is whole. (HCIHostLink writes its whole outbox at once.)
    @Test func writesOnePacketPerDatagram() throws {
        let (transport, peer) = try Self.hciPair()
        defer { transport.close(); close(peer) }
        let setScanEnable: [UInt8] = [0x01, 0x0C, 0x20, 0x02, 0x01, 0x00]
        let acl: [UInt8] = [0x02, 0x40, 0x00, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x0A, 0x03, 0x00]
        try transport.write(T.resetH4 + setScanEnable + acl)
        #expect(Self.datagram(peer) == T.resetH4)
        #expect(Self.datagram(peer) == setScanEnable)
        #expect(Self.datagram(peer) == acl)

        try transport.write(Array(setScanEnable[0..<2]))
        try transport.write(Array(setScanEnable[2..<5]))
        try transport.write(Array(setScanEnable[5...]) + T.resetH4)
        #expect(Self.datagram(peer) == setScanEnable)
        #expect(Self.datagram(peer) == T.resetH4)
    }

    @Test func rejectsBytesThatAreNotH4() throws {
        let (transport, peer) = try Self.hciPair()
        defer { transport.close(); close(peer) }
        #expect {
            try transport.write([0x09] + T.resetH4)
        } throws: { error in
            guard case .system("write", "hci-socket:7", EINVAL, let message) = error as? TransportError else { return false }
            return message.contains("not an H4 packet stream")
        }
        // The framer resynchronised on the reset after the stray byte and sent it.
        #expect(Self.datagram(peer) == T.resetH4)
    }

    /// A packet longer than the reader's buffer is handed out over several reads; a packet
    /// that fits is returned whole (a buffer with no room for a second HCI frame gets one).
    @Test func readsKeepWhatDoesNotFit() throws {
        let (transport, peer) = try Self.hciPair()
        defer { transport.close(); close(peer) }
        let report: [UInt8] = [0x04, 0x3E, 0x0C, 0x02, 0x01, 0x00, 0x01, 0x55, 0x44, 0x33, 0x22, 0x11, 0xC0, 0x00, 0xC5]
        let complete: [UInt8] = [0x04, 0x0E, 0x04, 0x01, 0x0C, 0x20, 0x00]
        #expect(send(peer, report, report.count, 0) == report.count)
        #expect(send(peer, complete, complete.count, 0) == complete.count)

        var small = [UInt8](repeating: 0, count: 4)
        var received: [UInt8] = []
        while received.count < report.count {
            let count = try small.withUnsafeMutableBytes { try transport.read(into: $0, timeout: .seconds(1)) }
            #expect(count > 0)
            received += small[0..<count]
        }
        #expect(received == report)

        var large = [UInt8](repeating: 0, count: 64)
        let count = try large.withUnsafeMutableBytes { try transport.read(into: $0, timeout: .seconds(1)) }
        #expect(Array(large[0..<count]) == complete)
        #expect(try large.withUnsafeMutableBytes { try transport.read(into: $0, timeout: .milliseconds(20)) } == 0)
    }

    /// Packets already queued come out of one read, in order, as an H4 stream (one packet per
    /// read starved the host loop under load, issue 10); the end of the stream after them is
    /// not lost but reported by the next read.
    @Test func readsTakeWhatIsQueuedAtOnce() throws {
        let (transport, peer) = try Self.hciPair()
        defer { transport.close() }
        let packets: [[UInt8]] = (0..<5).map { index in
            [0x02, 0x40 + UInt8(index), 0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x1B]
        }
        for packet in packets { #expect(send(peer, packet, packet.count, 0) == packet.count) }
        close(peer)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let count = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeout: .seconds(1)) }
        #expect(Array(buffer[0..<count]) == packets.flatMap { $0 })
        #expect {
            try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeout: .seconds(1)) }
        } throws: { error in
            if case .closed = error as? TransportError { return true }
            return false
        }
    }

    /// The packets read through the H4 framer like any other transport's bytes.
    @Test func readsFrameAsH4() throws {
        let (transport, peer) = try Self.hciPair(channel: .raw)
        defer { transport.close(); close(peer) }
        let complete: [UInt8] = [0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00]
        #expect(send(peer, complete, complete.count, 0) == complete.count)
        let event = try T.readPacket(from: transport) { type, packet -> HCIEvent.CommandComplete? in
            guard type == .event, case .commandComplete(let complete) = try HCIEvent(parsing: packet) else { return nil }
            return complete
        }
        #expect(event.opcode == .reset && event.status == 0)
    }

    @Test func closeWakesABlockedRead() throws {
        let (transport, peer) = try Self.hciPair()
        defer { close(peer) }
        let reader = T.Partner {
            var buffer = [UInt8](repeating: 0, count: 16)
            do {
                _ = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeout: nil) }
                Issue.record("read returned")
            } catch {
                #expect(error as? TransportError == .closed)
            }
        }
        Thread.sleep(forTimeInterval: 0.1)
        transport.close()
        try reader.join(timeout: .seconds(2))
        #expect(throws: TransportError.closed) { try transport.write(T.resetH4) }
    }

    // MARK: ATT socket, over a packet-preserving pair

    static func attPair() throws -> (BlueZATTSocket, Int32) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue | SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw POSIXError(.EIO)
        }
        let peer = try #require(BDAddress("C0:11:22:33:44:55"))
        let socket = BlueZATTSocket(descriptor: pair[0], peer: peer, addressType: .leRandom, adapter: 0,
                                    target: "bluez:hci0/att/C0:11:22:33:44:55/random")
        return (socket, pair[1])
    }

    @Test func attSocketMovesWholePDUs() throws {
        let (att, peer) = try Self.attPair()
        defer { att.close(); close(peer) }
        // Exchange MTU Request (0x02, client Rx MTU 247) and a Handle Value Notification.
        try att.send([0x02, 0xF7, 0x00])
        #expect(Self.datagram(peer) == [0x02, 0xF7, 0x00])
        let notification: [UInt8] = [0x1B, 0x2A, 0x00, 0x16, 0x48, 0x20, 0x03]
        #expect(send(peer, notification, notification.count, 0) == notification.count)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try buffer.withUnsafeMutableBytes { try att.receive(into: $0, timeout: .seconds(1)) }
        #expect(Array(buffer[0..<count]) == notification)
        #expect(try buffer.withUnsafeMutableBytes { try att.receive(into: $0, timeout: .milliseconds(20)) } == 0)
        #expect(att.receiveMTU == nil, "an AF_UNIX socket has no BT_RCVMTU")
    }

    @Test func attPDULongerThanTheBufferIsAnError() throws {
        let (att, peer) = try Self.attPair()
        defer { att.close(); close(peer) }
        let long = [UInt8](repeating: 0x1B, count: 100)
        #expect(send(peer, long, long.count, 0) == long.count)
        var buffer = [UInt8](repeating: 0, count: 23)
        #expect {
            _ = try buffer.withUnsafeMutableBytes { try att.receive(into: $0, timeout: .seconds(1)) }
        } throws: { error in
            guard case .system("recvmsg", _, EMSGSIZE, let message) = error as? TransportError else { return false }
            return message.contains("23-byte buffer")
        }
    }

    @Test func attSocketEndsWhenThePeerCloses() throws {
        let (att, peer) = try Self.attPair()
        defer { att.close() }
        close(peer)
        var buffer = [UInt8](repeating: 0, count: 23)
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try att.receive(into: $0, timeout: .seconds(1)) }
        }
    }
}
