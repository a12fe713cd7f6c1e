import BLEWire

/// A Bluetooth LE controller in software: the link layer around simulated peripherals,
/// seen by a host through HCI (Core Specification v5.4, Vol 4, Part E).
///
/// A deterministic, clock-driven state machine without I/O: the caller hands it what the
/// host sent (`receive(hostPacket:_:)`), moves its clock forward (`advance(to:)`) and
/// writes what it produced (`takeOutgoing()`) to the host. `VirtualControllerRunner` does
/// this over an `HCITransport` with a wall clock; tests do it by hand, PDU by PDU.
///
/// What it does:
/// - answers the commands a host sends at power-on (Bumble's and BlueZ's sequences) and
///   announces what it implements in Read Local Supported Commands;
/// - while the host scans (legacy or extended commands), reports every advertising
///   peripheral at its advertising interval plus the 0...10 ms advDelay, with scan
///   responses when scanning actively and duplicate filtering when asked;
/// - creates connections as central (LE Create Connection, LE Extended Create Connection),
///   many at once, and runs a connection event per connection interval that carries host
///   ACL data to the peripheral and the peripheral's ATT responses and notifications back,
///   at the rate `LinkAirtime` documents;
/// - does HCI ACL flow control: `leACLDataPacketCount` buffers of `leACLDataPacketLength`
///   bytes, credited back with Number Of Completed Packets as packets are transmitted;
/// - answers L2CAP LE signalling and SMP on the peripherals' behalf (connection parameter
///   requests are rejected as a peripheral must; pairing is "not supported");
/// - ends links on HCI_Disconnect, on supervision timeout and on scripted faults.
///
/// Peripherals are advanced lazily: `VirtualPeripheral.advance(to:)` is called right before
/// the controller asks a peripheral anything (an advertising or a connection event).
public final class VirtualController {
    /// What it announces and how its radio behaves.
    public let configuration: VirtualControllerConfiguration
    /// The simulation time the controller has reached, in seconds.
    public private(set) var now: Double
    /// Counters of traffic and anomalies.
    public internal(set) var statistics = VirtualControllerStatistics()

    // MARK: State

    struct PeripheralSlot {
        let device: any VirtualPeripheral
        var advertisingGeneration: UInt64 = 0
        var advertisingScheduled = false
        /// Mean RSSI at the scanner, fixed per device (distance and body shadowing).
        let rssi: Int
        var connectedHandle: ConnectionHandle? = nil
    }

    struct ScanState {
        var extended: Bool
        var active: Bool
        var interval: Double
        var window: Double
        var filterDuplicates: Bool
        var start: Double
        var generation: UInt64
        /// Per (address, event type): a hash of the data last reported.
        var reported: [ReportKey: Int] = [:]
    }

    struct ReportKey: Hashable {
        var address: BDAddress
        var eventType: UInt16
    }

    struct Initiation {
        var peerAddress: BDAddress
        var peerAddressType: UInt8
        var useAcceptList: Bool
        var ownAddressType: UInt8
        var parameters: LEConnectionParameters
    }

    var peripherals: [PeripheralSlot] = []
    var links: [ConnectionHandle: ControllerLink] = [:]
    var scheduler = ControllerScheduler()
    var random: SplitMix64
    var reassembler = L2CAPReassembler()
    var outgoing: [ControllerPacket] = []
    var faults: [VirtualLinkFault] = []

    var eventMask: UInt64 = VirtualController.defaultEventMask
    var eventMaskPage2: UInt64 = 0
    var leEventMask: UInt64 = VirtualController.defaultLEEventMask
    var randomAddress: BDAddress? = nil
    var suggestedDataLength: UInt16 = 27
    var localName: [UInt8]
    var acceptList: Set<BDAddress> = []
    var legacyScanParameters = LEScanParameters(scanType: .passive, scanInterval: 0x0010, scanWindow: 0x0010)
    var extendedScanParameters = LEExtendedScanParameters(
        le1M: LEScanPHYParameters(scanType: .passive, scanInterval: 0x0010, scanWindow: 0x0010))
    var scan: ScanState? = nil
    var initiation: Initiation? = nil
    var nextHandle = ConnectionHandle(0x0001)
    var linkGeneration: UInt64 = 0
    var scanGeneration: UInt64 = 0

