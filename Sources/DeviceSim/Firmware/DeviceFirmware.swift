import BLEHost
import BLEWire
import ProtocolSpecs

/// What every simulated device's firmware does the same way: its GATT server (one per
/// connection), its clock, battery, advertising, and the notification queue the link layer
/// drains at each connection event. The wristband and insole firmwares add their sensors.
///
/// Values are encoded with the `Protocols/` specs (the same files the gateway decodes with),
/// and faults from the scenario are applied on the way out.
public class DeviceFirmware: VirtualPeripheral {
    public let spec: DeviceSpec
    public let address: BDAddress
    public let addressType = AddressType.randomDevice
    public var advertisingInterval: Double { spec.firmware.advertisingInterval }
    public var isConnectable: Bool { true }
    public var isAdvertising: Bool { servers.isEmpty && !isRebooting }
    /// The advert's data. A firmware whose advert follows its state (steps, battery) marks it
    /// stale once a second and builds it in ``makeAdvertisingData()`` only when someone reads
    /// it: a connected device does not advertise, and offline runs never read it.
    public internal(set) var advertisingData: [UInt8] {
        get {
            if advertisementStale {
                advertisementStale = false
                currentAdvertisingData = makeAdvertisingData() ?? currentAdvertisingData
            }
            return currentAdvertisingData
        }
        set {
            currentAdvertisingData = newValue
            advertisementStale = false
        }
    }
    var currentAdvertisingData: [UInt8] = []
    var advertisementStale = false
    public private(set) var scanResponseData: [UInt8] = []

    let catalog: ProtocolCatalog
    var database: GATTDatabase
    var servers: [ConnectionHandle: GATTServer] = [:] {
        didSet { routes = [:]; linkLimits = nil }
    }
    /// Per characteristic value handle, the connections subscribed to it (in `servers`'
    /// order) and whether for notifications: what `send` asks every GATT server for every
    /// notification, read once. Emptied whenever a server changes (`didSet` above).
    var routes: [AttributeHandle: [Route]] = [:]
    /// The smallest `maximumUpdateLength` over the connections, read once (see `routes`).
    var linkLimits: Int??

    struct Route {
        var connection: ConnectionHandle
        var maximumUpdateLength: Int
        var notifies: Bool
    }

    /// Each connection's notification queue. An array searched by handle rather than a
    /// dictionary: a device has one or two connections, and mutating a dictionary's value
    /// in place allocates (a coroutine frame) on every push and every connection event.
    var outgoing: [(handle: ConnectionHandle, queue: NotificationQueue)] = []

    func queueIndex(_ handle: ConnectionHandle) -> Int? {
        for index in outgoing.indices where outgoing[index].handle == handle { return index }
        return nil
    }
    /// Notifications a connection may have waiting before the oldest are dropped (a
    /// firmware's TX buffer: what does not fit is lost and counted).
    let queueLimit = 256
    public private(set) var droppedNotifications = 0
    var clock: DeviceClock
    var sequence: UInt16 = 0
    /// Battery charge, percent.
    var battery: Double
    var faults: FaultInjector
    weak var truth: GroundTruthSink?
    /// Seconds since 1970 at simulation time 0 (the capture clock).
    let epoch: Double
    var rebootUntil = -1.0
    /// A scripted link loss waiting for the link layer to act on it (its downtime).
    var linkDrop: Double?
    var isRebooting: Bool { lastTime < rebootUntil }
    var lastTime = 0.0

    init(spec: DeviceSpec, catalog: ProtocolCatalog, services: [GATTService], advertisedServices: [BluetoothUUID],
         faults: [FaultSpec], epoch: Double) {
        self.spec = spec
        self.address = spec.firmware.address
        self.catalog = catalog
        self.epoch = epoch
        battery = spec.firmware.batteryLevel
        clock = DeviceClock(driftPPM: spec.firmware.clockDriftPPM, bootTime: 0,
                            offsetMillis: Double(spec.seed % 3_600_000))
        self.faults = FaultInjector(faults: faults, seed: spec.seed &+ 17)
        database = GATTDatabase()
        database.add(.genericAccess(deviceName: spec.firmware.name))
        database.add(.genericAttribute())
        for service in services { database.add(service) }
        var advertising = AdvertisingDataBuilder()
        try? advertising.addFlags([.leGeneralDiscoverable, .brEDRNotSupported])
        try? advertising.addServiceUUIDs(advertisedServices.filter { $0.uuid16 != nil }, complete: true)
        advertisingData = advertising.bytes
        var scanResponse = AdvertisingDataBuilder()
        try? scanResponse.addLocalName(spec.firmware.name, shortenToFit: true)
        scanResponseData = scanResponse.bytes
    }

