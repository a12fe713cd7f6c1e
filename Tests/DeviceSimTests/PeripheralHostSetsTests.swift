import BLEHost
import BLEWire
import ProtocolSpecs
import Testing
@testable import DeviceSim

/// The peripheral host with several devices against a scripted controller: what it asks the
/// controller at start-up, the advertising set each device gets (or the one device a
/// legacy-only controller gets), and which device each link, request and notification
/// belongs to. The expected values come from the devices themselves (their addresses,
/// advertising data, GATT databases), and the command layouts from the Core spec (Vol 4,
/// Part E, §7.8.52-§7.8.58); `PeripheralHostCommandTests` checks the encoder against Bumble.
@Suite struct PeripheralHostSetsTests {
    static let central = BDAddress("C6:C7:C8:C9:CA:CB")!

    /// quickstart's devices in the order the host takes them (first wristband first).
    static func devices() throws -> [DeviceFirmware] {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")),
                                         options: .init(catalog: catalog))
        return try Simulation(scenario: scenario, catalog: catalog).peripheralHostDevices
    }

    static func started(_ controller: ScriptedController, devices: [DeviceFirmware]) throws -> PeripheralHost {
        let host = PeripheralHost(devices: devices, transport: controller, commandTimeout: .seconds(1))
        try host.start()
        return host
    }

    @Test func extendedControllerGetsOneConnectableSetPerDevice() throws {
        let devices = try Self.devices()
        try #require(devices.count >= 3)
        let controller = ScriptedController(extendedAdvertising: true, advertisingSets: 16)
        let host = try Self.started(controller, devices: devices)
        #expect(host.advertisingMode == .sets(supported: 16))
        #expect(host.hostedDevices.map(\.address) == devices.map(\.address))

        let opcodes = controller.commands.map(\.opcode)
        #expect(opcodes.contains(0x2003) && opcodes.contains(0x203B), "features and set count asked: \(opcodes)")
        // Legacy and extended advertising commands are never mixed (§3.1.1).
        #expect(opcodes.allSatisfy { !(0x2006...0x200A).contains($0) }, "\(opcodes)")
        for (index, device) in devices.enumerated() {
            let handle = UInt8(index)
            // §7.8.53: handle, Advertising_Event_Properties 0x0013 (connectable, scannable,
            // legacy PDUs), interval min/max (3 bytes each), channel map, Own_Address_Type 1.
            let parameters = try #require(controller.parameters(of: 0x2036).first { $0.first == handle })
            #expect(parameters.count == 25)
            #expect(parameters[1] == 0x13 && parameters[2] == 0x00)
            let interval = UInt32(parameters[3]) | UInt32(parameters[4]) << 8 | UInt32(parameters[5]) << 16
            #expect(interval == UInt32(LegacyAdvertisingCommand.intervalUnits(seconds: device.advertisingInterval)))
            #expect(parameters[10] == 0x01, "own address type random")
            // §7.8.52: the set's own random static address is the device's.
            let address = try #require(controller.parameters(of: 0x2035).first { $0.first == handle })
            #expect(Array(address.dropFirst()) == device.address.littleEndianBytes)
            // §7.8.54 / §7.8.55: complete data (0x03), the device's own bytes.
            let data = try #require(controller.parameters(of: 0x2037).first { $0.first == handle })
            #expect(data[1] == 0x03 && Array(data.dropFirst(4)) == device.advertisingData && Int(data[3]) == data.count - 4)
            let scanResponse = try #require(controller.parameters(of: 0x2038).first { $0.first == handle })
            #expect(Array(scanResponse.dropFirst(4)) == device.scanResponseData)
        }
        // §7.8.56: every set enabled, without duration or event limit.
        #expect(controller.enabledSets == Set(devices.indices.map(UInt8.init)))
    }

    @Test func fewerSetsThanDevicesHostsTheFirstOnes() throws {
        let devices = try Self.devices()
        let controller = ScriptedController(extendedAdvertising: true, advertisingSets: 2)
        let host = try Self.started(controller, devices: devices)
        #expect(host.advertisingMode == .sets(supported: 2))
        #expect(host.hostedDevices.map(\.address) == devices.prefix(2).map(\.address))
        #expect(controller.parameters(of: 0x2036).map { $0[0] } == [0, 1])
        #expect(controller.enabledSets == [0, 1])
    }

    @Test(arguments: [(false, UInt8?.some(16)), (true, nil)])
    func legacyOnlyControllerHostsTheFirstDevice(feature: Bool, sets: UInt8?) throws {
        // No LE Extended Advertising bit; or the bit, but LE Read Number of Supported
        // Advertising Sets answered Unknown HCI Command.
        let devices = try Self.devices()
        let controller = ScriptedController(extendedAdvertising: feature, advertisingSets: sets)
        let host = try Self.started(controller, devices: devices)
        #expect(host.advertisingMode == .legacy)
        #expect(host.hostedDevices.map(\.address) == [devices[0].address])
        let opcodes = controller.commands.map(\.opcode)
        #expect(opcodes.allSatisfy { !(0x2035...0x2039).contains($0) }, "\(opcodes)")
        #expect(controller.parameters(of: 0x2005).first == devices[0].address.littleEndianBytes)
        #expect(controller.parameters(of: 0x200A) == [[0x01]])
        #expect(controller.parameters(of: 0x2008).first.map { Array($0[1..<(1 + Int($0[0]))]) } == devices[0].advertisingData)
    }

    @Test func oneDeviceKeepsLegacyAdvertisingEvenWithSets() throws {
        let devices = try Self.devices()
        let controller = ScriptedController(extendedAdvertising: true, advertisingSets: 16)
        let host = try Self.started(controller, devices: [devices[0]])
        #expect(host.advertisingMode == .legacy)
        #expect(controller.parameters(of: 0x200A) == [[0x01]])
    }

    /// Links, ATT and notifications per device: the set named by LE Advertising Set
    /// Terminated decides, in either order of the two events.
    @Test func eachLinkServesTheDeviceOfItsSet() throws {
        let devices = try Self.devices()
        let controller = ScriptedController(extendedAdvertising: true, advertisingSets: 16)
        let host = try Self.started(controller, devices: devices)
        let wristbands = devices.indices.filter { devices[$0].spec.role == .wristband }
        try #require(wristbands.count >= 2, "quickstart has two wristbands")
        let (first, second) = (wristbands[0], wristbands[1])
        controller.commands.removeAll()

        // Connection complete, then the set (the order §7.8.56 prescribes).
        controller.connectionComplete(handle: 0x0040, central: Self.central)
        controller.setTerminated(set: UInt8(second), handle: 0x0040)
        try step(host, at: 0.1)
        #expect(host.connections[ConnectionHandle(0x0040)] == second)
        #expect(host.statistics.connections == 1)
        // The controller's own address follows the newest link (Bumble routes ACL by it).
        #expect(controller.parameters(of: 0x2005).last == devices[second].address.littleEndianBytes)
        // The other order, for a controller that reports the set first.
        controller.setTerminated(set: UInt8(first), handle: 0x0041)
        controller.connectionComplete(handle: 0x0041, central: Self.central)
        try step(host, at: 0.2)
        #expect(host.connections[ConnectionHandle(0x0041)] == first)

        // Each link's GATT server is its own device's: Serial Number String (0x2A25) is the address.
        for (handle, index) in [(UInt16(0x0040), second), (0x0041, first)] {
            controller.attRequest(handle: handle) {
                ATTPDU.encodeReadByTypeRequest(ATTHandleRange(start: .first, end: .last), type: BluetoothUUID(0x2A25), into: &$0)
            }
            try step(host, at: 0.3)
            let response = try #require(controller.attPDUs(on: handle).last)
            #expect(response.first == 0x09, "Read By Type Response: \(response)")
            #expect(String(decoding: response.dropFirst(4), as: UTF8.self) == devices[index].address.description)
        }

        // Heart rate notifications of the second wristband only, on its own link.
        let measurement = try #require(devices[second].database.services.lazy.compactMap { $0[BluetoothUUID(0x2A37)] }.first)
        let cccd = try #require(measurement.clientConfiguration)
        controller.attRequest(handle: 0x0040) { ATTPDU.encodeWriteRequest(handle: cccd, value: [0x01, 0x00], into: &$0) }
        try step(host, at: 0.4)
        controller.acl.removeAll()
        for tenth in 5...60 { try step(host, at: Double(tenth) / 10) }
        let notifications = controller.attPDUs(on: 0x0040).filter { $0.first == 0x1B }
        #expect(notifications.count >= 3, "a heart rate a second for 5.5 s")
        #expect(notifications.allSatisfy { UInt16($0[1]) | UInt16($0[2]) << 8 == measurement.value.rawValue })
        #expect(controller.attPDUs(on: 0x0041).isEmpty, "the first wristband's central did not subscribe")
        #expect(controller.acl.allSatisfy { $0.handle == 0x0040 })

        // While connected a device's set stays off; after the link ends it comes back alone.
        #expect(!controller.enabledSets.contains(UInt8(second)) && !controller.enabledSets.contains(UInt8(first)))
        controller.commands.removeAll()
        controller.disconnectionComplete(handle: 0x0040)
        try step(host, at: 6.1)
        try step(host, at: 6.2)
        #expect(host.connections[ConnectionHandle(0x0040)] == nil && host.connections[ConnectionHandle(0x0041)] == first)
        #expect(controller.parameters(of: 0x2039) == [[0x01, 0x01, UInt8(second), 0, 0, 0]])
        #expect(host.statistics.disconnections == 1)
        #expect(host.statistics.malformedPackets == 0 && host.statistics.failedCommands == 0)
    }

    /// A scenario's disconnect fault on one of two unconnected wristbands silences that
    /// device's set alone, for the fault's downtime.
    @Test func linkDropSilencesOnlyThatDevicesSet() throws {
        let yaml = """
            name: two-bands-one-drop
            seed: 9
            duration: 30s
            personas:
              - name: ann
                devices: [{kind: wristband}]
                activity: [{do: rest}]
              - name: ben
                devices: [{kind: wristband}]
                activity: [{do: rest}]
            faults:
              - {kind: disconnect, target: ben/wristband, at: 2s, duration: 3s}
            """
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try ScenarioLoader.load(yaml: yaml, file: "drop.yaml", options: .init(catalog: catalog)).resolve()
        let devices = try Simulation(scenario: scenario, catalog: catalog).peripheralHostDevices
        try #require(devices.count == 2)
        let controller = ScriptedController(extendedAdvertising: true, advertisingSets: 16)
        let host = try Self.started(controller, devices: devices)
        controller.commands.removeAll()
        var enables: [(time: Double, parameters: [UInt8])] = []
        for tenth in 1...70 {
            let time = Double(tenth) / 10
            try step(host, at: time)
            enables += controller.parameters(of: 0x2039).map { (time, $0) }
            controller.commands.removeAll()
        }
        // ben's set (handle 1) off at the fault, on again once its 3 s are over; ann's untouched.
        #expect(enables.map(\.parameters) == [[0x00, 0x01, 1, 0, 0, 0], [0x01, 0x01, 1, 0, 0, 0]], "\(enables)")
        #expect(enables.first.map { (2.0...2.2).contains($0.time) } == true, "\(enables)")
        #expect(enables.last.map { (5.0...5.2).contains($0.time) } == true, "\(enables)")
    }

    /// Reads what the controller sent, then brings the devices to `time` and writes what
    /// they have for it.
    func step(_ host: PeripheralHost, at time: Double) throws {
        _ = try host.readOnce(timeout: .zero)
        host.tick(at: time)
        try host.flush()
    }
}

