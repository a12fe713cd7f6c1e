import BLEHost
import BLEWire

/// The host of one simulated device on an external controller (one of Bumble's virtual
/// controllers, a board running Zephyr's HCI firmware): it sets the controller up,
/// advertises the device (legacy ADV_IND with its advertising and scan response data, its
/// interval and its random static address), and when a central connects, carries ATT
/// between the link and the device: requests in, responses and the device's notifications
/// out, within the controller's LE ACL buffers.
///
/// One thread: reads wait at most a few milliseconds, so the device's models run on the
/// wall clock (times `speed`) and its notifications leave on time without a timer thread.
///
/// ```
/// let host = PeripheralHost(device: wristband, transport: try spec.open(timeout: .seconds(5)))
/// try host.run(until: 60)
/// ```
public final class PeripheralHost {
    public let device: any VirtualPeripheral
    public let transport: any HCITransport
    /// Simulation seconds per wall-clock second.
    public let speed: Double
    /// Host-side HCI traffic, if recording; closed when `run` returns.
    public let capture: HCICaptureFile?
    /// How long a start-up command may go unanswered.
    public let commandTimeout: Duration
    public internal(set) var statistics = PeripheralHostStatistics()
    /// The controller's LE ACL data packet length (bytes after the ACL header) and how
    /// many packets it buffers (LE Read Buffer Size, Vol 4, Part E, §7.8.2).
    public internal(set) var aclDataLength = 27
    public internal(set) var aclBufferCount = 1
    /// The link to the connected central, if any.
    public internal(set) var connectionHandle: UInt16?

    var framer = H4Framer()
    var reassembler = L2CAPReassembler()
    let clock = ContinuousClock()
    let origin: ContinuousClock.Instant
    let startTime: Double
    var started = false
    /// Packets to write at the next flush, in order.
    var outbox: [(type: HCIPacketType, bytes: [UInt8])] = []
    /// ACL packets (fragments, no H4 indicator) waiting for a free controller buffer.
    var aclQueue: [(handle: UInt16, packet: [UInt8])] = []
    /// Free LE ACL buffers in the controller: taken per packet sent, given back by Number
    /// Of Completed Packets (Vol 4, Part E, §4.1.1) or on disconnection.
    var aclCredits = 1
    var aclInFlight: [UInt16: Int] = [:]
    /// Commands waiting for the controller to accept more (Num_HCI_Command_Packets).
    var commandQueue: [[UInt8]] = []
    var commandCredits = 1
    /// The start-up command being waited for, and its answer (Status, then parameters).
    var awaited: HCIOpcode?
    var awaitedResult: [UInt8]?
    var advertisingEnabled = false
    /// No advertising before this time (a scripted link drop keeps the device silent).
    var advertiseAfter = 0.0
    var sentAdvertisingData: [UInt8] = []
    var sentScanResponseData: [UInt8] = []
    var lastAdvertisingRefresh = -Double.infinity
    var readBuffer = [UInt8](repeating: 0, count: 4096)

    /// Event_Mask (Vol 4, Part E, §7.3.1): Disconnection Complete (bit 4), Encryption
    /// Change (7), Command Complete (13), Command Status (14), Hardware Error (15), Number
    /// Of Completed Packets (18), Data Buffer Overflow (25), LE Meta (61).
    static let eventMask: UInt64 = 1 << 4 | 1 << 7 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 18 | 1 << 25 | 1 << 61
    /// LE_Event_Mask (§7.8.1): Connection Complete (bit 0), Connection Update Complete (2),
    /// Remote Connection Parameter Request (5), Data Length Change (6), Enhanced
    /// Connection Complete (9), PHY Update Complete (11).
    static let leEventMask: UInt64 = 1 << 0 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 9 | 1 << 11
    /// HCI error code 0x13, Remote User Terminated Connection (Vol 1, Part F, §2).
    static let remoteUserTerminated: UInt8 = 0x13
    /// Advertising data is re-sent when the device changed it, at most this often (seconds).
    static let advertisingRefreshInterval = 1.0

