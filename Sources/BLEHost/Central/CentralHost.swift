import BLEWire

/// The central role of the host stack: it sets a controller up, scans, connects to the
/// devices its configuration selects (as many at once as allowed), discovers their GATT
/// databases, subscribes to what the owner wants, reads what it wants once, and hands
/// every advertisement and characteristic value to its delegate. Links that drop are
/// reconnected with exponential backoff.
///
/// One thread: `run` reads with short timeouts and does its timing (connection attempts,
/// ATT timeouts, backoff) between reads. Time comes from `clock` (seconds), so the same
/// host runs on the wall clock against a real controller and on simulated time against
/// an in-process one.
///
/// ```
/// let host = CentralHost(transport: try spec.open(timeout: .seconds(5)), configuration: configuration,
///                        clock: { wallClockSeconds() })
/// host.delegate = pipeline
/// try host.run(until: deadline)
/// ```
public final class CentralHost {
    public let link: HCIHostLink
    public let configuration: CentralConfiguration
    public weak var delegate: (any CentralHostDelegate)?
    /// Which characteristics to subscribe to and to read once after discovery.
    public var wantsSubscription: (BluetoothUUID) -> Bool = { _ in true }
    public var wantsRead: (BluetoothUUID) -> Bool = { _ in false }
    public let clock: () -> Double
    /// How long a start-up command may go unanswered, in wall-clock seconds.
    public let commandTimeout: Double
    public internal(set) var statistics = CentralHostStatistics()
    /// The controller's address and whether it scans and connects with the extended commands.
    public internal(set) var controllerAddress = BDAddress(rawValue: 0)
    public internal(set) var usesExtendedCommands = false

    var links: [ConnectionHandle: GATTClientLink] = [:]
    /// Kernel-managed mode: how to open a device's ATT bearer, and the open ones by handle.
    public let connector: ATTBearerConnector?
    var bearers: [ConnectionHandle: any ATTBearer] = [:]
    /// Kernel-managed mode: bearers whose link the kernel is still creating, and since when.
    var pendingBearers: [BDAddress: (bearer: any ATTBearer, since: Double)] = [:]
    var nextBearerHandle = ConnectionHandle(0)
    /// Kernel-managed mode: the kernel's last LE Set (Extended) Scan Enable since the host's own
    /// scan last started, and when (see ``observeKernelCommand(_:at:)``).
    var kernelScan: (enabled: Bool, at: Double)?
    var bearerBuffer = [UInt8](repeating: 0, count: 1024)
    var reassembler = L2CAPReassembler()
    var devices: [BDAddress: SeenDevice] = [:]
    var initiating: (address: BDAddress, since: Double, cancelled: Bool)?
    var scanningEnabled = false
    /// The controller's link limit once it turned a connection away for lack of room, and
    /// the devices that wait for a link.
    public internal(set) var queue = ConnectionQueue()
    var lastWaitCheck = -Double.infinity
    var started = false

    /// Event_Mask (Vol 4, Part E, §7.3.1): Disconnection Complete (bit 4), Encryption
    /// Change (7), Command Complete (13), Command Status (14), Hardware Error (15), Number
    /// Of Completed Packets (18), Data Buffer Overflow (25), LE Meta (61).
    static let eventMask: UInt64 = 1 << 4 | 1 << 7 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 18 | 1 << 25 | 1 << 61
    /// LE_Event_Mask (§7.8.1): Connection Complete (0), Advertising Report (1), Connection
    /// Update Complete (2), Remote Connection Parameter Request (5), Data Length Change
    /// (6), Enhanced Connection Complete (9), PHY Update Complete (11), Extended
    /// Advertising Report (12).
    static let leEventMask: UInt64 = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 9 | 1 << 11 | 1 << 12
    /// LE Features bit 12: LE Extended Advertising (Vol 6, Part B, §4.6).
    static let extendedAdvertisingFeature: UInt64 = 1 << 12
    /// LE Features bit 5: LE Data Packet Length Extension (Vol 6, Part B, §4.6).
    static let dataPacketLengthExtensionFeature: UInt64 = 1 << 5

