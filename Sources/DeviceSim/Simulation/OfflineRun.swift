import BLEWire
import Foundation

/// Runs a simulation as fast as the machine allows, as if a host had connected to every
/// device, discovered its GATT database and subscribed to every characteristic that
/// notifies or indicates. What that host would have seen is written as a btsnoop capture
/// (datalink 1002, host side) that tshark, btmon and `gaitway decode` read: connection
/// events, the discovery exchange, and the notifications at each connection event.
public final class OfflineRun {
    let simulation: Simulation
    var capture: BTSnoopWriter?
    let output: FileHandle?
    /// Connection events are simulated at this interval (seconds).
    let connectionInterval: Double
    /// Notifications one connection event carries at most (a controller's per-event
    /// budget with 251-byte data length at a 30 ms interval is about this).
    let packetsPerEvent = 8
    /// Per device (in `simulation.devices` order): its connection handle while connected,
    /// and when it reconnects after a scripted drop.
    var links: [UInt16?]
    var nextHandle: UInt16 = 0x0040
    var reconnectAt: [Double?]
    public private(set) var notificationCount = 0
    /// The ACL packet being recorded, reused: one record per notification.
    var packet = ByteWriter(capacity: 260)

    public init(simulation: Simulation, captureFile: FileHandle?, connectionInterval: Double = 0.03) {
        self.simulation = simulation
        output = captureFile
        self.connectionInterval = connectionInterval
        links = Array(repeating: nil, count: simulation.devices.count)
        reconnectAt = links.map { _ in nil }
        if captureFile != nil { capture = BTSnoopWriter(datalink: .hciUART) }
    }

    /// Runs to `duration` seconds; `progress` sees the simulation time now and then.
    public func run(duration: Double, progress: (Double) -> Void = { _ in }) throws {
        for index in simulation.devices.indices { connect(index, at: 0) }
        var time = 0.0
        var nextProgress = 0.0
        while time < duration {
            time = min(duration, time + connectionInterval)
            simulation.advance(to: time)
            for (index, device) in simulation.devices.enumerated() {
                if let handle = links[index], let downtime = device.takeLinkDrop() {
                    disconnect(index, handle: handle, at: time)
                    reconnectAt[index] = time + downtime
                }
                if let when = reconnectAt[index], when <= time {
                    reconnectAt[index] = nil
                    connect(index, at: time)
                }
                guard let handle = links[index] else { continue }
                device.drainOutgoing(handle: handle, upTo: time, limit: packetsPerEvent) { offset, pdu in
                    let at = time + Double(offset) * 0.000_4
                    acl(handle: handle, pdu, .received, at: at)
                    notificationCount += 1
                    // The host confirms an indication (Vol 3, Part F, §3.4.7.3).
                    if pdu.first == ATTOpcode.handleValueIndication.rawValue {
                        request(device, handle: handle, at: at) { ATTPDU.encodeHandleValueConfirmation(into: &$0) }
                    }
                }
            }
            if time >= nextProgress {
                progress(time)
                nextProgress = time + max(duration / 100, 1)
            }
            try flush(force: false)
        }
        try flush(force: true)
    }

    // MARK: The host's side of a connection

    func connect(_ index: Int, at time: Double) {
        let device = simulation.devices[index]
        let handle = nextHandle
        nextHandle = nextHandle == 0x0EFF ? 0x0040 : nextHandle + 1
        links[index] = handle
        var event = ByteWriter()
        HCIEvent.LEConnectionComplete(connectionHandle: handle, role: 0, peerAddressType: AddressType.randomDevice.rawValue,
                                      peerAddress: device.address,
                                      connectionInterval: UInt16(connectionInterval / 0.00125),
                                      peripheralLatency: 0, supervisionTimeout: 400).encode(into: &event)
        record(event.bytes, .event, .received, at: time)
        device.connected(handle: handle, central: BDAddress(rawValue: 0xC0_FFEE_00_00_01), at: time)
        discover(device, handle: handle, at: time)
    }

    func disconnect(_ index: Int, handle: UInt16, at time: Double) {
        let device = simulation.devices[index]
        links[index] = nil
        var event = ByteWriter()
        // 0x08: Connection Timeout, what a host sees when a peripheral goes silent.
        HCIEvent.DisconnectionComplete(connectionHandle: handle, reason: 0x08).encode(into: &event)
        record(event.bytes, .event, .received, at: time)
        device.disconnected(handle: handle, reason: 0x08, at: time)
    }