    /// The battery level a Battery Level read returns.
    var batteryLevel: UInt8 { UInt8(max(0, min(100, battery.rounded()))) }

    // MARK: VirtualPeripheral

    public func advance(to time: Double) {
        guard time > lastTime else { return }
        for event in faults.due(upTo: time) { apply(event) }
        if !isRebooting { produce(from: lastTime, to: time) }
        // A wearable draws ~1-3 mA from a ~150 mAh cell: a few days per charge.
        battery = max(0, battery - (time - lastTime) * 100 / (spec.firmware.batteryCapacity * 3600 / 2.0))
        lastTime = time
    }

    public func connected(handle: ConnectionHandle, central: BDAddress, at time: Double) {
        servers[handle] = GATTServer(database: database, serverRxMTU: UInt16(clamping: spec.firmware.mtu))
        if let index = queueIndex(handle) {
            outgoing[index].queue = NotificationQueue(limit: queueLimit)
        } else {
            outgoing.append((handle, NotificationQueue(limit: queueLimit)))
        }
    }

    public func disconnected(handle: ConnectionHandle, reason: UInt8, at time: Double) {
        servers[handle] = nil
        if let index = queueIndex(handle) { outgoing.remove(at: index) }
    }

    public func attributeRequest(_ pdu: [UInt8], handle: ConnectionHandle, at time: Double) -> [UInt8]? {
        servers[handle]?.handle(request: pdu)
    }

    public func dequeueOutgoing(handle: ConnectionHandle, upTo time: Double, limit: Int) -> [[UInt8]] {
        // Mutated in place: a copy out of the array would copy the whole queue.
        guard let index = queueIndex(handle) else { return [] }
        return outgoing[index].queue.pop(upTo: time, limit: limit)
    }

    /// What ``dequeueOutgoing(handle:upTo:limit:)`` returns, handed to `body` one PDU at a
    /// time (with its index) without building an array of arrays; `body` must not touch
    /// this connection's queue.
    func drainOutgoing(handle: ConnectionHandle, upTo time: Double, limit: Int, _ body: (Int, [UInt8]) -> Void) {
        guard let index = queueIndex(handle) else { return }
        outgoing[index].queue.drain(upTo: time, limit: limit, body)
    }

    /// A scripted disconnect for the link layer (virtual controller or offline host) to
    /// carry out: the downtime before the device advertises again. Taking it clears it.
    public func takeLinkDrop() -> Double? {
        defer { linkDrop = nil }
        return linkDrop
    }

    // MARK: For the device kinds

    /// Produce sensor values for (from, to]: overridden by the wristband and insoles.
    func produce(from: Double, to: Double) {}

    /// The advert for the state recorded when it was marked stale (see ``advertisingData``);
    /// nil keeps the one there is.
    func makeAdvertisingData() -> [UInt8]? { nil }

    /// Whether this device streams the named spec: the ones its scenario lists, all of its
    /// kind when none are listed.
    func streams(_ specName: String) -> Bool {
        spec.specs.isEmpty || spec.specs.contains(specName)
    }

    /// A flat encoder for a stream sent at the sample rate, prepared once from the named
    /// spec and a `template` of the stream's shape; nil when the device does not stream the
    /// spec. Its ``PayloadFlatEncoder/layout`` must be `layout`, the order the caller fills
    /// values in: a spec whose fields moved is a bug reported loudly (and the stream stays
    /// silent), never bytes in the wrong order.
    func flatEncoder(_ specName: String, template: PayloadObject, hints: [String: Int] = [:], layout: [String])
        -> PayloadFlatEncoder? {
        guard streams(specName), let spec = catalog.spec(named: specName) else { return nil }
        do {
            let encoder = try PayloadFlatEncoder(program: spec.program, hints: hints, template: template)
            guard encoder.layout == layout else {
                assertionFailure("\(specName): layout \(encoder.layout), the firmware fills \(layout)")
                return nil
            }
            return encoder
        } catch {
            assertionFailure("\(specName): \(error)")
            return nil
        }
    }

    /// Encodes `fields` with the named spec. A failure is a bug in the firmware model, so
    /// it is reported loudly rather than sent.
    func encode(_ specName: String, _ fields: PayloadObject, hints: [String: Int] = [:],
                advertised: Bool = false) -> [UInt8]? {
        // A device streams only the GATT specs its scenario lists; adverts are always sent.
        guard advertised || streams(specName), let spec = catalog.spec(named: specName) else { return nil }
        do {
            return try spec.encode(fields, hints: hints)
        } catch {
            assertionFailure("\(specName): \(error)")
            return nil
        }
    }