    struct SeenDevice {
        var addressType: UInt8
        var name: String?
        var services: Set<BluetoothUUID> = []
        var connectable = false
        var connectedHandle: ConnectionHandle?
        var failures = 0
        var retryAt = -Double.infinity
        var lastAdvertisement: [UInt8] = []
    }

    /// - Parameters:
    ///   - connector: nil for a controller the host owns (ATT over ACL). Set it for a
    ///     kernel-managed adapter (`bluez:hciN`): the host then leaves the controller's
    ///     set-up to the kernel, only scans, and connects by opening ATT bearers.
    public init(transport: any HCITransport, configuration: CentralConfiguration = CentralConfiguration(),
                commandTimeout: Double = 5, connector: ATTBearerConnector? = nil, clock: @escaping () -> Double) {
        link = HCIHostLink(transport: transport)
        self.connector = connector
        self.configuration = configuration
        self.commandTimeout = commandTimeout
        self.clock = clock
    }

    /// The open links' peers, by connection handle.
    public var peers: [CentralPeer] { links.keys.sorted().compactMap { links[$0]?.peer } }

    /// Devices heard so far (connected or not).
    public var devicesHeard: Int { devices.count }

    /// The value handle discovery found for a characteristic on a link, if any.
    public func valueHandle(of characteristic: BluetoothUUID, connection handle: ConnectionHandle) -> AttributeHandle? {
        links[handle]?.valueUUIDs.first { $0.value == characteristic }?.key
    }

    // MARK: Running

    /// Starts the controller (if `start` was not called), then scans, connects and
    /// receives until the controller closes the transport (returns normally), `endTime`
    /// (on `clock`) is reached, or `shouldStop` returns true; on the way out it
    /// disconnects its links and stops scanning, without waiting for answers.
    public func run(until endTime: Double? = nil, shouldStop: () -> Bool = { false }) throws(HCIHostError) {
        if !started { try start() }
        defer { finish() }
        while !shouldStop() {
            let now = clock()
            if let endTime, now >= endTime { return }
            tick(at: now)
            try flush()
            // With bearers the HCI socket carries only adverts: wait less, the bearers are polled.
            var wait = bearers.isEmpty && pendingBearers.isEmpty ? 0.05 : 0.005
            if let endTime { wait = min(wait, max(0, endTime - now)) }
            guard try receive(timeout: wait) else { return }
            if !pendingBearers.isEmpty { pollPendingBearers(at: clock()) }
            if !bearers.isEmpty { pollBearers() }
        }
    }

    /// Reset, event masks, buffers, features, the random address, then scanning.
    public func start() throws(HCIHostError) {
        started = true
        if !isKernelManaged {
            // The kernel owns a managed adapter's set-up; resetting it would pull it from
            // under bluetoothd.
            _ = try execute(.reset)
            _ = try execute(.setEventMask(Self.eventMask))
            _ = try execute(.leSetEventMask(Self.leEventMask))
        }
        let address = try decode(LocalBDAddress.self, try execute(.readBDAddress), .readBDAddress)
        controllerAddress = address.address
        // A kernel-managed adapter's ACL flow control is the kernel's, but its buffers are the
        // controller's all the same: read them (read-only commands) so the start-up log
        // reports the controller's figures, not the host link's defaults of 1 x 27 bytes.
        try setUpBuffers()
        if !isKernelManaged, let random = configuration.ownRandomAddress {
            _ = try execute(.leSetRandomAddress(random))
        }
        let features = try decode(LELocalSupportedFeatures.self, try execute(.leReadLocalSupportedFeatures),
                                  .leReadLocalSupportedFeatures)
        usesExtendedCommands = features.leFeatures & Self.extendedAdvertisingFeature != 0
        if !isKernelManaged && features.leFeatures & Self.dataPacketLengthExtensionFeature != 0 {
            suggestLongDataPackets()
        }
        try startScanning()
    }