/// A controller played in process: it answers every command at once (Command Complete,
/// status 0, or Command Status for Disconnect), returns ACL buffers as soon as the host
/// fills them, records everything the host sent, and sends the events a test queues.
final class ScriptedController: HCITransport {
    struct Command { var opcode: UInt16; var parameters: [UInt8] }
    struct ACLPacket { var handle: UInt16; var payload: [UInt8] }

    /// LE Features bit 12 (LE Extended Advertising).
    let extendedAdvertising: Bool
    /// The answer to LE Read Number of Supported Advertising Sets; nil: Unknown HCI Command.
    let advertisingSets: UInt8?
    var commands: [Command] = []
    var acl: [ACLPacket] = []
    var inbound: [UInt8] = []
    var written: [UInt8] = []
    var closed = false

    init(extendedAdvertising: Bool, advertisingSets: UInt8?) {
        self.extendedAdvertising = extendedAdvertising
        self.advertisingSets = advertisingSets
    }

    func parameters(of opcode: UInt16) -> [[UInt8]] { commands.filter { $0.opcode == opcode }.map(\.parameters) }

    /// The handles of every set enabled so far (§7.8.56: Enable, Num_Sets, then 4 bytes a set).
    var enabledSets: Set<UInt8> {
        Set(parameters(of: 0x2039).filter { $0.first == 1 }.flatMap { entries in
            stride(from: 2, to: entries.count, by: 4).map { entries[$0] }
        })
    }

