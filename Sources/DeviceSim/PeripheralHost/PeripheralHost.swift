import BLEHost
import BLEWire

/// The host of simulated devices on an external controller (one of Bumble's virtual
/// controllers, a board running Zephyr's HCI firmware): it sets the controller up,
/// advertises the devices, and when a central connects to one, carries ATT between that
/// link and that device: requests in, responses and the device's notifications out, within
/// the controller's LE ACL buffers.
///
/// How many devices it hosts depends on the controller, which it asks at start-up (LE Read
/// Local Supported Features, Vol 4, Part E, §7.8.3):
/// - with LE Extended Advertising (feature bit 12) and more than one device offered, one
///   advertising set per device (§7.8.53-§7.8.56), each with the device's own random static
///   address and data, as many as the controller has sets (LE Read Number of Supported
///   Advertising Sets, §7.8.58). A new link is given to its device by the LE Advertising
///   Set Terminated event that follows its connection complete event (§7.7.65.18);
/// - otherwise, the first device offered, with the legacy advertising commands (ADV_IND
///   with its advertising and scan response data, its interval and its address).
///
/// Each device takes one central at a time: its set (or legacy advertising) stops when a
/// central connects and starts again when the link ends.
///
/// One thread: reads wait at most a few milliseconds, so the devices' models run on the
/// wall clock (times `speed`) and their notifications leave on time without a timer thread.
///
/// ```
/// let host = PeripheralHost(devices: simulation.peripheralHostDevices, transport: try spec.open(timeout: .seconds(5)))
/// try host.start()
/// print(host.advertisingMode, host.hostedDevices.count)
/// try host.run(until: 60)
/// ```
public final class PeripheralHost {
    /// The devices offered, in order of preference: the first is the one hosted when the
    /// controller has only legacy advertising, and with fewer sets than devices the first
    /// ones get them.
    public let devices: [any VirtualPeripheral]
    /// The first device offered (the only one with legacy advertising).
    public var device: any VirtualPeripheral { devices[0] }
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
    /// How the devices are advertised; nil until `start` has run.
    public internal(set) var advertisingMode: AdvertisingMode?
    /// The devices this host serves (known after `start`), in advertising-handle order.
    public var hostedDevices: [any VirtualPeripheral] { hosted.map(\.device) }
    /// The link to the first hosted device's central, if any.
    public var connectionHandle: ConnectionHandle? { hosted.first?.connectionHandle }

    /// How the devices go on the air.
    public enum AdvertisingMode: Equatable, Sendable {
        /// The legacy advertising commands (§7.8.5-§7.8.9): one device.
        case legacy
        /// One advertising set per device; `supported` is how many sets the controller has.
        case sets(supported: Int)
    }

    var hosted: [HostedDevice] = []
    /// Connection handle -> index in `hosted`.
    var connections: [ConnectionHandle: Int] = [:]
    /// Links whose connection complete event came, waiting for the LE Advertising Set
    /// Terminated that names their set: handle -> central.
    var unassignedLinks: [ConnectionHandle: BDAddress] = [:]
    /// The other order, for a controller that reports the set first: handle -> set.
    var terminatedSets: [ConnectionHandle: UInt8] = [:]
    /// Where the next tick starts handing out ACL buffers, so that no device starves the others.
    var nextSender = 0
    var reassembler = L2CAPReassembler()
    let clock = ContinuousClock()
    let origin: ContinuousClock.Instant
    let startTime: Double
    var started = false
    var usesAdvertisingSets: Bool { if case .sets = advertisingMode { true } else { false } }

    /// Event_Mask (Vol 4, Part E, §7.3.1): Disconnection Complete (bit 4), Encryption
    /// Change (7), Command Complete (13), Command Status (14), Hardware Error (15), Number
    /// Of Completed Packets (18), Data Buffer Overflow (25), LE Meta (61).
    static let eventMask: UInt64 = 1 << 4 | 1 << 7 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 18 | 1 << 25 | 1 << 61
    /// LE_Event_Mask (§7.8.1): Connection Complete (bit 0), Connection Update Complete (2),
    /// Remote Connection Parameter Request (5), Data Length Change (6), Enhanced
    /// Connection Complete (9), PHY Update Complete (11), Advertising Set Terminated (17).
    static let leEventMask: UInt64 = 1 << 0 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 9 | 1 << 11 | 1 << 17
    /// Advertising data is re-sent when the device changed it, at most this often (seconds).
    static let advertisingRefreshInterval = 1.0