    /// LE Write Suggested Default Data Length (Vol 4, Part E, §7.8.35): new links carry up to
    /// 251 octets per LL packet (2120 µs on the 1M PHY, Vol 6, Part B, §4.5.10), as the kernel
    /// asks on the adapters it manages. Without it a controller keeps the 27 octets of Bluetooth
    /// 4.0 and every insole notification (116 bytes) crossed HCI as five ACL fragments: in the
    /// VM check the user channel then had five times the kernel-managed mode's packets to read,
    /// more than the debug build under emulation kept up with (ATT responses queued past the
    /// 30 s ATT timeout, /tmp/bf-vm5: 2,500 ACL packets per 10 s). Best effort: a controller
    /// that refuses it keeps its default.
    func suggestLongDataPackets() {
        // Opcode 0x2024, 4 parameter bytes: Suggested_Max_TX_Octets 251, Suggested_Max_TX_Time 2120.
        let command: [UInt8] = [0x24, 0x20, 0x04, 0xFB, 0x00, 0x48, 0x08]
        _ = try? link.execute(command, opcode: HCIOpcode(ogf: 0x08, ocf: 0x0024),
                              timeout: .milliseconds(Int64(commandTimeout * 1000))) { type, packet, event in
            dispatch(type, packet, event)
        }
    }

    func setUpBuffers() throws(HCIHostError) {
        let buffers = try decode(LEBufferSize.self, try execute(.leReadBufferSize), .leReadBufferSize)
        if buffers.leACLDataPacketLength == 0 || buffers.totalNumLEACLDataPackets == 0 {
            // No dedicated LE buffers: LE shares the BR/EDR ones (§7.8.2).
            let shared = try decode(BufferSize.self, try execute(.readBufferSize), .readBufferSize)
            link.setACLBuffers(length: Int(shared.aclDataPacketLength), count: Int(shared.totalNumACLDataPackets))
        } else {
            link.setACLBuffers(length: Int(buffers.leACLDataPacketLength), count: Int(buffers.totalNumLEACLDataPackets))
        }
    }

    func startScanning() throws(HCIHostError) {
        if usesExtendedCommands {
            // Extended scanning where the controller announces it; a controller that lists
            // the feature but refuses the command gets the legacy one.
            do throws(HCIHostError) {
                _ = try execute(.leSetExtendedScanParameters(extendedScanParameters))
            } catch .commandFailed(_, let status) where status == HCIStatusCode.unknownCommand {
                usesExtendedCommands = false
            }
        }
        do throws(HCIHostError) {
            if !usesExtendedCommands { _ = try execute(.leSetScanParameters(scanParameters)) }
            _ = try execute(scanEnableCommand(true))
        } catch .commandFailed(_, let status) where isKernelManaged && status == HCIStatusCode.commandDisallowed {
            // bluetoothd is scanning already (Command Disallowed while a scan runs, Vol 4,
            // Part E, §7.8.10): its reports reach the raw socket all the same.
        }
        scanningEnabled = true
        delegate?.central(self, event: .controllerReady(address: controllerAddress, extended: usesExtendedCommands,
                                                       aclBuffers: link.aclBufferCount, aclLength: link.aclDataLength),
                          at: clock())
    }

    /// Best effort on the way out: disconnect every link and stop scanning.
    func finish() {
        for pending in pendingBearers.values { pending.bearer.close() }
        pendingBearers = [:]
        for handle in bearers.keys.sorted() { closeBearer(handle, at: clock()) }
        for handle in links.keys.sorted() {
            link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
        }
        if scanningEnabled { link.send(command: scanEnableCommand(false).encoded) }
        try? link.flush()
    }

    func flush() throws(HCIHostError) {
        do throws(TransportError) { try link.flush() } catch { throw .transport(error) }
    }

    // MARK: Timers

