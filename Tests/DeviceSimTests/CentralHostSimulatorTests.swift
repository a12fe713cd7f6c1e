import BLEHost
import BLEWire
import ProtocolSpecs
import Testing
@testable import DeviceSim

/// BLEHost's central against the simulator's virtual controller, in process and on
/// simulated time: scanning, selection, connection, GATT discovery, subscription, reads,
/// notifications, and reconnection after a scripted drop.
@Suite struct CentralHostSimulatorTests {
    final class Recorder: CentralHostDelegate {
        var values: [(address: BDAddress, uuid: BluetoothUUID, kind: CharacteristicValueKind, bytes: [UInt8], time: Double)] = []
        var events: [CentralEvent] = []
        var advertisers: Set<BDAddress> = []

        func central(_ host: CentralHost, advertisement data: RawSpan, from address: BDAddress, rssi: Int8, at time: Double) {
            advertisers.insert(address)
        }
        func central(_ host: CentralHost, value: RawSpan, of characteristic: BluetoothUUID, kind: CharacteristicValueKind,
                     from peer: CentralPeer, at time: Double) {
            values.append((peer.address, characteristic, kind, value.withUnsafeBytes { Array($0) }, time))
        }
        func central(_ host: CentralHost, event: CentralEvent, at time: Double) { events.append(event) }

        var readyPeers: [CentralPeer] { events.compactMap { if case .ready(let peer, _, _) = $0 { peer } else { nil } } }
        func subscriptions(of address: BDAddress) -> [BluetoothUUID] {
            for case .ready(let peer, let subscribed, _) in events where peer.address == address { return subscribed }
            return []
        }
    }

    static let wanted: Set<BluetoothUUID> = [.heartRateService, .runningSpeedAndCadenceService]

    /// Runs BLEHost's central on scenario `name` for `seconds`; with `capture`, records its
    /// HCI traffic there as `gaitway gateway --btsnoop` does.
    func run(_ name: String, seconds: Double, configuration: CentralConfiguration = CentralConfiguration(wantedServices: wanted),
             faults: [(VirtualLinkFault, Double)] = [], capture: HCICaptureFile? = nil) throws -> (Simulation, CentralHost, Recorder) {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate(name)), options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let controller = VirtualController(configuration: .init(seed: 7), peripherals: simulation.devices)
        for (fault, time) in faults { controller.schedule(fault, at: time) }
        let transport = VirtualControllerTransport(controller: controller, pace: .virtual)
        let host = CentralHost(transport: transport, configuration: configuration, clock: { transport.now })
        host.wantsSubscription = { catalog.spec(forCharacteristic: $0) != nil }
        host.wantsRead = { $0 == .batteryLevel || $0 == .manufacturerNameString }
        let recorder = Recorder()
        host.delegate = recorder
        if let capture {
            host.link.onPacket = { type, direction, packet in
                capture.append(packet.withUnsafeBytes { Array($0) }, type: type, direction: direction, time: transport.now)
            }
        }
        try host.run(until: seconds)
        return (simulation, host, recorder)
    }

    @Test func connectsToEveryQuickstartDeviceAndReceivesTheirStreams() throws {
        let (simulation, host, recorder) = try run("quickstart", seconds: 20)
        let addresses = Set(simulation.devices.map(\.address))
        #expect(addresses.count == 4)  // insole pair + two wristbands
        #expect(recorder.advertisers.isSuperset(of: addresses))
        #expect(Set(recorder.readyPeers.map(\.address)) == addresses)
        #expect(host.statistics.connections == 4 && host.statistics.disconnections == 0)
        #expect(recorder.readyPeers.allSatisfy { $0.mtu >= 23 })

        for device in simulation.devices {
            let subscribed = Set(recorder.subscriptions(of: device.address))
            let streams = Set(recorder.values.filter { $0.address == device.address && $0.kind == .notification }.map(\.uuid))
            #expect(!subscribed.isEmpty, "\(device.address) subscribed to nothing")
            // Battery and temperature notify on change, at most once a minute: the streams must.
            #expect(streams.isSubset(of: subscribed), "\(device.address): notified \(streams), subscribed \(subscribed)")
            let stream: BluetoothUUID = subscribed.contains(.heartRateMeasurement) ? .heartRateMeasurement : .gaitwayInsoleStream
            #expect(streams.contains(stream), "\(device.address): no \(stream) notification")
        }
        // Every wristband's heart rate arrives about once a second once subscribed.
        for device in simulation.devices where recorder.subscriptions(of: device.address).contains(.heartRateMeasurement) {
            let beats = recorder.values.filter { $0.address == device.address && $0.uuid == .heartRateMeasurement }
            #expect(beats.count >= 10, "\(device.address): \(beats.count) heart rate notifications in 20 s")
            // Flags byte, then an 8- or 16-bit rate in a plausible range (Heart Rate Service §3.1).
            for beat in beats {
                let rate = beat.bytes[0] & 1 == 0 ? Int(beat.bytes[1]) : Int(beat.bytes[1]) | Int(beat.bytes[2]) << 8
                #expect((30...220).contains(rate))
            }
        }
        // Battery Level was read once per device that has one.
        let batteryReads = recorder.values.filter { $0.uuid == .batteryLevel && $0.kind == .read }
        #expect(!batteryReads.isEmpty && batteryReads.allSatisfy { $0.bytes.count == 1 && $0.bytes[0] <= 100 })
    }

    @Test func allowlistByAddressConnectsOnlyThatDevice() throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")), options: .init(catalog: catalog))
        let target = try Simulation(scenario: scenario, catalog: catalog).devices[0].address
        let (_, host, recorder) = try run("quickstart", seconds: 5,
                                           configuration: CentralConfiguration(allow: [.address(target)]))
        #expect(recorder.readyPeers.map(\.address) == [target])
        #expect(host.statistics.connections == 1)
        // Devices it does not connect to are still heard.
        #expect(recorder.advertisers.count == 4)
    }

    @Test func maxConnectionsIsRespected() throws {
        let (_, host, recorder) = try run("quickstart", seconds: 5,
                                           configuration: CentralConfiguration(wantedServices: Self.wanted, maxConnections: 2))
        #expect(host.peers.count <= 2)
        #expect(recorder.readyPeers.count == 2)
    }

    @Test func reconnectsAfterADroppedLink() throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")), options: .init(catalog: catalog))
        let band = try Simulation(scenario: scenario, catalog: catalog).devices[2].address
        let (_, host, recorder) = try run("quickstart", seconds: 20,
                                           configuration: CentralConfiguration(allow: [.address(band)], reconnectBackoff: 1...8),
                                           faults: [(.terminate(band, reason: 0x13), 8)])
        #expect(host.statistics.disconnections == 1)
        #expect(host.statistics.connections == 2)
        #expect(recorder.readyPeers.count == 2)
        // Notifications resume after the reconnection.
        let lastDisconnect = recorder.events.lastIndex { if case .disconnected = $0 { true } else { false } }
        #expect(lastDisconnect != nil)
        let after = recorder.values.filter { $0.time > 12 && $0.uuid == .heartRateMeasurement }
        #expect(!after.isEmpty)
    }
}