    /// - Parameters:
    ///   - device: the simulated device to host (the first wristband of a simulation,
    ///     see `Simulation.peripheralHostDevice`).
    ///   - transport: H4 to the controller (`TransportSpec.open`), e.g. `tcp-client:` or `unix:`.
    ///   - speed: simulation seconds per wall-clock second.
    ///   - startTime: the simulation time at the start of `run`.
    public init(device: any VirtualPeripheral, transport: any HCITransport, speed: Double = 1,
                startTime: Double = 0, capture: HCICaptureFile? = nil, commandTimeout: Duration = .seconds(5)) {
        self.device = device
        self.transport = transport
        self.speed = speed > 0 ? speed : 1
        self.startTime = startTime
        self.capture = capture
        self.commandTimeout = commandTimeout
        origin = clock.now
    }

    /// The simulation time the wall clock has reached.
    public var simulationTime: Double {
        let elapsed = clock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return startTime + seconds * speed
    }

    /// Runs the start-up sequence (if `start` was not called), then hosts the device until
    /// the controller closes the transport (returns normally), `endTime` (simulation
    /// seconds) is reached, or `shouldStop` returns true. On the way out it disconnects the
    /// central and stops advertising, without waiting for the controller's answers.
    public func run(until endTime: Double? = nil, shouldStop: () -> Bool = { false }) throws(PeripheralHostError) {
        defer { capture?.close() }
        if !started { try start() }
        while !shouldStop() {
            let time = simulationTime
            if let endTime, time >= endTime {
                tick(at: endTime)
                try flush()
                break
            }
            tick(at: time)
            try flush()
            // Short waits while connected: notifications are due every few milliseconds.
            var wait = connectionHandle == nil ? 0.05 : 0.005
            if let endTime { wait = min(wait, max(0, (endTime - time) / speed)) }
            guard try readOnce(timeout: .microseconds(Int64(wait * 1_000_000))) else { return }
        }
        finish()
    }

    /// Reset, event masks, buffer sizes, the device's random address and advertising
    /// parameters and data, then advertising on. Each command waits for its answer.
    public func start() throws(PeripheralHostError) {
        started = true
        _ = try execute(HCICommand.reset.encoded, .reset)
        _ = try execute(HCICommand.setEventMask(Self.eventMask).encoded, .setEventMask)
        _ = try execute(HCICommand.leSetEventMask(Self.leEventMask).encoded, .leSetEventMask)
        let leBuffers = try decode(LEBufferSize.self, try execute(HCICommand.leReadBufferSize.encoded, .leReadBufferSize),
                                   .leReadBufferSize)
        if leBuffers.leACLDataPacketLength == 0 || leBuffers.totalNumLEACLDataPackets == 0 {
            // No dedicated LE buffers: LE shares the BR/EDR ones (§7.8.2).
            let shared = try decode(BufferSize.self, try execute(HCICommand.readBufferSize.encoded, .readBufferSize),
                                    .readBufferSize)
            aclDataLength = Int(shared.aclDataPacketLength)
            aclBufferCount = Int(shared.totalNumACLDataPackets)
        } else {
            aclDataLength = Int(leBuffers.leACLDataPacketLength)
            aclBufferCount = Int(leBuffers.totalNumLEACLDataPackets)
        }
        aclDataLength = max(aclDataLength, 1)
        aclBufferCount = max(aclBufferCount, 1)
        aclCredits = aclBufferCount
        let random = device.addressType == .randomDevice || device.addressType == .randomIdentity
        if random {
            _ = try execute(HCICommand.leSetRandomAddress(device.address).encoded, .leSetRandomAddress)
        }
        let interval = LegacyAdvertisingCommand.intervalUnits(seconds: device.advertisingInterval)
        let parameters = LegacyAdvertisingCommand.setParameters(
            intervalMin: interval, intervalMax: interval,
            type: device.isConnectable ? .connectableUndirected : .scannableUndirected,
            ownAddressType: random ? 0x01 : 0x00)
        _ = try execute(parameters.encoded, parameters.opcode)
        sentAdvertisingData = device.advertisingData
        sentScanResponseData = device.scanResponseData
        let data = LegacyAdvertisingCommand.setData(sentAdvertisingData)
        _ = try execute(data.encoded, data.opcode)
        let scanResponse = LegacyAdvertisingCommand.setScanResponseData(sentScanResponseData)
        _ = try execute(scanResponse.encoded, scanResponse.opcode)
        if device.isAdvertising {
            let enable = LegacyAdvertisingCommand.setEnable(true)
            _ = try execute(enable.encoded, enable.opcode)
            advertisingEnabled = true
            statistics.advertisingStarts += 1
        }
        lastAdvertisingRefresh = simulationTime
    }