    /// Event mask after HCI_Reset (§7.3.1): events 1...45 enabled.
    static let defaultEventMask: UInt64 = 0x0000_1FFF_FFFF_FFFF
    /// LE event mask after HCI_Reset (§7.8.1): the first five LE subevents.
    static let defaultLEEventMask: UInt64 = 0x0000_0000_0000_001F

    /// LE features announced (Vol 6, Part B, §4.6): LE Data Packet Length Extension
    /// (bit 5), LE 2M PHY (bit 8), LE Extended Advertising (bit 12), which is what makes a
    /// host use the extended scanning and connection commands.
    public static let leFeatures: UInt64 = 1 << 5 | 1 << 8 | 1 << 12
    /// LMP features announced (Vol 2, Part C, §3.3): "BR/EDR Not Supported" (bit 37) and
    /// "LE Supported (Controller)" (bit 38): an LE-only controller.
    public static let lmpFeatures: UInt64 = 1 << 37 | 1 << 38
    /// HCI and LMP/LL version announced: Bluetooth Core 5.4 (Assigned Numbers).
    public static let coreVersion: UInt8 = 0x0D

    // MARK: Life cycle

    public init(configuration: VirtualControllerConfiguration = VirtualControllerConfiguration(),
                peripherals: [any VirtualPeripheral] = [], startTime: Double = 0) {
        self.configuration = configuration
        now = startTime
        random = SplitMix64(state: configuration.seed)
        localName = Array(configuration.localName.utf8.prefix(248))
        for peripheral in peripherals { add(peripheral) }
    }

    /// Adds a simulated device within radio range. It is reported while it advertises and
    /// the host scans.
    public func add(_ peripheral: any VirtualPeripheral) {
        // The address alone sets the mean RSSI, so adding devices in another order does not
        // change any device's signal.
        var seeded = SplitMix64(state: peripheral.address.rawValue ^ configuration.seed)
        let rssi = Int(seeded.uniform(-88, -48))
        peripherals.append(PeripheralSlot(device: peripheral, rssi: rssi))
        if scan != nil || initiation != nil { scheduleFirstAdvertising(peripherals.count - 1) }
    }

    /// The handle of the connection to the peripheral with this address, if connected.
    public func connectionHandle(for address: BDAddress) -> ConnectionHandle? {
        peripherals.first { $0.device.address == address }?.connectedHandle
    }

    /// Handles of the open connections, ascending.
    public var connectionHandles: [ConnectionHandle] { links.keys.sorted() }

    /// The data length (LL payload octets) the peripheral uses toward the central on a link.
    public func peripheralDataLength(handle: ConnectionHandle) -> UInt16? { links[handle]?.peripheralOctets }

    /// The connection interval of a link, in seconds.
    public func connectionInterval(handle: ConnectionHandle) -> Double? { links[handle]?.intervalSeconds }

    /// Whether the host is scanning now.
    public var isScanning: Bool { scan != nil }

    /// Schedules a radio fault on the link to a peripheral at a simulation time. A fault
    /// for a peripheral that is not connected then is ignored.
    public func schedule(_ fault: VirtualLinkFault, at time: Double) {
        faults.append(fault)
        scheduler.schedule(.fault(index: faults.count - 1), at: max(time, now))
    }

    // MARK: Driving

    /// When the controller next has something to do (an advertising or connection event,
    /// a timeout, a fault), or nil when idle until the host sends something.
    public var nextEventTime: Double? { scheduler.nextTime }

    /// Runs everything scheduled up to `time` and sets the clock to it. Times earlier than
    /// `now` are ignored: the clock never goes back.
    public func advance(to time: Double) {
        while let (due, action) = scheduler.popDue(by: time) {
            if due > now { now = due }
            perform(action)
        }
        if time > now { now = time }
    }

    /// Removes and returns the packets produced for the host so far, oldest first.
    public func takeOutgoing() -> [ControllerPacket] {
        defer { outgoing.removeAll(keepingCapacity: true) }
        return outgoing
    }