    /// MTU exchange, primary services, characteristics, descriptors, then a CCCD write for
    /// every characteristic that notifies or indicates: the requests a GATT client sends
    /// (Vol 3, Part G, §4.3-4.7 and §4.12.3), answered by the device's own GATT server.
    func discover(_ device: DeviceFirmware, handle: UInt16, at time: Double) {
        var clock = time
        func exchange(_ build: (inout ByteWriter) -> Void) -> [UInt8]? {
            clock += 0.000_5
            return request(device, handle: handle, at: clock, build)
        }
        _ = exchange { ATTPDU.encodeExchangeMTURequest(clientRxMTU: 247, into: &$0) }
        var start: UInt16 = 1
        while start != 0, let response = exchange({
            ATTPDU.encodeReadByGroupTypeRequest(ATTHandleRange(start: start, end: 0xFFFF), type: .primaryService, into: &$0)
        }), response.first == ATTOpcode.readByGroupTypeResponse.rawValue {
            start = Self.lastHandle(in: response, entryOffset: 2) &+ 1
        }
        start = 1
        while start != 0, let response = exchange({
            ATTPDU.encodeReadByTypeRequest(ATTHandleRange(start: start, end: 0xFFFF), type: .characteristic, into: &$0)
        }), response.first == ATTOpcode.readByTypeResponse.rawValue {
            start = Self.lastHandle(in: response, entryOffset: 0) &+ 1
        }
        for service in device.database.services {
            for characteristic in service.characteristics {
                guard let cccd = characteristic.clientConfiguration else { continue }
                let value: [UInt8] = characteristic.properties.contains(.notify) ? [0x01, 0x00] : [0x02, 0x00]
                _ = exchange { ATTPDU.encodeWriteRequest(handle: cccd, value: value, into: &$0) }
            }
        }
    }

    /// The last attribute handle listed in a Read By Type / Read By Group Type response:
    /// `opcode, length, then entries of `length` bytes (handle first, or after `entryOffset`).
    static func lastHandle(in response: [UInt8], entryOffset: Int) -> UInt16 {
        guard response.count >= 2, response[1] > 0 else { return 0 }
        let length = Int(response[1])
        let count = (response.count - 2) / length
        guard count > 0 else { return 0 }
        let at = 2 + (count - 1) * length + entryOffset
        guard at + 1 < response.count else { return 0 }
        return UInt16(response[at]) | UInt16(response[at + 1]) << 8
    }

    /// Sends a request PDU to the device and records both it and the response.
    @discardableResult
    func request(_ device: DeviceFirmware, handle: UInt16, at time: Double,
                 _ build: (inout ByteWriter) -> Void) -> [UInt8]? {
        var writer = ByteWriter()
        build(&writer)
        acl(handle: handle, writer.bytes, .sent, at: time)
        guard let response = device.attributeRequest(writer.bytes, handle: handle, at: time) else { return nil }
        acl(handle: handle, response, .received, at: time + 0.000_2)
        return response
    }

    func acl(handle: UInt16, _ pdu: [UInt8], _ direction: PacketDirection, at time: Double) {
        guard capture != nil else { return }
        packet.bytes.removeAll(keepingCapacity: true)
        ACLDataHeader.encodeHeader(handle: handle, boundary: direction == .sent ? .firstNonFlushable : .firstFlushable,
                                   dataLength: L2CAPBasicHeader.size + pdu.count, into: &packet)
        L2CAPBasicHeader.encodeHeader(channel: .att, payloadLength: pdu.count, into: &packet)
        packet.write(contentsOf: pdu)
        record(packet.bytes, .aclData, direction, at: time)
    }

    func record(_ packet: [UInt8], _ type: HCIPacketType, _ direction: PacketDirection, at time: Double) {
        guard capture != nil else { return }
        let micros = Int64(((simulation.epoch + time) * 1_000_000).rounded())
        try? capture?.append(packet: packet, type: type, direction: direction, timestampMicros: micros)
    }

    func flush(force: Bool) throws {
        guard let output, var writer = capture, force || writer.bytes.count >= 1 << 20 else { return }
        let bytes = writer.takeBytes()
        capture = writer
        try output.write(contentsOf: bytes)
    }
}
