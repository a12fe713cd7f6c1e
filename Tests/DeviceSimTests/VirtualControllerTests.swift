import BLEWire
import Testing
@testable import DeviceSim

@Suite struct VirtualControllerTests {
    static let bandAddress = BDAddress("F6:00:00:00:00:01")!

    // MARK: A whole session, PDU by PDU

    @Test func scriptedHostSession() throws {
        let band = HeartRateBandDouble(address: Self.bandAddress, advertisingInterval: 0.1, measurementPeriod: 0.01)
        let controller = VirtualController(peripherals: [band])
        let host = ScriptedHost(controller)

        // Start-up.
        host.send(.reset)
        host.sendRaw(.command, [0x02, 0x10, 0x00])  // Read Local Supported Commands
        host.send(.readLocalVersionInformation)
        host.send(.leReadLocalSupportedFeatures)
        host.send(.leReadBufferSizeV2)
        host.collect()
        #expect(host.commandComplete(.reset)?.status == 0)
        let commands = try #require(host.commandComplete(.readLocalSupportedCommands))
        #expect(commands.status == 0 && commands.parameters.count == 64)
        #expect(commands.parameters[26] & 1 << 4 != 0)  // LE Create Connection (octet 26 bit 4)
        #expect(commands.parameters[37] & 1 << 7 != 0)  // LE Extended Create Connection
        #expect(host.commandComplete(.readLocalVersionInformation)?.parameters.first == 0x0D)  // HCI 5.4
        let features = try #require(host.commandComplete(.leReadLocalSupportedFeatures)).parameters
        #expect(features[1] & 0x10 != 0)  // bit 12: LE Extended Advertising
        let buffers = try #require(host.commandComplete(.leReadBufferSizeV2)).parameters
        #expect(buffers == [251, 0, 16, 0, 0, 0])
        host.powerOn()

        // Scan (legacy, active) and see the band's ADV_IND and SCAN_RSP.
        host.send(.leSetScanParameters(LEScanParameters(scanType: .active, scanInterval: 0x60, scanWindow: 0x60)))
        host.send(.leSetScanEnable(enable: true, filterDuplicates: true))
        _ = host.advance(by: 0.35)
        var reports: [(LEAdvertisingEventType, [UInt8], Int8)] = []
        for (event, packet) in host.events {
            guard case .leAdvertisingReport(let list) = event else { continue }
            try list.forEach(in: packet.bytes.span.bytes) { report, data in
                #expect(report.address == Self.bandAddress)
                reports.append((report.eventType, data.withUnsafeBytes { Array($0) }, report.rssi))
            }
        }
        // Duplicate filtering: one of each although ~3 advertising events happened.
        #expect(reports.map(\.0) == [.advInd, .scanResponse])
        #expect(reports.first?.1 == band.advertisingData)
        #expect(reports.allSatisfy { (-95 ... -40).contains(Int($0.2)) })
        host.send(.leSetScanEnable(enable: false, filterDuplicates: false))

        // Connect.
        let handle = try #require(host.connect(to: Self.bandAddress, interval: 24))  // 30 ms
        #expect(host.commandStatus(.leCreateConnection) == 0)
        #expect(band.connectedAt.count == 1)
        #expect(!band.isAdvertising)
        let dataLengthChanged = host.events.contains { if case .leDataLengthChange(let change) = $0.event { change.maxRxOctets == 251 } else { false } }
        _ = host.advance(by: 0.01)
        #expect(dataLengthChanged || host.events.contains { if case .leDataLengthChange = $0.event { true } else { false } })

        // ATT: MTU, discovery, subscription.
        host.sendATT(handle: handle, [0x02, 0xF7, 0x00])
        #expect(host.awaitFrame(handle: handle) == [0x03, 0xF7, 0x00])
        host.sendATT(handle: handle, [0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28])
        #expect(host.awaitFrame(handle: handle) == [0x11, 0x06, 0x01, 0x00, 0x03, 0x00, 0x00, 0x18, 0x04, 0x00, 0x09, 0x00, 0x0D, 0x18])
        host.sendATT(handle: handle, [0x08, 0x04, 0x00, 0x09, 0x00, 0x03, 0x28])
        #expect(host.awaitFrame(handle: handle) == [0x09, 0x07, 0x05, 0x00, 0x10, 0x06, 0x00, 0x37, 0x2A,
                                                      0x08, 0x00, 0x02, 0x09, 0x00, 0x38, 0x2A])
        host.sendATT(handle: handle, [0x04, 0x07, 0x00, 0x07, 0x00])
        #expect(host.awaitFrame(handle: handle) == [0x05, 0x01, 0x07, 0x00, 0x02, 0x29])
        host.sendATT(handle: handle, [0x12, 0x07, 0x00, 0x01, 0x00])
        #expect(host.awaitFrame(handle: handle) == [0x13])
        #expect(band.subscribed)
        #expect(host.completedPackets[handle] == 5)  // every ACL packet credited back

        // Notifications at the connection-event cadence: 100 Hz measurements, 30 ms events.
        let before = host.frames.count
        _ = host.advance(by: 1.0)
        let notifications = host.frames[before...].filter { $0.handle == handle && $0.payload.first == 0x1B }
        #expect(notifications.count >= 95)
        let times = Set(notifications.map(\.time))
        let interval = try #require(controller.connectionInterval(handle: handle))
        #expect(abs(interval - 0.030) < 1e-12)
        let sorted = times.sorted()
        for (earlier, later) in zip(sorted, sorted.dropFirst()) {
            let events = (later - earlier) / interval
            #expect(abs(events - events.rounded()) < 1e-6, "notifications only at connection events")
        }
        // About 3 measurements per 30 ms event.
        #expect(Double(notifications.count) / Double(times.count) > 2.5)

        // Disconnect: the host hears 0x16, the peripheral 0x13.
        host.send(.disconnect(handle: handle, reason: 0x13))
        _ = host.advance(by: 0.1)
        #expect(host.commandStatus(.disconnect) == 0)
        let disconnection = host.events.compactMap { if case .disconnectionComplete(let d) = $0.event { d } else { nil } }
        #expect(disconnection.map(\.reason) == [0x16])
        #expect(disconnection.first?.connectionHandle == handle)
        #expect(band.disconnectReasons == [0x13])
        #expect(controller.connectionHandles.isEmpty)
        #expect(controller.statistics.malformedHostPackets == 0)
    }

    // MARK: Extended scanning and connecting

    @Test func extendedScanAndEnhancedConnectionComplete() throws {
        let band = HeartRateBandDouble(address: Self.bandAddress, advertisingInterval: 0.05)
        let controller = VirtualController(peripherals: [band])
        let host = ScriptedHost(controller)
        // LE event mask with Enhanced Connection Complete [v1] (bit 9) and Extended
        // Advertising Report (bit 12) but not [v2].
        host.powerOn(leEventMask: 0x0000_0000_0000_1FFF)
        host.send(.leSetExtendedScanParameters(LEExtendedScanParameters(
            le1M: LEScanPHYParameters(scanType: .passive, scanInterval: 0x30, scanWindow: 0x30))))
        host.send(.leSetExtendedScanEnable(LEExtendedScanEnable(enable: true, filterDuplicates: .disabled)))
        _ = host.advance(by: 0.5)
        var eventTypes: [UInt16] = []
        for (event, packet) in host.events {
            guard case .leExtendedAdvertisingReport(let list) = event else { continue }
            try list.forEach(in: packet.bytes.span.bytes) { report, _ in eventTypes.append(report.eventType) }
        }
        // ~10 advertising events in 0.5 s at 50 ms + advDelay; passive: no scan responses.
        #expect((8...11).contains(eventTypes.count))
        #expect(Set(eventTypes) == [0x13])  // legacy ADV_IND as an extended report
        host.send(.leSetExtendedScanEnable(LEExtendedScanEnable(enable: false)))

        let connection = LEConnectionParameters(intervalMin: 40, intervalMax: 56, maxLatency: 0, supervisionTimeout: 400)
        host.send(.leExtendedCreateConnection(LEExtendedCreateConnection(
            ownAddressType: 1, peerAddressType: 1, peerAddress: Self.bandAddress,
            le1M: LEInitiatingPHYParameters(scanInterval: 0x60, scanWindow: 0x60, connection: connection))))
        _ = host.advance(by: 0.2)
        let complete = try #require(host.events.compactMap {
            if case .leEnhancedConnectionComplete(let complete) = $0.event { complete } else { nil }
        }.first)
        #expect(complete.status == 0 && complete.role == 0 && complete.connectionInterval == 40)
        #expect(complete.supervisionTimeout == 400 && !complete.isV2)
    }

    // MARK: Flow control

    @Test func numberOfCompletedPacketsCreditsEveryHostPacket() throws {
        let band = HeartRateBandDouble(address: Self.bandAddress)
        let controller = VirtualController(configuration: VirtualControllerConfiguration(leACLDataPacketCount: 4),
                                           peripherals: [band])
        let host = ScriptedHost(controller)
        host.powerOn()
        let handle = try #require(host.connect(to: Self.bandAddress, interval: 6))
        // 10 Read Requests, each split into 2 ACL fragments of 4 and 3 bytes: 20 packets,
        // five times the 4 buffers announced (the host should not, but the controller
        // copes and counts it).
        for _ in 0..<10 { host.sendL2CAP(handle: handle, channel: 4, [0x0A, 0x09, 0x00], fragment: 4) }
        _ = host.advance(by: 0.5)
        #expect(host.completedPackets[handle] == 20)
        #expect(controller.statistics.hostPacketsCompleted == 20)
        #expect(controller.statistics.bufferOverruns > 0)
        let reads = host.frames.filter { $0.handle == handle && $0.payload == [0x0B, 0x02] }
        #expect(reads.count == 10)
        // Credits come back only as packets are transmitted: no more than the exchanges of
        // one event (8) per Number Of Completed Packets event.
        let credits = host.events.compactMap { entry -> Int? in
            guard case .numberOfCompletedPackets = entry.event else { return nil }
            return Int(entry.packet.bytes[5]) | Int(entry.packet.bytes[6]) << 8
        }
        #expect(credits.allSatisfy { $0 <= 8 } && credits.reduce(0, +) == 20)
    }

    // MARK: Many links

    @Test func severalConnectionsAtOnce() throws {
        let bands = (1...12).map { HeartRateBandDouble(address: BDAddress(rawValue: 0xF6_00_00_00_10_00 + UInt64($0)),
                                                      advertisingInterval: 0.05, measurementPeriod: 0.1) }
        let controller = VirtualController(peripherals: bands)
        let host = ScriptedHost(controller)
        host.powerOn()
        var handles: [ConnectionHandle] = []
        for band in bands { handles.append(try #require(host.connect(to: band.address, interval: 16))) }
        #expect(Set(handles).count == 12)
        #expect(controller.connectionHandles.count == 12)
        for handle in handles { host.sendATT(handle: handle, [0x12, 0x07, 0x00, 0x01, 0x00]) }
        _ = host.advance(by: 2.0)
        #expect(bands.allSatisfy { $0.subscribed })
        for handle in handles {
            let count = host.frames.filter { $0.handle == handle && $0.payload.first == 0x1B }.count
            #expect((17...21).contains(count), "handle \(handle.rawValue): \(count) notifications in ~2 s at 10 Hz")
        }
        #expect(controller.statistics.notificationsDelivered == host.frames.filter { $0.payload.first == 0x1B }.count)
    }

    @Test func connectionLimitIsEnforced() throws {
        let bands = (1...3).map { HeartRateBandDouble(address: BDAddress(rawValue: 0xF6_00_00_00_20_00 + UInt64($0))) }
        let controller = VirtualController(configuration: VirtualControllerConfiguration(maximumConnections: 2), peripherals: bands)
        let host = ScriptedHost(controller)
        host.powerOn()
        _ = try #require(host.connect(to: bands[0].address))
        _ = try #require(host.connect(to: bands[1].address))
        #expect(host.connect(to: bands[2].address) == nil)
        #expect(host.commandStatus(.leCreateConnection) == 0x09)
    }

    // MARK: Faults

    @Test func silencedLinkEndsInSupervisionTimeout() throws {
        let band = HeartRateBandDouble(address: Self.bandAddress)
        let controller = VirtualController(peripherals: [band])
        let host = ScriptedHost(controller)
        host.powerOn()
        let handle = try #require(host.connect(to: Self.bandAddress, interval: 24, timeout: 100))  // 1 s
        let silencedAt = controller.now + 0.5
        controller.schedule(.silence(Self.bandAddress, duration: nil), at: silencedAt)
        _ = host.advance(by: 3)
        let disconnection = try #require(host.events.compactMap { entry -> (HCIEvent.DisconnectionComplete, Double)? in
            if case .disconnectionComplete(let d) = entry.event { (d, entry.packet.time) } else { nil }
        }.first)
        #expect(disconnection.0.connectionHandle == handle && disconnection.0.reason == 0x08)
        #expect(disconnection.1 >= silencedAt + 0.97 && disconnection.1 <= silencedAt + 1.04)
        #expect(band.disconnectReasons == [0x08])
        #expect(controller.statistics.supervisionTimeouts == 1)
    }

    @Test func scriptedTerminationAndShortSilence() throws {
        let band = HeartRateBandDouble(address: Self.bandAddress, measurementPeriod: 0.05)
        let controller = VirtualController(peripherals: [band])
        let host = ScriptedHost(controller)
        host.powerOn()
        let handle = try #require(host.connect(to: Self.bandAddress, interval: 24, timeout: 100))
        host.sendATT(handle: handle, [0x12, 0x07, 0x00, 0x01, 0x00])
        // A 300 ms silence (shorter than the 1 s timeout) delays notifications, loses none.
        controller.schedule(.silence(Self.bandAddress, duration: 0.3), at: controller.now + 0.5)
        controller.schedule(.terminate(Self.bandAddress, reason: 0x13), at: controller.now + 2.0)
        _ = host.advance(by: 2.5)
        let notifications = host.frames.filter { $0.handle == handle && $0.payload.first == 0x1B }
        #expect(notifications.count == band.measurementsQueued)
        let gaps = zip(notifications, notifications.dropFirst()).map { $1.time - $0.time }
        #expect((gaps.max() ?? 0) >= 0.27)
        let reasons = host.events.compactMap { if case .disconnectionComplete(let d) = $0.event { d.reason } else { nil } }
        #expect(reasons == [0x13])
        #expect(band.disconnectReasons == [0x16])
    }

    @Test func packetLossDelaysButDoesNotLose() throws {
        let band = HeartRateBandDouble(address: Self.bandAddress, measurementPeriod: 0.02)
        let controller = VirtualController(configuration: VirtualControllerConfiguration(packetLossRate: 0.3, seed: 7),
                                           peripherals: [band])
        let host = ScriptedHost(controller)
        host.powerOn()
        let handle = try #require(host.connect(to: Self.bandAddress, interval: 24, timeout: 300))
        host.sendATT(handle: handle, [0x12, 0x07, 0x00, 0x01, 0x00])
        _ = host.advance(by: 3)
        band.advance(to: controller.now)
        let received = host.frames.filter { $0.handle == handle && $0.payload.first == 0x1B }.map(\.payload)
        #expect(controller.statistics.retransmissions > 10)
        // In order, no gaps: rates count up 60, 61, ...
        #expect(received.map { $0[4] } == (0..<received.count).map { UInt8(60 + $0 % 40) })
        #expect(received.count >= band.measurementsQueued - 10)
    }

    // MARK: Unknown and malformed input

    @Test func unknownCommandsGetStatusUnknown() {
        let controller = VirtualController()
        let host = ScriptedHost(controller)
        // HCI_Inquiry (BR/EDR), LE Set Advertising Parameters, a vendor command.
        host.sendRaw(.command, [0x01, 0x04, 0x05, 0x33, 0x8B, 0x9E, 0x08, 0x00])
        host.sendRaw(.command, [0x06, 0x20, 0x0F] + [UInt8](repeating: 0, count: 15))
        host.sendRaw(.command, [0x01, 0xFC, 0x00])
        host.collect()
        let statuses = host.events.compactMap { entry -> UInt8? in
            if case .commandComplete(let c) = entry.event { c.status } else { nil }
        }
        #expect(statuses == [0x01, 0x01, 0x01])
        #expect(controller.statistics.unknownCommands == 3)
    }

    @Test func malformedHostPacketsAreAnsweredOrCountedNeverFatal() throws {
        let controller = VirtualController(peripherals: [HeartRateBandDouble(address: Self.bandAddress)])
        let host = ScriptedHost(controller)
        host.powerOn()
        let handle = try #require(host.connect(to: Self.bandAddress))
        let before = controller.statistics.malformedHostPackets
        host.sendRaw(.command, [0x03])                        // no opcode: counted, unanswered
        host.sendRaw(.command, [0x01, 0x20, 0x02, 0x00])      // LE Set Event Mask, length 2 != 8 declared... short
        host.sendRaw(.command, [0x0B, 0x20, 0x07, 0x07, 0x10, 0, 0x10, 0, 0, 0])  // scan type 7: invalid
        host.sendRaw(.aclData, [0x01])                        // truncated ACL header
        host.sendRaw(.aclData, [0x40, 0x00, 0x09, 0x00, 0x01])  // length says 9, 1 present
        host.sendRaw(.aclData, [0x77, 0x07, 0x01, 0x00, 0x00])  // unknown handle
        host.sendRaw(.synchronousData, [0x00, 0x00, 0x00])
        // L2CAP continuation without a start, then an L2CAP length that overruns.
        var writer = ByteWriter()
        ACLDataHeader.encode(handle: handle, boundary: .continuing, data: [1, 2, 3], into: &writer)
        host.sendRaw(.aclData, writer.bytes)
        writer = ByteWriter()
        ACLDataHeader.encode(handle: handle, boundary: .firstNonFlushable, data: [0x01, 0x00, 0x04, 0x00, 0x0A, 0x03], into: &writer)
        host.sendRaw(.aclData, writer.bytes)
        // Junk on the signalling and SMP channels, and a real pairing request.
        host.sendL2CAP(handle: handle, channel: 5, [0x12, 0x01, 0x08, 0x00, 0x06, 0x00, 0x06, 0x00, 0x00, 0x00, 0xC8, 0x00])
        host.sendL2CAP(handle: handle, channel: 5, [0xFF])
        host.sendL2CAP(handle: handle, channel: 6, [0x01, 0x03, 0x00, 0x01, 0x10, 0x07, 0x07])
        _ = host.advance(by: 0.3)

        let statuses = host.events.compactMap { entry -> (HCIOpcode, UInt8)? in
            if case .commandComplete(let c) = entry.event, let status = c.status { (c.opcode, status) } else { nil }
        }
        #expect(statuses.contains { $0 == (.leSetEventMask, 0x12) })
        #expect(statuses.contains { $0 == (.leSetScanParameters, 0x12) })
        #expect(controller.statistics.malformedHostPackets - before >= 5)
        #expect(controller.statistics.unknownHandlePackets == 1)
        #expect(controller.statistics.l2capErrors >= 2)
        // Signalling: Command Reject to the central's parameter update request.
        #expect(host.frames.contains { $0.channel == 5 && $0.payload.prefix(2) == [0x01, 0x01] })
        // SMP: Pairing Failed, Pairing Not Supported.
        #expect(host.frames.contains { $0.channel == 6 && $0.payload == [0x05, 0x05] })
        // The link still works.
        host.sendATT(handle: handle, [0x0A, 0x03, 0x00])
        #expect(host.awaitFrame(handle: handle) == [0x0B] + Array("Band".utf8))
    }

    // MARK: Determinism

    @Test func sameSeedSameBytes() throws {
        func run() -> [[UInt8]] {
            let bands = (1...5).map { HeartRateBandDouble(address: BDAddress(rawValue: 0xF6_00_00_00_30_00 + UInt64($0)),
                                                         advertisingInterval: 0.03, measurementPeriod: 0.05) }
            let controller = VirtualController(configuration: VirtualControllerConfiguration(packetLossRate: 0.1, seed: 42),
                                               peripherals: bands)
            let host = ScriptedHost(controller)
            host.powerOn()
            host.send(.leSetScanParameters(LEScanParameters(scanType: .active, scanInterval: 0x60, scanWindow: 0x30)))
            host.send(.leSetScanEnable(enable: true, filterDuplicates: false))
            _ = host.advance(by: 0.5)
            host.send(.leSetScanEnable(enable: false, filterDuplicates: false))
            if let handle = host.connect(to: bands[2].address) { host.sendATT(handle: handle, [0x12, 0x07, 0x00, 0x01, 0x00]) }
            _ = host.advance(by: 1)
            return host.packets.map { $0.bytes + [UInt8(truncatingIfNeeded: Int($0.time * 1e6))] }
        }
        #expect(run() == run())
    }
}