    /// Notifies (or indicates) `value` on characteristic `uuid` to every subscribed central,
    /// through the fault injector.
    func send(_ uuid: BluetoothUUID, _ value: [UInt8], at time: Double) {
        guard let characteristic = database.characteristic(uuid) else { return }
        send(characteristic, value, at: time)
    }

    /// ``send(_:_:at:)`` for a characteristic already looked up.
    func send(_ characteristic: GATTCharacteristicHandles, _ value: [UInt8], at time: Double) {
        guard characteristic.properties.contains(.notify) else { return sendSlowly(characteristic, value, at: time) }
        // The same decisions as `sendSlowly`, from `routes`: a subscribed connection the
        // value fits gets a Handle Value Notification (Vol 3, Part F, §3.4.7.1) when it
        // enabled notifications, nothing otherwise.
        let valueHandle = characteristic.value
        let targets = routes[valueHandle] ?? makeRoutes(valueHandle)
        for route in targets where route.notifies && value.count <= route.maximumUpdateLength {
            if faults.isQuiet {
                if let index = queueIndex(route.connection),
                   outgoing[index].queue.pushNotification(handle: valueHandle, value: value, at: time) {
                    droppedNotifications += 1
                }
            } else {
                var pdu: [UInt8] = [ATTOpcode.handleValueNotification.rawValue,
                                    UInt8(truncatingIfNeeded: valueHandle.rawValue), UInt8(truncatingIfNeeded: valueHandle.rawValue >> 8)]
                pdu.reserveCapacity(3 + value.count)
                pdu.append(contentsOf: value)
                for damaged in faults.transmit(pdu, at: time) {
                    enqueue(damaged, handle: route.connection, at: time)
                }
            }
        }
    }

    func makeRoutes(_ valueHandle: AttributeHandle) -> [Route] {
        var targets: [Route] = []
        for (handle, server) in servers where server.isSubscribed(handle: valueHandle) {
            targets.append(Route(connection: handle, maximumUpdateLength: server.maximumUpdateLength,
                                 notifies: server.isSubscribed(handle: valueHandle, to: .notification)))
        }
        routes[valueHandle] = targets
        return targets
    }

    /// Every update, asked of each GATT server (indications change the server).
    func sendSlowly(_ characteristic: GATTCharacteristicHandles, _ value: [UInt8], at time: Double) {
        for (handle, server) in servers {
            guard server.isSubscribed(handle: characteristic.value),
                  value.count <= server.maximumUpdateLength else { continue }
            let pdu: [UInt8]?
            if characteristic.properties.contains(.notify) {
                pdu = server.notification(handle: characteristic.value, value: value)
            } else {
                var server = server
                pdu = server.indication(handle: characteristic.value, value: value)
                servers[handle] = server
            }
            guard let pdu else { continue }
            if faults.isQuiet {
                enqueue(pdu, handle: handle, at: time)
            } else {
                for damaged in faults.transmit(pdu, at: time) {
                    enqueue(damaged, handle: handle, at: time)
                }
            }
        }
    }

    func enqueue(_ pdu: [UInt8], handle: ConnectionHandle, at time: Double) {
        if let index = queueIndex(handle), outgoing[index].queue.push(pdu, at: time) { droppedNotifications += 1 }
    }

    /// The largest value a notification can carry on every current connection.
    var maximumValueLength: Int {
        // Asked per sample: a loop, not `map(...).min()` (which builds an array).
        if let limit = linkLimits { return limit ?? spec.firmware.mtu - 3 }
        guard !servers.isEmpty else {
            linkLimits = .some(nil)
            return spec.firmware.mtu - 3
        }
        var smallest = Int.max
        for server in servers.values { smallest = min(smallest, server.maximumUpdateLength) }
        linkLimits = smallest
        return smallest
    }

    var isSubscribedAnywhere: Bool { !servers.isEmpty }

    func nextSequence() -> Int64 {
        defer { sequence &+= 1 }
        return Int64(sequence)
    }

    func apply(_ event: FaultInjector.Event) {
        let when = event.time
        switch event.kind {
        case .firmwareReboot(let downtime):
            rebootUntil = when + downtime
            clock.bootTime = when + downtime
            clock.offsetMillis = 0
            sequence = 0
            linkDrop = downtime  // a rebooting peripheral vanishes from its links
            record(event, "reboot, down for \(downtime) s")
        case .clockJump(let seconds):
            clock.offsetMillis += seconds * 1000
            record(event, "device clock jumps by \(seconds) s")
        case .disconnect(let downtime):
            linkDrop = downtime
            record(event, "link dropped for \(downtime) s")
        default:
            record(event, "")
        }
    }

    func record(_ event: FaultInjector.Event, _ detail: String) {
        truth?.record(.fault(kind: event.kind.name, device: address, time: epoch + event.time, detail: detail))
    }
}
