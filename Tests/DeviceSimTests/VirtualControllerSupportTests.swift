import BLEWire
import Testing
@testable import DeviceSim

// Test doubles for the virtual controller's tests: a minimal Heart Rate wristband behind
// the VirtualPeripheral seam, and a scripted host that sends HCI packets and reads back
// the controller's events and ACL data.

/// A wristband with a GAP service and a Heart Rate service, answering the ATT requests a
/// central sends to discover, subscribe and read (Core v5.4 Vol 3 Part F §3.4, Part G §4).
///
/// ```
/// handle  type    value
/// 0x0001  0x2800  0x1800 (GAP)
/// 0x0002  0x2803  read, 0x0003, 0x2A00
/// 0x0003  0x2A00  "Band"
/// 0x0004  0x2800  0x180D (Heart Rate)
/// 0x0005  0x2803  notify, 0x0006, 0x2A37
/// 0x0006  0x2A37  measurement
/// 0x0007  0x2902  CCCD
/// 0x0008  0x2803  read, 0x0009, 0x2A38
/// 0x0009  0x2A38  0x02 (wrist)
/// ```
final class HeartRateBandDouble: VirtualPeripheral {
    let address: BDAddress
    let addressType = AddressType.randomDevice
    let advertisingInterval: Double
    var isConnectable = true
    /// One link at a time: it stops advertising while connected.
    var isAdvertising: Bool { handle == nil }
    let advertisingData: [UInt8]
    let scanResponseData: [UInt8]

    /// Seconds between measurements while subscribed.
    let measurementPeriod: Double
    private(set) var handle: ConnectionHandle?
    private(set) var subscribed = false
    private(set) var mtu = 23
    private(set) var connectedAt: [Double] = []
    private(set) var disconnectReasons: [UInt8] = []
    private(set) var requests: [[UInt8]] = []
    private var nextMeasurement = 0.0
    private var queued: [(time: Double, pdu: [UInt8])] = []
    private(set) var measurementsQueued = 0

    init(address: BDAddress, advertisingInterval: Double = 0.1, measurementPeriod: Double = 1.0, name: String = "Band") {
        self.address = address
        self.advertisingInterval = advertisingInterval
        self.measurementPeriod = measurementPeriod
        let nameBytes = Array(name.utf8)
        advertisingData = [0x02, 0x01, 0x06, 0x03, 0x03, 0x0D, 0x18, UInt8(nameBytes.count + 1), 0x09] + nameBytes
        scanResponseData = [0x03, 0x19, 0xC0, 0x03]  // Appearance: generic watch... wrist-worn
    }

    static let attributes: [(handle: UInt16, type: UInt16, value: [UInt8])] = [
        (0x0001, 0x2800, [0x00, 0x18]),
        (0x0002, 0x2803, [0x02, 0x03, 0x00, 0x00, 0x2A]),
        (0x0003, 0x2A00, Array("Band".utf8)),
        (0x0004, 0x2800, [0x0D, 0x18]),
        (0x0005, 0x2803, [0x10, 0x06, 0x00, 0x37, 0x2A]),
        (0x0006, 0x2A37, [0x00, 0x48]),
        (0x0007, 0x2902, [0x00, 0x00]),
        (0x0008, 0x2803, [0x02, 0x09, 0x00, 0x38, 0x2A]),
        (0x0009, 0x2A38, [0x02]),
    ]
    static let services: [(start: UInt16, end: UInt16, uuid: UInt16)] = [(0x0001, 0x0003, 0x1800), (0x0004, 0x0009, 0x180D)]

    func advance(to time: Double) {
        guard subscribed, let handle else { return }
        _ = handle
        while nextMeasurement <= time {
            // Flags 0x10: 8-bit rate, RR present; rate 60 + n % 40, RR 1024/1024 s.
            let rate = UInt8(60 + measurementsQueued % 40)
            queued.append((nextMeasurement, [0x1B, 0x06, 0x00, 0x10, rate, 0x00, 0x04]))
            measurementsQueued += 1
            nextMeasurement += measurementPeriod
        }
    }

    func connected(handle: ConnectionHandle, central: BDAddress, at time: Double) {
        self.handle = handle
        connectedAt.append(time)
    }

    func disconnected(handle: ConnectionHandle, reason: UInt8, at time: Double) {
        self.handle = nil
        subscribed = false
        queued.removeAll()
        disconnectReasons.append(reason)
    }