/// The kernel-managed mode (`bluez:hciN`): the central scans through the HCI transport
/// without setting the controller up, and runs GATT over ATT bearers. Here the bearer is
/// the simulated device's own GATT server in process (on a board, an L2CAP socket on CID 4).
@Suite struct CentralHostBearerTests {
    /// An ATT bearer straight to a simulated device's firmware.
    final class FirmwareBearer: ATTBearer {
        let device: any VirtualPeripheral
        let clock: () -> Double
        let handle = ConnectionHandle(0x0040)
        var inbox: [[UInt8]] = []

        init(_ device: any VirtualPeripheral, central: BDAddress, clock: @escaping () -> Double) {
            self.device = device
            self.clock = clock
            device.connected(handle: handle, central: central, at: clock())
        }

        func send(_ pdu: [UInt8]) throws(TransportError) {
            if let response = device.attributeRequest(pdu, handle: handle, at: clock()) { inbox.append(response) }
        }

        func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
            if inbox.isEmpty {
                device.advance(to: clock())
                inbox = device.dequeueOutgoing(handle: handle, upTo: clock(), limit: 16)
            }
            guard !inbox.isEmpty else { return 0 }
            let pdu = inbox.removeFirst()
            pdu.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: min(pdu.count, buffer.count)) }
            return min(pdu.count, buffer.count)
        }

        func close() {}
    }

    /// Records the opcodes of the commands the host sends.
    final class CommandLog: HCITransport {
        let inner: any HCITransport
        var opcodes: [UInt16] = []
        init(_ inner: any HCITransport) { self.inner = inner }
        func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
            try inner.read(into: buffer, timeout: timeout)
        }
        func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
            var framer = H4Framer()
            try? framer.feed(RawSpan(_unsafeBytes: bytes)) { (type: HCIPacketType, packet: RawSpan) throws(WireError) in
                if type == .command { opcodes.append(UInt16(packet.unsafeLoad(fromByteOffset: 0, as: UInt8.self))
                    | UInt16(packet.unsafeLoad(fromByteOffset: 1, as: UInt8.self)) << 8) }
            }
            try inner.write(bytes)
        }
        func close() { inner.close() }
    }

    /// Quickstart behind a virtual controller the kernel has brought up: the event masks
    /// (extended advertising reports included) are set before any socket of ours is open.
    static func kernelManagedQuickstart() throws -> (catalog: ProtocolCatalog, simulation: Simulation,
                                                     virtual: VirtualControllerTransport) {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")), options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let controller = VirtualController(configuration: .init(seed: 7), peripherals: simulation.devices)
        controller.receive(hostPacket: .command, HCICommand.setEventMask(0x2000_0000_0000_9FFF).encoded)
        controller.receive(hostPacket: .command, HCICommand.leSetEventMask(0x1FFF).encoded)
        _ = controller.takeOutgoing()
        return (catalog, simulation, VirtualControllerTransport(controller: controller, pace: .virtual))
    }

    @Test func scansWithoutSettingUpTheControllerAndRunsGATTOverBearers() throws {
        let (catalog, simulation, virtual) = try Self.kernelManagedQuickstart()
        let transport = CommandLog(virtual)
        var opened: [BDAddress] = []
        let connector: ATTBearerConnector = { address, _ in
            opened.append(address)
            let device = try #require(simulation.devices.first { $0.address == address })
            return FirmwareBearer(device, central: BDAddress(rawValue: 0xC0FFEE), clock: { virtual.now })
        }
        let host = CentralHost(transport: transport, configuration: CentralConfiguration(allow: [.service(.heartRateService)]),
                               connector: connector, clock: { virtual.now })
        host.wantsSubscription = { catalog.spec(forCharacteristic: $0) != nil }
        let recorder = CentralHostSimulatorTests.Recorder()
        host.delegate = recorder
        try host.run(until: 15)

        #expect(host.isKernelManaged)
        // No Reset, no event masks, no LE Create Connection: the kernel owns those.
        let forbidden: Set<UInt16> = [HCIOpcode.reset.rawValue, HCIOpcode.setEventMask.rawValue,
                                      HCIOpcode.leCreateConnection.rawValue, HCIOpcode.leExtendedCreateConnection.rawValue]
        #expect(transport.opcodes.allSatisfy { !forbidden.contains($0) }, "\(transport.opcodes)")
        let wristbands = Set(simulation.devices.filter { !$0.spec.isInsole }.map(\.address))
        #expect(Set(opened) == wristbands)
        #expect(Set(recorder.readyPeers.map(\.address)) == wristbands)
        for band in wristbands {
            #expect(recorder.subscriptions(of: band).contains(.heartRateMeasurement))
            let rates = recorder.values.filter { $0.address == band && $0.uuid == .heartRateMeasurement }
            #expect(rates.count >= 8, "\(band): \(rates.count) heart rate notifications")
        }
    }
}