    // MARK: Time

    /// Brings the device to `time`, carries out what it asks of the link, and hands its
    /// due notifications to the controller as far as buffers allow.
    func tick(at time: Double) {
        device.advance(to: time)
        if let downtime = device.takeLinkDrop() {
            advertiseAfter = time + max(0, downtime)
            if let handle = connectionHandle {
                commandQueue.append(HCICommand.disconnect(handle: handle, reason: Self.remoteUserTerminated).encoded)
            } else if advertisingEnabled {
                setAdvertising(false)
            }
        }
        if let handle = connectionHandle {
            // Only as many as the free buffers could take now: the rest wait in the device's
            // own queue, where its overflow policy applies.
            let room = aclCredits - aclQueue.count
            if room > 0 {
                let pdus = device.dequeueOutgoing(handle: handle, upTo: time, limit: room)
                for pdu in pdus { enqueue(pdu, channel: .att, handle: handle) }
                statistics.notificationsSent += pdus.count
            }
        } else {
            refreshAdvertising(at: time)
        }
        pumpACL()
        pumpCommands()
    }

    /// Keeps advertising on while the device wants it, with its current data.
    func refreshAdvertising(at time: Double) {
        let wanted = device.isAdvertising && time >= advertiseAfter
        if wanted, time - lastAdvertisingRefresh >= Self.advertisingRefreshInterval {
            lastAdvertisingRefresh = time
            let data = device.advertisingData, scanResponse = device.scanResponseData
            if data != sentAdvertisingData {
                sentAdvertisingData = data
                commandQueue.append(LegacyAdvertisingCommand.setData(data).encoded)
            }
            if scanResponse != sentScanResponseData {
                sentScanResponseData = scanResponse
                commandQueue.append(LegacyAdvertisingCommand.setScanResponseData(scanResponse).encoded)
            }
        }
        if wanted != advertisingEnabled { setAdvertising(wanted) }
    }

    func setAdvertising(_ enable: Bool) {
        advertisingEnabled = enable
        if enable { statistics.advertisingStarts += 1 }
        commandQueue.append(LegacyAdvertisingCommand.setEnable(enable).encoded)
    }

    /// Best effort on the way out: no waiting for answers, and only what the controller's
    /// command credits allow (the disconnection first: the controller stops advertising
    /// by itself while connected).
    func finish() {
        if let handle = connectionHandle {
            commandQueue.insert(HCICommand.disconnect(handle: handle, reason: Self.remoteUserTerminated).encoded, at: 0)
        } else if advertisingEnabled {
            commandQueue.insert(LegacyAdvertisingCommand.setEnable(false).encoded, at: 0)
            advertisingEnabled = false
        }
        pumpCommands()
        try? flush()
    }

    // MARK: Sending

    /// Frames `payload` as a basic L2CAP PDU (Vol 3, Part A, §3.1) and cuts it into ACL
    /// packets of at most the controller's data length: the first with Packet_Boundary_Flag
    /// 0b00 (first non-automatically-flushable, the one a host uses on LE, Vol 4, Part E,
    /// §5.4.2), the rest 0b01 (continuing).
    func enqueue(_ payload: [UInt8], channel: L2CAPChannelID, handle: UInt16) {
        var pdu = ByteWriter(capacity: payload.count + L2CAPBasicHeader.size)
        L2CAPBasicHeader.encode(channel: channel, payload: payload, into: &pdu)
        var start = 0
        while start < pdu.bytes.count {
            let end = min(start + aclDataLength, pdu.bytes.count)
            var packet = ByteWriter(capacity: end - start + ACLDataHeader.size)
            ACLDataHeader.encode(handle: handle, boundary: start == 0 ? .firstNonFlushable : .continuing,
                                 data: pdu.bytes[start..<end], into: &packet)
            aclQueue.append((handle, packet.bytes))
            start = end
        }
    }