    func attributeRequest(_ pdu: [UInt8], handle: ConnectionHandle, at time: Double) -> [UInt8]? {
        requests.append(pdu)
        guard let opcode = pdu.first else { return nil }
        func u16(_ index: Int) -> UInt16 { UInt16(pdu[index]) | UInt16(pdu[index + 1]) << 8 }
        func error(_ code: UInt8, _ at: UInt16 = 0) -> [UInt8] { [0x01, opcode, UInt8(at & 0xFF), UInt8(at >> 8), code] }
        switch opcode {
        case 0x02 where pdu.count == 3:  // Exchange MTU
            mtu = max(23, min(Int(u16(1)), 247))
            return [0x03, 247, 0]
        case 0x10 where pdu.count == 7:  // Read By Group Type (primary services)
            let (start, end) = (u16(1), u16(3))
            let found = Self.services.filter { $0.start >= start && $0.start <= end }
            guard !found.isEmpty else { return error(0x0A, start) }
            return [0x11, 6] + found.flatMap { le($0.start) + le($0.end) + le($0.uuid) }
        case 0x06 where pdu.count == 9:  // Find By Type Value (service by UUID)
            let (start, end, uuid) = (u16(1), u16(3), u16(7))
            let found = Self.services.filter { $0.start >= start && $0.start <= end && $0.uuid == uuid }
            guard !found.isEmpty else { return error(0x0A, start) }
            return [0x07] + found.flatMap { le($0.start) + le($0.end) }
        case 0x08 where pdu.count == 7:  // Read By Type
            let (start, end, type) = (u16(1), u16(3), u16(5))
            let found = Self.attributes.filter { $0.handle >= start && $0.handle <= end && $0.type == type }
            guard let first = found.first else { return error(0x0A, start) }
            let same = found.filter { $0.value.count == first.value.count }
            return [0x09, UInt8(2 + first.value.count)] + same.flatMap { le($0.handle) + $0.value }
        case 0x04 where pdu.count == 5:  // Find Information
            let (start, end) = (u16(1), u16(3))
            let found = Self.attributes.filter { $0.handle >= start && $0.handle <= end }
            guard !found.isEmpty else { return error(0x0A, start) }
            return [0x05, 0x01] + found.flatMap { le($0.handle) + le($0.type) }
        case 0x0A where pdu.count == 3:  // Read
            guard let attribute = Self.attributes.first(where: { $0.handle == u16(1) }) else { return error(0x01, u16(1)) }
            return [0x0B] + attribute.value
        case 0x12 where pdu.count >= 3:  // Write Request
            guard u16(1) == 0x0007, pdu.count == 5 else { return error(0x03, u16(1)) }
            let wasSubscribed = subscribed
            subscribed = pdu[3] & 0x01 != 0
            if subscribed, !wasSubscribed { nextMeasurement = time + measurementPeriod }
            return [0x13]
        default:
            if opcode & 0x40 != 0 || opcode == 0x1E { return nil }  // commands, confirmation
            return error(0x06)
        }
    }

    func dequeueOutgoing(handle: ConnectionHandle, upTo time: Double, limit: Int) -> [[UInt8]] {
        var taken: [[UInt8]] = []
        while taken.count < limit, let first = queued.first, first.time <= time {
            taken.append(first.pdu)
            queued.removeFirst()
        }
        return taken
    }

    private func le(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
}

/// A host written out by hand: sends commands and ACL data to a `VirtualController` and
/// keeps what comes back, with L2CAP reassembly of the ACL data per handle.
final class ScriptedHost {
    let controller: VirtualController
    private(set) var packets: [ControllerPacket] = []
    private var cursor = 0
    private var reassembler = L2CAPReassembler()
    /// Complete L2CAP frames received: handle, channel, payload, time.
    private(set) var frames: [(handle: ConnectionHandle, channel: UInt16, payload: [UInt8], time: Double)] = []
    private(set) var completedPackets: [ConnectionHandle: Int] = [:]
    private(set) var reassemblyErrors = 0

    init(_ controller: VirtualController) { self.controller = controller }

    func send(_ command: HCICommand) { controller.receive(hostPacket: .command, command.encoded) }

    func sendRaw(_ type: HCIPacketType, _ bytes: [UInt8]) { controller.receive(hostPacket: type, bytes) }

    /// Sends an L2CAP PDU as one ACL packet (or fragments of `fragment` bytes).
    func sendL2CAP(handle: ConnectionHandle, channel: UInt16, _ payload: [UInt8], fragment: Int = 251) {
        let pdu = [UInt8(payload.count & 0xFF), UInt8(payload.count >> 8), UInt8(channel & 0xFF), UInt8(channel >> 8)] + payload
        var start = 0
        while start < pdu.count {
            let end = min(start + fragment, pdu.count)
            var writer = ByteWriter()
            ACLDataHeader.encode(handle: handle, boundary: start == 0 ? .firstNonFlushable : .continuing,
                                 data: pdu[start..<end], into: &writer)
            controller.receive(hostPacket: .aclData, writer.bytes)
            start = end
        }
    }

    func sendATT(handle: ConnectionHandle, _ pdu: [UInt8]) { sendL2CAP(handle: handle, channel: 4, pdu) }

