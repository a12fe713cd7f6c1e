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
    /// H4 framing and flow control toward the controller.
    public let link: HCIHostLink
    /// The controller's LE ACL data packet length (bytes after the ACL header) and how
    /// many packets it buffers (LE Read Buffer Size, Vol 4, Part E, §7.8.2).
    public var aclDataLength: Int { link.aclDataLength }
    public var aclBufferCount: Int { link.aclBufferCount }
    /// The link to the connected central, if any.
    public internal(set) var connectionHandle: UInt16?

    var reassembler = L2CAPReassembler()
    let clock = ContinuousClock()
    let origin: ContinuousClock.Instant
    let startTime: Double
    var started = false
    var advertisingEnabled = false
    /// No advertising before this time (a scripted link drop keeps the device silent).
    var advertiseAfter = 0.0
    var sentAdvertisingData: [UInt8] = []
    var sentScanResponseData: [UInt8] = []
    var lastAdvertisingRefresh = -Double.infinity

    /// Event_Mask (Vol 4, Part E, §7.3.1): Disconnection Complete (bit 4), Encryption
    /// Change (7), Command Complete (13), Command Status (14), Hardware Error (15), Number
    /// Of Completed Packets (18), Data Buffer Overflow (25), LE Meta (61).
    static let eventMask: UInt64 = 1 << 4 | 1 << 7 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 18 | 1 << 25 | 1 << 61
    /// LE_Event_Mask (§7.8.1): Connection Complete (bit 0), Connection Update Complete (2),
    /// Remote Connection Parameter Request (5), Data Length Change (6), Enhanced
    /// Connection Complete (9), PHY Update Complete (11).
    static let leEventMask: UInt64 = 1 << 0 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 9 | 1 << 11
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
        link = HCIHostLink(transport: transport)
        origin = clock.now
        if let capture {
            link.onPacket = { [unowned self] type, direction, packet in
                capture.append(packet.withUnsafeBytes { Array($0) }, type: type, direction: direction, time: simulationTime)
            }
        }
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
        let leBuffers = try HCIHostLink.decode(LEBufferSize.self, try execute(HCICommand.leReadBufferSize.encoded,
                                                                                .leReadBufferSize), .leReadBufferSize)
        if leBuffers.leACLDataPacketLength == 0 || leBuffers.totalNumLEACLDataPackets == 0 {
            // No dedicated LE buffers: LE shares the BR/EDR ones (§7.8.2).
            let shared = try HCIHostLink.decode(BufferSize.self, try execute(HCICommand.readBufferSize.encoded,
                                                                              .readBufferSize), .readBufferSize)
            link.setACLBuffers(length: Int(shared.aclDataPacketLength), count: Int(shared.totalNumACLDataPackets))
        } else {
            link.setACLBuffers(length: Int(leBuffers.leACLDataPacketLength), count: Int(leBuffers.totalNumLEACLDataPackets))
        }
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
                link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
            } else if advertisingEnabled {
                setAdvertising(false)
            }
        }
        if let handle = connectionHandle {
            // Only as many as the free buffers could take now: the rest wait in the device's
            // own queue, where its overflow policy applies.
            let room = link.aclRoom
            if room > 0 {
                let pdus = device.dequeueOutgoing(handle: handle, upTo: time, limit: room)
                for pdu in pdus { enqueue(pdu, channel: .att, handle: handle) }
                statistics.notificationsSent += pdus.count
            }
        } else {
            refreshAdvertising(at: time)
        }
    }

    /// Keeps advertising on while the device wants it, with its current data.
    func refreshAdvertising(at time: Double) {
        let wanted = device.isAdvertising && time >= advertiseAfter
        if wanted, time - lastAdvertisingRefresh >= Self.advertisingRefreshInterval {
            lastAdvertisingRefresh = time
            let data = device.advertisingData, scanResponse = device.scanResponseData
            if data != sentAdvertisingData {
                sentAdvertisingData = data
                link.send(command: LegacyAdvertisingCommand.setData(data).encoded)
            }
            if scanResponse != sentScanResponseData {
                sentScanResponseData = scanResponse
                link.send(command: LegacyAdvertisingCommand.setScanResponseData(scanResponse).encoded)
            }
        }
        if wanted != advertisingEnabled { setAdvertising(wanted) }
    }

    func setAdvertising(_ enable: Bool) {
        advertisingEnabled = enable
        if enable { statistics.advertisingStarts += 1 }
        link.send(command: LegacyAdvertisingCommand.setEnable(enable).encoded)
    }

    /// Best effort on the way out: no waiting for answers, and only what the controller's
    /// command credits allow (the disconnection first: the controller stops advertising
    /// by itself while connected).
    func finish() {
        if let handle = connectionHandle {
            link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
        } else if advertisingEnabled {
            link.send(command: LegacyAdvertisingCommand.setEnable(false).encoded)
            advertisingEnabled = false
        }
        try? flush()
    }

    // MARK: Sending

    /// Sends `payload` on an L2CAP channel of the link (framed and cut to the controller's
    /// buffers by `HCIHostLink`).
    func enqueue(_ payload: [UInt8], channel: L2CAPChannelID, handle: UInt16) {
        statistics.aclPacketsSent += (payload.count + L2CAPBasicHeader.size + link.aclDataLength - 1) / link.aclDataLength
        link.send(l2cap: payload, channel: channel, handle: handle)
    }

    /// Writes what is ready to go (and records it in the capture).
    func flush() throws(PeripheralHostError) {
        do throws(TransportError) {
            try capture?.flush()
            try link.flush()
        } catch {
            throw .transport(error)
        }
    }

    // MARK: Start-up commands

    /// Sends one command and waits for its answer; returns the return parameters, Status first.
    func execute(_ packet: [UInt8], _ opcode: HCIOpcode) throws(PeripheralHostError) -> [UInt8] {
        try link.execute(packet, opcode: opcode, timeout: commandTimeout) { type, packet in
            dispatch(type, packet, at: simulationTime)
        }
    }

    // MARK: Receiving

    /// Waits up to `timeout` for bytes from the controller and handles the packets they
    /// complete. Returns false when the controller closed the transport.
    func readOnce(timeout: Duration) throws(PeripheralHostError) -> Bool {
        let open: Bool
        let skippedBefore = link.malformedBytes
        do throws(TransportError) {
            let time = simulationTime
            open = try link.receive(timeout: timeout) { type, packet in dispatch(type, packet, at: time) }
        } catch {
            throw .transport(error)
        }
        // Bad indicators are skipped by the framer; the stream goes on.
        if link.malformedBytes > skippedBefore { statistics.malformedPackets += 1 }
        try flush()
        return open
    }

    func dispatch(_ type: HCIPacketType, _ packet: RawSpan, at time: Double) {
        switch type {
        case .event: handleEvent(packet, at: time)
        case .aclData: handleACL(packet, at: time)
        default: break
        }
    }
}