    func pumpACL() {
        var sent = 0
        while aclCredits > 0, sent < aclQueue.count {
            let (handle, packet) = aclQueue[sent]
            outbox.append((.aclData, packet))
            aclCredits -= 1
            aclInFlight[handle, default: 0] += 1
            statistics.aclPacketsSent += 1
            sent += 1
        }
        if sent > 0 { aclQueue.removeFirst(sent) }
    }

    func pumpCommands() {
        var sent = 0
        while commandCredits > 0, sent < commandQueue.count {
            outbox.append((.command, commandQueue[sent]))
            commandCredits -= 1
            sent += 1
        }
        if sent > 0 { commandQueue.removeFirst(sent) }
    }

    /// Writes the outbox (and records it in the capture).
    func flush() throws(PeripheralHostError) {
        guard !outbox.isEmpty else { return }
        var bytes: [UInt8] = []
        let time = simulationTime
        for (type, packet) in outbox {
            bytes.append(type.rawValue)
            bytes.append(contentsOf: packet)
            capture?.append(packet, type: type, direction: .sent, time: time)
        }
        outbox.removeAll(keepingCapacity: true)
        do throws(TransportError) {
            try capture?.flush()
            try transport.write(bytes)
        } catch {
            throw .transport(error)
        }
    }

    // MARK: Start-up commands

    /// Sends one command and reads until its Command Complete (or Command Status) arrives;
    /// returns the return parameters, Status first.
    func execute(_ packet: [UInt8], _ opcode: HCIOpcode) throws(PeripheralHostError) -> [UInt8] {
        awaited = opcode
        awaitedResult = nil
        defer { awaited = nil }
        outbox.append((.command, packet))
        try flush()
        let deadline = clock.now + commandTimeout
        while true {
            if let result = awaitedResult {
                let status = result.first ?? 0
                guard status == 0 else { throw .commandFailed(opcode: opcode, status: status) }
                return result
            }
            let remaining = deadline - clock.now
            guard remaining > .zero else { throw .commandTimeout(opcode: opcode) }
            guard try readOnce(timeout: min(remaining, .milliseconds(50))) else { throw .transport(.closed) }
        }
    }

    func decode<R: HCICommandReturnParameters>(_ type: R.Type, _ parameters: [UInt8], _ opcode: HCIOpcode)
        throws(PeripheralHostError) -> R {
        do throws(WireError) {
            var cursor = ByteCursor(parameters.span.bytes, layer: .hci)
            _ = try cursor.readUInt8("Status")
            return try R(parsing: &cursor, opcode: opcode)
        } catch {
            throw .malformedReturnParameters(opcode: opcode, error)
        }
    }

    // MARK: Receiving

    /// Waits up to `timeout` for bytes from the controller and handles the packets they
    /// complete. Returns false when the controller closed the transport.
    func readOnce(timeout: Duration) throws(PeripheralHostError) -> Bool {
        let count: Int
        do throws(TransportError) {
            let transport = self.transport
            let result: Result<Int, TransportError> = readBuffer.withUnsafeMutableBytes { raw in
                Result { () throws(TransportError) in try transport.read(into: raw, timeout: timeout) }
            }
            count = try result.get()
        } catch .closed {
            return false
        } catch {
            throw .transport(error)
        }
        guard count > 0 else { return true }
        let chunk = Array(readBuffer[0..<count])
        let time = simulationTime
        do throws(WireError) {
            try framer.feed(chunk.span.bytes) { (type: HCIPacketType, packet: RawSpan) throws(WireError) in
                if let capture {
                    capture.append(packet.withUnsafeBytes { Array($0) }, type: type, direction: .received, time: time)
                }
                switch type {
                case .event: handleEvent(packet, at: time)
                case .aclData: handleACL(packet, at: time)
                default: break
                }
            }
        } catch {
            // Bad indicators are skipped by the framer; the stream goes on.
            statistics.malformedPackets += 1
        }
        pumpACL()
        pumpCommands()
        try flush()
        return true
    }
}