    /// ATT PDUs the host sent on a link (single-fragment L2CAP frames on CID 4).
    func attPDUs(on handle: UInt16) -> [[UInt8]] {
        acl.filter { $0.handle == handle && $0.payload.count >= 4 && $0.payload[2] == 0x04 && $0.payload[3] == 0 }
            .map { Array($0.payload.dropFirst(4)) }
    }

    // MARK: Events a test queues

    func event(_ bytes: [UInt8]) { inbound += [0x04] + bytes }

    /// LE Connection Complete (§7.7.65.1), role peripheral.
    func connectionComplete(handle: UInt16, central: BDAddress) {
        event([0x3E, 19, 0x01, 0x00, UInt8(handle & 0xFF), UInt8(handle >> 8), 0x01, 0x01] + central.littleEndianBytes
              + [24, 0, 0, 0, 200, 0, 0])
    }

    func setTerminated(set: UInt8, handle: UInt16) {
        event(AdvertisingSetTerminated(status: 0, advertisingHandle: set, connectionHandle: ConnectionHandle(handle)).encoded)
    }

    /// Disconnection Complete (§7.7.5), reason Remote User Terminated.
    func disconnectionComplete(handle: UInt16) {
        event([0x05, 4, 0x00, UInt8(handle & 0xFF), UInt8(handle >> 8), 0x13])
    }