/// A controller that also sends garbage: bad H4 indicators, a vendor event, an event too
/// short for its code, ACL for a handle that does not exist and a truncated ATT PDU. The
/// host counts them and goes on receiving.
@Suite struct CentralHostRobustnessTests {
    final class NoisyTransport: HCITransport {
        let inner: VirtualControllerTransport
        var injected = 0
        var nextNoise = 2.0
        init(_ inner: VirtualControllerTransport) { self.inner = inner }

        static let noise: [[UInt8]] = [
            [0x07, 0x00, 0xFF],                                  // not an H4 indicator
            [0x04, 0xFF, 0x03, 0x01, 0x02, 0x03],                // vendor-specific event
            [0x04, 0x05, 0x01, 0x00],                            // Disconnection Complete, 1 of 4 bytes
            [0x02, 0x77, 0x07, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x1B, 0x03, 0x00],  // ACL on handle 0x777
            [0x02, 0x01, 0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x1B],              // ATT notification cut short
        ]

        func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
            if inner.now >= nextNoise, injected < Self.noise.count * 3 {
                let bytes = Self.noise[injected % Self.noise.count]
                injected += 1
                nextNoise = inner.now + 0.5
                bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                return bytes.count
            }
            return try inner.read(into: buffer, timeout: timeout)
        }
        func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) { try inner.write(bytes) }
        func close() { inner.close() }
    }

    @Test func garbageFromTheControllerIsCountedAndSurvived() throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")), options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let controller = VirtualController(configuration: .init(seed: 7), peripherals: simulation.devices)
        let virtual = VirtualControllerTransport(controller: controller, pace: .virtual)
        let transport = NoisyTransport(virtual)
        let host = CentralHost(transport: transport,
                               configuration: CentralConfiguration(wantedServices: CentralHostSimulatorTests.wanted),
                               clock: { virtual.now })
        host.wantsSubscription = { catalog.spec(forCharacteristic: $0) != nil }
        let recorder = CentralHostSimulatorTests.Recorder()
        host.delegate = recorder
        try host.run(until: 12)
        #expect(transport.injected == 15)
        #expect(host.statistics.malformedPackets + host.statistics.unexpectedPackets >= 9, "\(host.statistics)")
        #expect(host.link.malformedBytes > 0)
        #expect(recorder.readyPeers.count == 4)
        let late = recorder.values.filter { $0.time > 9 && $0.uuid == .heartRateMeasurement }
        #expect(late.count >= 4, "heart rates after the noise: \(late.count)")
    }
}