    /// - Parameters:
    ///   - devices: the simulated devices to host, in order of preference (see `devices`;
    ///     `Simulation.peripheralHostDevices` puts the first wristband first). Not empty.
    ///   - transport: H4 to the controller (`TransportSpec.open`), e.g. `tcp-client:` or `unix:`.
    ///   - speed: simulation seconds per wall-clock second.
    ///   - startTime: the simulation time at the start of `run`.
    public init(devices: [any VirtualPeripheral], transport: any HCITransport, speed: Double = 1,
                startTime: Double = 0, capture: HCICaptureFile? = nil, commandTimeout: Duration = .seconds(5)) {
        precondition(!devices.isEmpty, "a peripheral host needs a device")
        self.devices = devices
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

    /// One device (see `Simulation.peripheralHostDevice`), advertised with the legacy commands.
    public convenience init(device: any VirtualPeripheral, transport: any HCITransport, speed: Double = 1,
                            startTime: Double = 0, capture: HCICaptureFile? = nil, commandTimeout: Duration = .seconds(5)) {
        self.init(devices: [device], transport: transport, speed: speed, startTime: startTime, capture: capture,
                  commandTimeout: commandTimeout)
    }

    /// The simulation time the wall clock has reached.
    public var simulationTime: Double {
        let elapsed = clock.now - origin
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return startTime + seconds * speed
    }

    /// Runs the start-up sequence (if `start` was not called), then hosts the devices until
    /// the controller closes the transport (returns normally), `endTime` (simulation
    /// seconds) is reached, or `shouldStop` returns true. On the way out it disconnects the
    /// centrals and stops advertising, without waiting for the controller's answers.
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
            var wait = connections.isEmpty ? 0.05 : 0.005
            if let endTime { wait = min(wait, max(0, (endTime - time) / speed)) }
            guard try readOnce(timeout: .microseconds(Int64(wait * 1_000_000))) else { return }
        }
        finish()
    }

    /// Reset, event masks, buffer sizes, what the controller can advertise, then each
    /// hosted device's address, advertising parameters and data, and advertising on. Each
    /// command waits for its answer.
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
        let mode = devices.count > 1 ? try readAdvertisingSetCount().map { AdvertisingMode.sets(supported: $0) } : nil
        advertisingMode = mode ?? .legacy
        if case .sets(let supported) = mode {
            hosted = devices.prefix(supported).enumerated().map { HostedDevice(device: $1, advertisingHandle: UInt8($0)) }
            try startAdvertisingSets()
        } else {
            hosted = [HostedDevice(device: devices[0], advertisingHandle: 0)]
            try startLegacyAdvertising()
        }
    }

    /// The number of advertising sets, if the controller has LE Extended Advertising
    /// (LE Features bit 12, §7.8.3) and answers LE Read Number of Supported Advertising
    /// Sets (§7.8.58); nil otherwise. The feature bit decides, not the Supported Commands
    /// bitmap (§7.4.2): Bumble's controller (0.0.236) implements the extended advertising
    /// commands but does not list them there.
    func readAdvertisingSetCount() throws(PeripheralHostError) -> Int? {
        let features = try HCIHostLink.decode(
            LELocalSupportedFeatures.self,
            try execute(HCICommand.leReadLocalSupportedFeatures.encoded, .leReadLocalSupportedFeatures),
            .leReadLocalSupportedFeatures)
        guard features.supports(bit: ExtendedAdvertisingCommand.leFeatureBit) else { return nil }
        let answer: [UInt8]
        do throws(PeripheralHostError) {
            answer = try execute(ExtendedAdvertisingCommand.readNumberOfSupportedSets)
        } catch .commandFailed(_, let status) where status == HCIStatusCode.unknownCommand {
            return nil  // the feature bit without the command: legacy it is
        }
        // Status, Num_Supported_Advertising_Sets (1): 0x01...0xF0.
        guard answer.count >= 2, answer[1] > 0 else { return nil }
        return min(Int(answer[1]), ExtendedAdvertisingCommand.maximumSetCount)
    }

    // MARK: Time

    /// Brings every hosted device to `time`, carries out what they ask of their links, and
    /// hands their due notifications to the controller as far as buffers allow, starting
    /// with a different device each time.
    func tick(at time: Double) {
        guard !hosted.isEmpty else { return }
        for index in hosted.indices {
            let device = hosted[index].device
            device.advance(to: time)
            guard let downtime = device.takeLinkDrop() else { continue }
            hosted[index].advertiseAfter = time + max(0, downtime)
            if let handle = hosted[index].connectionHandle {
                link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
            } else if hosted[index].advertisingEnabled {
                setAdvertising(index, false)
            }
        }
        let first = nextSender
        nextSender = (nextSender + 1) % hosted.count
        for offset in hosted.indices {
            let index = (first + offset) % hosted.count
            guard let handle = hosted[index].connectionHandle else {
                refreshAdvertising(index, at: time)
                continue
            }
            // Only as many as the free buffers could take now: the rest wait in the device's
            // own queue, where its overflow policy applies.
            let room = link.aclRoom
            guard room > 0 else { continue }
            let pdus = hosted[index].device.dequeueOutgoing(handle: handle, upTo: time, limit: room)
            for pdu in pdus { enqueue(pdu, channel: .att, handle: handle) }
            statistics.notificationsSent += pdus.count
        }
    }

    /// Best effort on the way out: no waiting for answers, and only what the controller's
    /// command credits allow (the disconnections first: the controller stops a device's
    /// advertising by itself while it is connected).
    func finish() {
        for handle in connections.keys.sorted() {
            link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
        }
        if hosted.contains(where: \.advertisingEnabled) {
            // With sets, no handles means every set (§7.8.56).
            link.send(command: usesAdvertisingSets ? ExtendedAdvertisingCommand.setEnable(false, handles: []).encoded
                                                   : LegacyAdvertisingCommand.setEnable(false).encoded)
            for index in hosted.indices { hosted[index].advertisingEnabled = false }
        }
        try? flush()
    }

    // MARK: Sending

    /// Sends `payload` on an L2CAP channel of the link (framed and cut to the controller's
    /// buffers by `HCIHostLink`).
    func enqueue(_ payload: [UInt8], channel: L2CAPChannelID, handle: ConnectionHandle) {
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
        try link.execute(packet, opcode: opcode, timeout: commandTimeout) { type, packet, event in
            dispatch(type, packet, event, at: simulationTime)
        }
    }

    func execute(_ command: some PeripheralHostCommand) throws(PeripheralHostError) -> [UInt8] {
        try execute(command.encoded, command.opcode)
    }

    // MARK: Receiving

    /// Waits up to `timeout` for bytes from the controller and handles the packets they
    /// complete. Returns false when the controller closed the transport.
    func readOnce(timeout: Duration) throws(PeripheralHostError) -> Bool {
        let open: Bool
        let skippedBefore = link.malformedBytes
        do throws(TransportError) {
            let time = simulationTime
            open = try link.receive(timeout: timeout) { type, packet, event in dispatch(type, packet, event, at: time) }
        } catch {
            throw .transport(error)
        }
        // Bad indicators are skipped by the framer; the stream goes on.
        if link.malformedBytes > skippedBefore { statistics.malformedPackets += 1 }
        try flush()
        return open
    }

    func dispatch(_ type: HCIPacketType, _ packet: RawSpan, _ event: HCIEvent?, at time: Double) {
        switch type {
        case .event: handleEvent(event, in: packet, at: time)
        case .aclData: handleACL(packet, at: time)
        default: break
        }
    }
}

/// One device on the controller: its advertising and its link.
struct HostedDevice {
    let device: any VirtualPeripheral
    /// Its advertising set (index in `PeripheralHost.hosted`); unused with legacy advertising.
    let advertisingHandle: UInt8
    var connectionHandle: ConnectionHandle?
    var advertisingEnabled = false
    /// No advertising before this time (a scripted link drop keeps the device silent).
    var advertiseAfter = 0.0
    var sentAdvertisingData: [UInt8] = []
    var sentScanResponseData: [UInt8] = []
    var lastAdvertisingRefresh = -Double.infinity

    init(device: any VirtualPeripheral, advertisingHandle: UInt8) {
        self.device = device
        self.advertisingHandle = advertisingHandle
    }
}