    /// Connection attempts, their timeouts, and ATT timeouts.
    func tick(at now: Double) {
        if let attempt = initiating, !attempt.cancelled, now - attempt.since > configuration.connectTimeout {
            // The controller answers with LE Connection Complete, status Unknown Connection
            // Identifier (§7.8.13), which ends the attempt.
            initiating?.cancelled = true
            link.send(command: HCICommand.leCreateConnectionCancel.encoded)
        }
        for (handle, client) in links {
            if let sent = client.requestSentAt, now - sent > configuration.attTimeout {
                // A transaction that times out ends ATT on the link (Vol 3, Part F, §3.3.3).
                links[handle]?.requestSentAt = nil
                statistics.attTimeouts += 1
                delegate?.central(self, event: .attTimeout(client.peer), at: now)
                if bearers[handle] != nil {
                    closeBearer(handle, at: now)
                } else {
                    link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
                }
            }
        }
        if initiating == nil { connectNext(at: now) }
        if isKernelManaged { resumeScanning(at: now) }
        if now - lastWaitCheck >= 1 { updateWaitList(at: now) }
    }

    /// The devices waiting for a link: while the host holds as many links as it may, every
    /// wanted, connectable device without one. Checked once a second.
    func updateWaitList(at now: Double) {
        lastWaitCheck = now
        let limit = connectionLimit
        var waiting: Set<BDAddress> = []
        if links.count >= limit, limit < Int.max {
            for (address, device) in devices
            where device.connectable && device.connectedHandle == nil && isWanted(address, device) {
                waiting.insert(address)
            }
        }
        if let event = queue.update(waiting: waiting, limit: limit, at: now) { delegate?.central(self, event: event, at: now) }
    }

    /// The devices that wait for a link (as of the last check, at most a second old).
    public var waitingDevices: Set<BDAddress> { queue.waiting }

    // MARK: Start-up commands

    func execute(_ command: HCICommand) throws(HCIHostError) -> [UInt8] {
        try link.execute(command, timeout: .milliseconds(Int64(commandTimeout * 1000))) { type, packet, event in
            dispatch(type, packet, event)
        }
    }

    func decode<R: HCICommandReturnParameters>(_ type: R.Type, _ parameters: [UInt8], _ opcode: HCIOpcode)
        throws(HCIHostError) -> R {
        try HCIHostLink.decode(type, parameters, opcode)
    }

    // MARK: Receiving

    /// Waits up to `timeout` seconds for the controller and handles what arrives. Returns
    /// false when the controller closed the transport.
    func receive(timeout: Double) throws(HCIHostError) -> Bool {
        let open: Bool
        do throws(TransportError) {
            open = try link.receive(timeout: .microseconds(Int64((max(0, timeout) * 1_000_000).rounded(.up)))) {
                type, packet, event in dispatch(type, packet, event)
            }
        } catch {
            throw .transport(error)
        }
        try flush()
        return open
    }
}

extension CentralHost {
    func dispatch(_ type: HCIPacketType, _ packet: RawSpan, _ event: HCIEvent?) {
        switch type {
        case .event: handleEvent(event, in: packet)
        case .aclData: handleACL(packet)
        case .command where isKernelManaged: observeKernelCommand(packet, at: clock())
        default: statistics.unexpectedPackets += 1
        }
    }
}

/// Counters a status display and the tests read.
public struct CentralHostStatistics: Sendable, Equatable {
    public var advertisingReports = 0
    public var connectionAttempts = 0
    public var connections = 0
    public var failedConnections = 0
    /// Attempts the controller refused for lack of room (the device then waits for a link).
    public var refusedForRoom = 0
    public var disconnections = 0
    public var notifications = 0
    public var indications = 0
    /// Values on handles discovery did not (yet) map to a characteristic.
    public var unmappedValues = 0
    public var attTimeouts = 0
    public var failedCommands = 0
    public var malformedPackets = 0
    public var unexpectedPackets = 0
    public var connectionParameterUpdates = 0
}
