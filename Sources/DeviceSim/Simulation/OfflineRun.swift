import BLEHost
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
    var links: [ConnectionHandle?]
    var nextHandle = ConnectionHandle(0x0040)
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
        for index in simulation.devices.indices { try connect(index, at: 0) }
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
                    try connect(index, at: time)
                }
                guard let handle = links[index] else { continue }
                device.drainOutgoing(handle: handle, upTo: time, limit: packetsPerEvent) { offset, pdu in
                    let at = time + Double(offset) * 0.000_4
                    acl(handle: handle, pdu, .received, at: at)
                    notificationCount += 1
                    // The host confirms an indication (Vol 3, Part F, §3.4.7.3).
                    if pdu.first == ATTOpcode.handleValueIndication.rawValue {
                        var confirmation = ByteWriter(capacity: 1)
                        ATTPDU.encodeHandleValueConfirmation(into: &confirmation)
                        request(device, handle: handle, at: at, confirmation.bytes)
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

    func connect(_ index: Int, at time: Double) throws(WireError) {
        let device = simulation.devices[index]
        let handle = nextHandle
        nextHandle = nextHandle == .maximum ? ConnectionHandle(0x0040) : ConnectionHandle(nextHandle.rawValue + 1)
        links[index] = handle
        var event = ByteWriter()
        HCIEvent.LEConnectionComplete(connectionHandle: handle, role: 0, peerAddressType: AddressType.randomDevice.rawValue,
                                      peerAddress: device.address,
                                      connectionInterval: UInt16(connectionInterval / 0.00125),
                                      peripheralLatency: 0, supervisionTimeout: 400).encode(into: &event)
        record(event.bytes, .event, .received, at: time)
        device.connected(handle: handle, central: BDAddress(rawValue: 0xC0_FFEE_00_00_01), at: time)
        try discover(device, handle: handle, at: time)
    }

    func disconnect(_ index: Int, handle: ConnectionHandle, at time: Double) {
        let device = simulation.devices[index]
        links[index] = nil
        var event = ByteWriter()
        // 0x08: Connection Timeout, what a host sees when a peripheral goes silent.
        HCIEvent.DisconnectionComplete(connectionHandle: handle, reason: 0x08).encode(into: &event)
        record(event.bytes, .event, .received, at: time)
        device.disconnected(handle: handle, reason: 0x08, at: time)
    }

    /// The gateway's GATT client (BLEHost's `GATTClientLink`) against the device's own GATT
    /// server: MTU exchange, primary services, the characteristics of each service over its
    /// handle range, the descriptors of each characteristic that notifies or indicates over
    /// its range, and a write of each CCCD found (Vol 3, Part G, §4.3.1, §4.4.1, §4.6.1,
    /// §4.7.1, §4.12.3): the exchange a host has, so that tools that follow it (btmon,
    /// tshark) see one. No reads: this host only subscribes.
    func discover(_ device: DeviceFirmware, handle: ConnectionHandle, at time: Double) throws(WireError) {
        let client = GATTClientLink(handle: handle, address: device.address, addressType: AddressType.randomDevice.rawValue,
                                    clientMTU: 247, wantsSubscription: { _ in true }, wantsRead: { _ in false })
        var clock = time + 0.000_5
        var next: [UInt8]? = client.start(at: clock)
        while let pdu = next, let response = request(device, handle: handle, at: clock, pdu) {
            clock += 0.000_5
            let span = response.span.bytes
            next = try client.handleResponse(span, try ATTPDU(parsing: span), at: clock)
        }
    }

    /// Sends a request PDU to the device and records both it and the response.
    @discardableResult
    func request(_ device: DeviceFirmware, handle: ConnectionHandle, at time: Double, _ pdu: [UInt8]) -> [UInt8]? {
        acl(handle: handle, pdu, .sent, at: time)
        guard let response = device.attributeRequest(pdu, handle: handle, at: time) else { return nil }
        acl(handle: handle, response, .received, at: time + 0.000_2)
        return response
    }

    func acl(handle: ConnectionHandle, _ pdu: [UInt8], _ direction: PacketDirection, at time: Double) {
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