    /// Collects what the controller produced.
    @discardableResult
    func collect() -> [ControllerPacket] {
        let new = controller.takeOutgoing()
        for packet in new {
            packets.append(packet)
            if packet.type == .aclData { absorbACL(packet) }
            if packet.type == .event, packet.bytes.first == 0x13 {
                let count = Int(packet.bytes[2])
                for index in 0..<count {
                    let base = 3 + 4 * index
                    let handle = ConnectionHandle(UInt16(packet.bytes[base]) | UInt16(packet.bytes[base + 1]) << 8)
                    let done = Int(packet.bytes[base + 2]) | Int(packet.bytes[base + 3]) << 8
                    completedPackets[handle, default: 0] += done
                }
            }
        }
        return new
    }

    func advance(by seconds: Double) -> [ControllerPacket] {
        controller.advance(to: controller.now + seconds)
        return collect()
    }

    /// Runs the controller until a frame on `channel` arrives after the current ones.
    func awaitFrame(handle: ConnectionHandle, channel: UInt16 = 4, within seconds: Double = 2) -> [UInt8]? {
        let seen = frames.count
        let deadline = controller.now + seconds
        while controller.now < deadline {
            controller.advance(to: min(controller.nextEventTime ?? deadline, deadline))
            collect()
            if let frame = frames[seen...].first(where: { $0.handle == handle && $0.channel == channel }) {
                return frame.payload
            }
        }
        return nil
    }

    private func absorbACL(_ packet: ControllerPacket) {
        let time = packet.time
        let bytes = packet.bytes
        var arrived: [(ConnectionHandle, UInt16, [UInt8])] = []
        do throws(WireError) {
            let span = bytes.span.bytes
            let header = try ACLDataHeader(parsing: span)
            try reassembler.push(handle: header.connectionHandle, boundary: header.boundary,
                                 fragment: span.extracting(header.payload), offset: 4) {
                (frame: borrowing L2CAPFrame) throws(WireError) in
                arrived.append((frame.connectionHandle, frame.channelID.rawValue, frame.payload.withUnsafeBytes { Array($0) }))
            }
        } catch {
            reassemblyErrors += 1
        }
        for (handle, channel, payload) in arrived { frames.append((handle, channel, payload, time)) }
    }

    /// Parsed events since the start, with their packets.
    var events: [(event: HCIEvent, packet: ControllerPacket)] {
        packets.compactMap { packet in
            guard packet.type == .event, let event = try? HCIEvent(parsing: packet.bytes.span.bytes) else { return nil }
            return (event, packet)
        }
    }

    /// The last Command Complete for `opcode`: its status and the return parameters after it.
    func commandComplete(_ opcode: HCIOpcode) -> (status: UInt8, parameters: [UInt8])? {
        for (event, packet) in events.reversed() {
            if case .commandComplete(let complete) = event, complete.opcode == opcode {
                let range = complete.returnParameters
                let bytes = Array(packet.bytes[range])
                return (bytes.first ?? 0xFF, Array(bytes.dropFirst()))
            }
        }
        return nil
    }

    func commandStatus(_ opcode: HCIOpcode) -> UInt8? {
        for (event, _) in events.reversed() {
            if case .commandStatus(let status) = event, status.opcode == opcode { return status.status }
        }
        return nil
    }

    /// Standard host start-up: reset, all events unmasked, suggested data length 251.
    func powerOn(leEventMask: UInt64 = 0x0000_0000_000F_FFFF) {
        send(.reset)
        send(.setEventMask(0x3FFF_FFFF_FFFF_FFFF))
        send(.leSetEventMask(leEventMask))
        sendRaw(.command, [0x24, 0x20, 0x04, 0xFB, 0x00, 0x48, 0x08])  // LE Write Suggested Default Data Length 251/2120
        collect()
    }

    /// Scans actively until `address` is reported, connects to it and returns the handle.
    func connect(to address: BDAddress, interval: UInt16 = 24, timeout: UInt16 = 200) -> ConnectionHandle? {
        send(.leCreateConnection(LECreateConnection(
            scanInterval: 0x60, scanWindow: 0x60, peerAddressType: 1, peerAddress: address,
            connection: LEConnectionParameters(intervalMin: interval, intervalMax: interval, supervisionTimeout: timeout))))
        for _ in 0..<50 {
            for packet in advance(by: 0.05) {
                guard packet.type == .event, let event = try? HCIEvent(parsing: packet.bytes.span.bytes) else { continue }
                switch event {
                case .leEnhancedConnectionComplete(let complete) where complete.peerAddress == address && complete.status == 0:
                    return complete.connectionHandle
                case .leConnectionComplete(let complete) where complete.peerAddress == address && complete.status == 0:
                    return complete.connectionHandle
                default: continue
                }
            }
        }
        return nil
    }
}