    /// An ATT PDU from the central, in one ACL packet (PB flag 0b10, first automatically flushable).
    func attRequest(handle: UInt16, _ build: (inout ByteWriter) -> Void) {
        var writer = ByteWriter()
        build(&writer)
        let pdu = writer.bytes
        let l2cap = [UInt8(pdu.count & 0xFF), UInt8(pdu.count >> 8), 0x04, 0x00] + pdu
        inbound += [0x02, UInt8(handle & 0xFF), UInt8(handle >> 8) | 0x20, UInt8(l2cap.count & 0xFF),
                    UInt8(l2cap.count >> 8)] + l2cap
    }

    // MARK: HCITransport

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        if closed { throw .closed }
        let count = min(buffer.count, inbound.count)
        inbound.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        inbound.removeFirst(count)
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        if closed { throw .closed }
        written += bytes
        while let packet = nextPacket() { answer(packet) }
    }

    func close() { closed = true }

    /// The next whole H4 packet the host wrote: indicator, then the command or ACL packet.
    func nextPacket() -> (type: UInt8, bytes: [UInt8])? {
        guard let type = written.first else { return nil }
        let length: Int
        switch type {
        case 0x01:
            guard written.count >= 4 else { return nil }
            length = 3 + Int(written[3])
        case 0x02:
            guard written.count >= 5 else { return nil }
            length = 4 + (Int(written[3]) | Int(written[4]) << 8)
        default:
            written.removeAll()
            return nil
        }
        guard written.count >= 1 + length else { return nil }
        defer { written.removeFirst(1 + length) }
        return (type, Array(written[1...length]))
    }

    func answer(_ packet: (type: UInt8, bytes: [UInt8])) {
        let bytes = packet.bytes
        if packet.type == 0x02 {
            let handle = (UInt16(bytes[0]) | UInt16(bytes[1]) << 8) & 0x0FFF
            acl.append(ACLPacket(handle: handle, payload: Array(bytes.dropFirst(4))))
            // Number Of Completed Packets (§7.7.19): the buffer is free at once.
            event([0x13, 5, 1, bytes[0], bytes[1] & 0x0F, 1, 0])
            return
        }
        let opcode = UInt16(bytes[0]) | UInt16(bytes[1]) << 8
        commands.append(Command(opcode: opcode, parameters: Array(bytes.dropFirst(3))))
        var returned: [UInt8] = [0x00]
        switch opcode {
        case 0x0406:  // Disconnect: Command Status (§7.7.15)
            event([0x0F, 4, 0x00, 1, bytes[0], bytes[1]])
            return
        case 0x2002: returned += [27, 0, 8]  // LE Read Buffer Size: 27-byte packets, 8 of them
        case 0x2003: returned += [0x01, extendedAdvertising ? 0x10 : 0x00, 0, 0, 0, 0, 0, 0]  // bit 0, bit 12
        case 0x203B: returned = advertisingSets.map { [0x00, $0] } ?? [HCIStatusCode.unknownCommand]
        case 0x2036: returned += [0x00]  // Selected_TX_Power
        default: break
        }
        event([0x0E, UInt8(3 + returned.count), 1, bytes[0], bytes[1]] + returned)
    }
}