    /// Handles one packet from the host (without its H4 indicator) at the current time.
    /// Malformed packets are counted in `statistics` and answered when an answer is owed
    /// (a command whose opcode could be read gets an error status); nothing traps.
    public func receive(hostPacket type: HCIPacketType, _ packet: RawSpan) {
        switch type {
        case .command: receiveCommand(packet)
        case .aclData: receiveACL(packet)
        default: statistics.malformedHostPackets += 1
        }
    }

    /// Handles one packet from the host given as an array (without its H4 indicator).
    public func receive(hostPacket type: HCIPacketType, _ bytes: [UInt8]) {
        receive(hostPacket: type, bytes.span.bytes)
    }

    private func perform(_ action: ControllerScheduler.Action) {
        switch action {
        case let .advertising(index, generation):
            guard index < peripherals.count, peripherals[index].advertisingGeneration == generation else { return }
            advertisingEvent(index)
        case let .connectionEvent(handle, generation):
            guard let link = links[handle], link.generation == generation else { return }
            connectionEvent(handle)
        case let .scanTimeout(generation):
            guard let scan, scan.generation == generation else { return }
            self.scan = nil
            emitLEMeta(subevent: 0x11) { _ in }  // LE Scan Timeout (§7.7.65.17): no parameters
        case let .fault(index):
            guard index < faults.count else { return }
            apply(faults[index])
        }
    }

    private func apply(_ fault: VirtualLinkFault) {
        guard let handle = connectionHandle(for: fault.address), links[handle] != nil else { return }
        switch fault {
        case .silence(_, let duration):
            links[handle]?.silencedUntil = duration.map { now + $0 } ?? .infinity
        case .terminate(_, let reason):
            closeLink(handle, hostReason: reason, peripheralReason: 0x16)
        case .packetLoss(_, let rate):
            links[handle]?.lossRate = min(max(rate, 0), 1)
        }
    }

    // MARK: Events to the host

    func emit(_ type: HCIPacketType, _ bytes: [UInt8]) {
        outgoing.append(ControllerPacket(type: type, bytes: bytes, time: now))
    }

    /// Whether event `code` is enabled by HCI_Set_Event_Mask (bit code − 1).
    func isEventEnabled(_ code: UInt8) -> Bool {
        code >= 1 && code <= 64 && eventMask >> UInt64(code - 1) & 1 == 1
    }

    /// Whether LE subevent `subevent` is enabled: the LE Meta event (bit 61 of the event
    /// mask) and bit subevent − 1 of the LE event mask.
    func isLEEventEnabled(_ subevent: UInt8) -> Bool {
        isEventEnabled(0x3E) && subevent >= 1 && subevent <= 64 && leEventMask >> UInt64(subevent - 1) & 1 == 1
    }

    /// Emits an event: its code, parameter length and the parameters `body` writes.
    func emitEvent(code: UInt8, _ body: (inout ByteWriter) -> Void) {
        var parameters = ByteWriter(capacity: 32)
        body(&parameters)
        var writer = ByteWriter(capacity: parameters.count + 2)
        writer.write(code)
        writer.write(UInt8(truncatingIfNeeded: parameters.count))
        writer.write(contentsOf: parameters.bytes)
        emit(.event, writer.bytes)
    }

    /// Emits an LE Meta event if the host enabled it.
    func emitLEMeta(subevent: UInt8, _ body: (inout ByteWriter) -> Void) {
        guard isLEEventEnabled(subevent) else { return }
        emitEvent(code: 0x3E) { writer in
            writer.write(subevent)
            body(&writer)
        }
    }

    func emitCommandComplete(_ opcode: HCIOpcode, _ returnParameters: [UInt8]) {
        var writer = ByteWriter(capacity: returnParameters.count + 5)
        HCIEvent.CommandComplete.encode(numHCICommandPackets: configuration.commandCredits, opcode: opcode,
                                        returnParameters: returnParameters, into: &writer)
        emit(.event, writer.bytes)
    }

    func emitCommandComplete(_ opcode: HCIOpcode, status: UInt8) { emitCommandComplete(opcode, [status]) }

    func emitCommandStatus(_ opcode: HCIOpcode, status: UInt8) {
        var writer = ByteWriter(capacity: 6)
        HCIEvent.CommandStatus(status: status, numHCICommandPackets: configuration.commandCredits, opcode: opcode)
            .encode(into: &writer)
        emit(.event, writer.bytes)
    }
}
