import Testing
@testable import BLEWire

/// Frames Bumble's captured H4 stream and returns every event packet (without indicator)
/// with its stream offset.
private func bumbleEvents() throws -> [(bytes: [UInt8], offset: Int)] {
    var framer = H4Framer()
    var events: [(bytes: [UInt8], offset: Int)] = []
    let stream = BumbleCapture.h4Stream
    try framer.feed(stream.span.bytes) { type, packet, offset in
        if type == .event { events.append((packet.copyBytes(), offset)) }
    }
    return events
}

private func parse(_ hex: String) throws -> (HCIEvent, [UInt8]) {
    let bytes = [UInt8](hex: hex)!
    return (try HCIEvent(parsing: bytes.span.bytes), bytes)
}

private func encoded(_ body: (inout ByteWriter) -> Void) -> [UInt8] {
    var writer = ByteWriter()
    body(&writer)
    return writer.bytes
}

@Suite struct HCIEventTests {
    // MARK: A real controller's events (Bumble tests/hci_data_001.bin, see BumbleCapture)

    @Test func everyEventOfTheBumbleCaptureParsesAndReencodesByteForByte() throws {
        let events = try bumbleEvents()
        #expect(events.count == 101)
        var kinds: [String: Int] = [:]
        for (bytes, offset) in events {
            let event = try HCIEvent(parsing: bytes.span.bytes, base: offset)
            let key: String
            switch event {
            case .commandComplete: key = "commandComplete"
            case .commandStatus: key = "commandStatus"
            case .leAdvertisingReport: key = "advertisingReport"
            case .numberOfCompletedPackets: key = "numberOfCompletedPackets"
            case .leConnectionComplete: key = "connectionComplete"
            case .leConnectionUpdateComplete: key = "connectionUpdateComplete"
            case .leMetaOther: key = "leMetaOther"
            default: key = "other"
            }
            kinds[key, default: 0] += 1
            var writer = ByteWriter()
            event.encode(into: &writer, copyingFrom: bytes.span.bytes)
            #expect(writer.bytes == bytes, "re-encoding \(bytes.hexString)")
        }
        #expect(kinds == ["commandComplete": 50, "advertisingReport": 28, "commandStatus": 3,
                          "numberOfCompletedPackets": 16, "connectionComplete": 1, "connectionUpdateComplete": 1,
                          "leMetaOther": 2])
    }

    @Test func commandCompleteReturnParametersFromTheBumbleCapture() throws {
        // Read Local Supported Features: 0e 0c | 01 | 03 10 | 00 | 00 00 00 00 60 00 00 00
        // (bit 37 "BR/EDR Not Supported" and bit 38 "LE Supported (Controller)").
        let (features, featuresBytes) = try parse("0e0c010310000000000060000000")
        guard case .commandComplete(let complete) = features else { Issue.record("not command complete"); return }
        #expect(complete.opcode == .readLocalSupportedFeatures)
        #expect(complete.status == 0)
        #expect(complete.numHCICommandPackets == 1)
        #expect(complete.returnParameters == 5..<14)
        #expect(try complete.decode(LocalSupportedFeatures.self, in: featuresBytes.span.bytes)
            == LocalSupportedFeatures(lmpFeatures: 0x0000_0060_0000_0000))

        // Read Local Version Information: HCI/LMP version 0x0a (5.1), company 0x05f1.
        let (version, versionBytes) = try parse("0e0c010110000a00000af105ffff")
        guard case .commandComplete(let versionComplete) = version else { Issue.record("not command complete"); return }
        #expect(try versionComplete.decode(LocalVersionInformation.self, in: versionBytes.span.bytes)
            == LocalVersionInformation(hciVersion: 0x0A, hciSubversion: 0, lmpVersion: 0x0A,
                                       companyIdentifier: 0x05F1, lmpSubversion: 0xFFFF))
        // Asking for the wrong layout names the opcode field.
        #expect(throws: WireError(.hci, .invalidValue(field: "Command_Opcode", value: 0x1001), at: 3)) {
            _ = try versionComplete.decode(LocalBDAddress.self, in: versionBytes.span.bytes)
        }

        // Read BD_ADDR: all zero on this virtual controller.
        let (address, addressBytes) = try parse("0e0a01091000000000000000")
        guard case .commandComplete(let addressComplete) = address else { Issue.record("not command complete"); return }
        #expect(try addressComplete.decode(LocalBDAddress.self, in: addressBytes.span.bytes).address == BDAddress(rawValue: 0))

        // LE Read Buffer Size [v1]: 27-byte LE ACL buffers, 7 of them.
        let (buffer, bufferBytes) = try parse("0e07010220001b0007")
        guard case .commandComplete(let bufferComplete) = buffer else { Issue.record("not command complete"); return }
        #expect(try bufferComplete.decode(LEBufferSize.self, in: bufferBytes.span.bytes)
            == LEBufferSize(leACLDataPacketLength: 27, totalNumLEACLDataPackets: 7))

        // LE Read Local Supported Features: ff 49 01 00 ...
        let (leFeatures, leFeaturesBytes) = try parse("0e0c01032000ff49010000000000")
        guard case .commandComplete(let leComplete) = leFeatures else { Issue.record("not command complete"); return }
        let mask = try leComplete.decode(LELocalSupportedFeatures.self, in: leFeaturesBytes.span.bytes)
        #expect(mask.leFeatures == 0x0001_49FF)
        #expect(mask.supports(bit: 0) && mask.supports(bit: 8) && !mask.supports(bit: 9))
    }

    @Test func bumbleReturnParameterVectors() throws {
        // Bumble tests/hci_test.py `test_return_parameters`: Read BD_ADDR returning
        // 00 | 00 11 22 33 44 55, and the short error form 01 | 00 11 22 33 44.
        let ok = encoded { CommandComplete.encode(opcode: .readBDAddress, returnParameters: [UInt8](hex: "00001122334455")!, into: &$0) }
        guard case .commandComplete(let complete) = try HCIEvent(parsing: ok.span.bytes) else { Issue.record("parse"); return }
        #expect(try complete.decode(LocalBDAddress.self, in: ok.span.bytes).address == BDAddress("55:44:33:22:11:00"))

        let error = encoded { CommandComplete.encode(opcode: .readBDAddress, returnParameters: [UInt8](hex: "010011223344")!, into: &$0) }
        guard case .commandComplete(let failed) = try HCIEvent(parsing: error.span.bytes) else { Issue.record("parse"); return }
        #expect(failed.status == 0x01)
        #expect(throws: WireError(.hci, .truncated(field: "BD_ADDR", needed: 6, available: 5), at: 6)) {
            _ = try failed.decode(LocalBDAddress.self, in: error.span.bytes)
        }
    }

    @Test func advertisingReportFromTheBumbleCapture() throws {
        // An Apple device's ADV_IND: public address F0:18:98:AA:9E:48, flags + manufacturer
        // data (company 0x004c), RSSI 0xdf = -33 dBm.
        let (event, bytes) = try parse("3e1a02010000489eaa9818f00e0201060aff4c0010054c1ccde401df")
        guard case .leAdvertisingReport(let reports) = event else { Issue.record("not an advertising report"); return }
        #expect(reports.count == 1)
        var seen = 0
        try reports.forEach(in: bytes.span.bytes) { report, data in
            #expect(report.eventType == .advInd)
            #expect(report.knownAddressType == .publicDevice)
            #expect(report.address == BDAddress("F0:18:98:AA:9E:48"))
            #expect(report.rssi == -33)
            #expect(report.data == 13..<27)
            #expect(data.copyBytes() == [UInt8](hex: "0201060aff4c0010054c1ccde401")!)
            seen += 1
        }
        #expect(seen == 1)
        // Re-encoding from values gives the same packet.
        var reportValue: HCIEvent.LEAdvertisingReport?
        try reports.forEach(in: bytes.span.bytes) { report, _ in reportValue = report }
        let rebuilt = encoded {
            HCIEvent.LEAdvertisingReports.encode(reportValue!, data: [UInt8](hex: "0201060aff4c0010054c1ccde401")!, into: &$0)
        }
        #expect(rebuilt == bytes)
    }

    @Test func connectionEventsFromTheBumbleCapture() throws {
        // Command Status for LE Create Connection, then LE Connection Complete: central,
        // random peer FC:AC:44:BC:CF:F0, interval 0x28 (50 ms), timeout 0x2a (420 ms), CCA 7.
        #expect(try parse("0f0400010d20").0 == .commandStatus(CommandStatus(status: 0, numHCICommandPackets: 1,
                                                                              opcode: .leCreateConnection)))
        #expect(try parse("3e13010000000001f0cfbc44acfc280000002a0007").0 == .leConnectionComplete(
            HCIEvent.LEConnectionComplete(status: 0, connectionHandle: ConnectionHandle(0), role: 0, peerAddressType: 1,
                                          peerAddress: BDAddress("FC:AC:44:BC:CF:F0")!, connectionInterval: 0x28,
                                          peripheralLatency: 0, supervisionTimeout: 0x2A, centralClockAccuracy: 7)))
        // LE Channel Selection Algorithm (subevent 0x14) is not decoded: not an error.
        #expect(try parse("3e0414000000").0 == .leMetaOther(subevent: 0x14, parameters: 3..<6))
        // LE Connection Update Complete: interval 0x1b5, timeout 0x258 (6 s).
        #expect(try parse("3e0a03000000b50100005802").0 == .leConnectionUpdateComplete(
            HCIEvent.LEConnectionUpdateComplete(status: 0, connectionHandle: ConnectionHandle(0), connectionInterval: 0x01B5,
                                                peripheralLatency: 0, supervisionTimeout: 0x0258)))
        // Number Of Completed Packets: handle 0, one packet.
        let (completed, completedBytes) = try parse("13050100000100")
        guard case .numberOfCompletedPackets(let credits) = completed else { Issue.record("not NOCP"); return }
        var pairs: [[UInt16]] = []
        try credits.forEach(in: completedBytes.span.bytes) { pairs.append([$0.rawValue, $1]) }
        #expect(pairs == [[0, 1]])
    }

    @Test func leConnectionCompleteFromBtmon() throws {
        // btmon, https://rrbluetoothx.blogspot.com/2016/05/rr-bluetooth-gatttool-what-hci-commands.html:
        // "> HCI Event: LE Meta Event (0x3e) plen 19 / LE Connection Complete (0x01)
        // Handle: 71, Role: Master, Peer address: 34:B1:F7:D5:XX:XX, Connection interval:
        // 70.00 msec (0x0038), Supervision timeout: 420 msec (0x002a)".
        let h4 = [UInt8](hex: "04 3e 13 01 00 47 00 00 00 64 59 d5 f7 b1 34 38 00 00 00 2a 00 00")!
        let event = try HCIEvent(parsing: h4.span.bytes.extracting(1..<h4.count), base: 1)
        guard case .leConnectionComplete(let complete) = event else { Issue.record("not connection complete"); return }
        #expect(complete.connectionHandle == ConnectionHandle(71))
        #expect(complete.role == 0)
        #expect(complete.peerAddress == BDAddress("34:B1:F7:D5:59:64"))
        #expect(complete.connectionInterval == 0x38)
        #expect(complete.supervisionTimeout == 0x2A)
        #expect(Array(encoded { complete.encode(into: &$0) }) == Array(h4[1...]))
    }

    // MARK: Round trips of every event built from values

    static let peer = BDAddress("00:11:22:33:44:55")!

    static let fixedEvents: [HCIEvent] = [
        .disconnectionComplete(.init(status: 0, connectionHandle: ConnectionHandle(0x0040), reason: 0x13)),
        .encryptionChange(.init(status: 0, connectionHandle: ConnectionHandle(0x0040), encryptionEnabled: 1)),
        .commandStatus(.init(status: 0x0C, numHCICommandPackets: 2, opcode: .leExtendedCreateConnection)),
        .leConnectionComplete(.init(status: 0, connectionHandle: ConnectionHandle(1), role: 1, peerAddressType: 1, peerAddress: peer,
                                    connectionInterval: 3, peripheralLatency: 4, supervisionTimeout: 5,
                                    centralClockAccuracy: 6)),
        .leEnhancedConnectionComplete(.init(status: 0, connectionHandle: ConnectionHandle(2), role: 0, peerAddressType: 3,
                                            peerAddress: peer, localResolvablePrivateAddress: BDAddress("4A:00:00:00:00:01")!,
                                            peerResolvablePrivateAddress: BDAddress("5B:00:00:00:00:02")!,
                                            connectionInterval: 24, peripheralLatency: 0, supervisionTimeout: 72,
                                            centralClockAccuracy: 1)),
        .leEnhancedConnectionComplete(.init(status: 0, connectionHandle: ConnectionHandle(3), role: 1, peerAddressType: 0,
                                            peerAddress: peer, connectionInterval: 6, peripheralLatency: 2,
                                            supervisionTimeout: 100, centralClockAccuracy: 5,
                                            advertisingHandle: 0, syncHandle: 0xFFFF)),
        .leConnectionUpdateComplete(.init(status: 0, connectionHandle: ConnectionHandle(7), connectionInterval: 10,
                                          peripheralLatency: 3, supervisionTimeout: 5)),
        .leRemoteConnectionParameterRequest(.init(connectionHandle: ConnectionHandle(7), intervalMin: 6, intervalMax: 12,
                                                  maxLatency: 0, timeout: 200)),
        .leDataLengthChange(.init(connectionHandle: ConnectionHandle(7), maxTxOctets: 251, maxTxTime: 2120, maxRxOctets: 251,
                                  maxRxTime: 2120)),
        .lePHYUpdateComplete(.init(status: 0, connectionHandle: ConnectionHandle(7), txPHY: 2, rxPHY: 2)),
    ]

    @Test(arguments: fixedEvents)
    func fixedEventsRoundTrip(_ event: HCIEvent) throws {
        let empty: [UInt8] = []
        var writer = ByteWriter()
        event.encode(into: &writer, copyingFrom: empty.span.bytes)
        let bytes = writer.bytes
        #expect(Int(bytes[1]) == bytes.count - 2)
        #expect(try HCIEvent(parsing: bytes.span.bytes) == event)
        // Every shorter version (with a consistent length byte) is an error, never a crash.
        for cut in 2..<bytes.count {
            var prefix = Array(bytes[0..<cut])
            prefix[1] = UInt8(cut - 2)
            #expect(throws: WireError.self, "cut at \(cut)") { _ = try HCIEvent(parsing: prefix.span.bytes) }
        }
        // A byte too many is an error too.
        var longer = bytes + [0]
        longer[1] += 1
        #expect(throws: WireError(.hci, .trailingBytes(count: 1), at: bytes.count)) {
            _ = try HCIEvent(parsing: longer.span.bytes)
        }
    }

    @Test func enhancedConnectionCompleteVersionsUseTheirSubevents() {
        let empty: [UInt8] = []
        guard case .leEnhancedConnectionComplete(let v1) = Self.fixedEvents[4],
              case .leEnhancedConnectionComplete(let v2) = Self.fixedEvents[5] else { Issue.record("setup"); return }
        let v1Bytes = encoded { HCIEvent.leEnhancedConnectionComplete(v1).encode(into: &$0, copyingFrom: empty.span.bytes) }
        let v2Bytes = encoded { v2.encode(into: &$0) }
        #expect(v1Bytes[2] == 0x0A && v1Bytes.count == 2 + 31)
        #expect(v2Bytes[2] == 0x29 && v2Bytes.count == 2 + 34)
    }

    @Test func typedReturnParametersRoundTrip() throws {
        func check<R: HCICommandReturnParameters>(_ value: R) throws {
            let bytes = encoded { CommandComplete.encode(numHCICommandPackets: 5, returning: value, into: &$0) }
            guard case .commandComplete(let complete) = try HCIEvent(parsing: bytes.span.bytes) else {
                Issue.record("not command complete"); return
            }
            #expect(complete.opcode == value.opcode)
            #expect(complete.status == 0)
            #expect(complete.numHCICommandPackets == 5)
            #expect(try complete.decode(R.self, in: bytes.span.bytes) == value)
        }
        try check(LocalVersionInformation(hciVersion: 0x0D, hciSubversion: 0x1234, lmpVersion: 0x0D,
                                          companyIdentifier: 0x0059, lmpSubversion: 0x5678))
        try check(LocalSupportedFeatures(lmpFeatures: 0x8759_FFDB_FFFE_FFBF))
        try check(LELocalSupportedFeatures(leFeatures: 0x0000_0000_0001_79FF))
        try check(LocalBDAddress(address: BDAddress("F6:F7:F8:F9:FA:FB")!))
        try check(BufferSize(aclDataPacketLength: 1021, synchronousDataPacketLength: 96,
                             totalNumACLDataPackets: 8, totalNumSynchronousDataPackets: 4))
        try check(LEBufferSize(leACLDataPacketLength: 251, totalNumLEACLDataPackets: 12))
        try check(LEBufferSize(leACLDataPacketLength: 251, totalNumLEACLDataPackets: 12,
                               isoDataPacketLength: 300, totalNumISODataPackets: 6))

        // Status-only (HCI_Reset) and credit-only (opcode 0x0000) forms.
        let reset = encoded { CommandComplete.encode(opcode: .reset, status: 0, into: &$0) }
        #expect(reset == [0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00])
        let nop: [UInt8] = [0x0E, 0x03, 0x01, 0x00, 0x00]
        #expect(try HCIEvent(parsing: nop.span.bytes) == .commandComplete(
            CommandComplete(numHCICommandPackets: 1, opcode: .noOperation, status: nil, returnParameters: 5..<5)))
    }

    @Test func numberOfCompletedPacketsWalksEveryPair() throws {
        // Bumble tests/hci_test.py `test_HCI_Number_Of_Completed_Packets_Event`: handles (1, 2)
        // with (3, 4) completed packets.
        let bytes = encoded { HCIEvent.NumberOfCompletedPackets.encode([(ConnectionHandle(1), 3), (ConnectionHandle(2), 4)], into: &$0) }
        #expect(bytes == [UInt8](hex: "13 09 02 0100 0300 0200 0400")!)
        guard case .numberOfCompletedPackets(let credits) = try HCIEvent(parsing: bytes.span.bytes) else {
            Issue.record("not NOCP"); return
        }
        #expect(credits.count == 2 && credits.entries == 3..<11)
        var pairs: [[UInt16]] = []
        try credits.forEach(in: bytes.span.bytes) { pairs.append([$0.rawValue, $1]) }
        #expect(pairs == [[1, 3], [2, 4]])
        // Walking with the wrong (shorter) packet throws instead of reading out of bounds.
        let short: [UInt8] = [0x13, 0x05, 0x02]
        #expect(throws: WireError.self) { try credits.forEach(in: short.span.bytes) { _, _ in } }
        // Num_Handles larger than the entries present.
        let lying: [UInt8] = [0x13, 0x05, 0x02, 0x01, 0x00, 0x03, 0x00]
        #expect(throws: WireError(.hci, .truncated(field: "Num_Handles entries", needed: 8, available: 4), at: 103)) {
            _ = try HCIEvent(parsing: lying.span.bytes, base: 100)
        }
    }

    @Test func legacyAdvertisingReportsRoundTripWithSeveralReports() throws {
        let first = HCIEvent.LEAdvertisingReport(eventType: .advNonconnInd, addressType: 1,
                                                 address: BDAddress("C1:22:33:44:55:66")!, rssi: -70)
        let second = HCIEvent.LEAdvertisingReport(eventType: .scanResponse, addressType: 0, address: Self.peer, rssi: 127)
        // Data from Bumble tests/hci_test.py `test_HCI_LE_Advertising_Report_Event`.
        let firstData = [UInt8](hex: "0201061106ba5689a6fabfa2bd01467d6e00fbabad08160a181604659b03")!
        let bytes = encoded {
            HCIEvent.LEAdvertisingReports.encode([(first, firstData), (second, [])], into: &$0)
        }
        guard case .leAdvertisingReport(let reports) = try HCIEvent(parsing: bytes.span.bytes) else {
            Issue.record("not an advertising report"); return
        }
        #expect(reports.count == 2)
        var seen: [(HCIEvent.LEAdvertisingReport, [UInt8])] = []
        try reports.forEach(in: bytes.span.bytes) { report, data in seen.append((report, data.copyBytes())) }
        #expect(seen.count == 2)
        #expect(seen[0].0.eventType == .advNonconnInd && seen[0].0.rssi == -70 && seen[0].1 == firstData)
        #expect(seen[1].0.address == Self.peer && seen[1].1.isEmpty && seen[1].0.rssi == 127)
    }

    @Test func extendedAdvertisingReportRoundTrip() throws {
        // Values of Bumble tests/hci_test.py `test_HCI_LE_Extended_Advertising_Report_Event`:
        // connectable, public 00:11:22:33:44:55, 1M primary / Coded secondary, SID 0,
        // TX power 10, RSSI 100, periodic interval 2, direct address 00:11:22:33:44:55.
        let report = HCIEvent.LEExtendedAdvertisingReport(
            eventType: 0x0001 | 0x01 << 5, addressType: 0, address: Self.peer, primaryPHY: 1, secondaryPHY: 3,
            advertisingSID: 0, txPower: 10, rssi: 100, periodicAdvertisingInterval: 2, directAddressType: 0,
            directAddress: Self.peer)
        let data = [UInt8](hex: "0201061106ba5689a6fabfa2bd01467d6e00fbabad08160a181604659b03")!
        let anonymous = HCIEvent.LEExtendedAdvertisingReport(eventType: 0x0013, addressType: 0xFF,
                                                             address: BDAddress(rawValue: 0), rssi: -90)
        let bytes = encoded {
            HCIEvent.LEExtendedAdvertisingReports.encode([(report, data), (anonymous, [0x02, 0x01, 0x06])], into: &$0)
        }
        #expect(bytes.count == 2 + 1 + 1 + 24 + data.count + 24 + 3)
        guard case .leExtendedAdvertisingReport(let reports) = try HCIEvent(parsing: bytes.span.bytes) else {
            Issue.record("not an extended advertising report"); return
        }
        var seen: [(HCIEvent.LEExtendedAdvertisingReport, [UInt8])] = []
        try reports.forEach(in: bytes.span.bytes) { report, data in seen.append((report, data.copyBytes())) }
        #expect(seen.count == 2)
        var expectedFirst = report
        expectedFirst.data = 28..<(28 + data.count)
        #expect(seen[0].0 == expectedFirst)
        #expect(seen[0].1 == data)
        #expect(seen[0].0.isConnectable && !seen[0].0.isLegacy)
        #expect(seen[0].0.dataStatus == .incompleteMoreToCome)
        #expect(seen[1].0.isLegacy && seen[1].0.isConnectable && seen[1].0.isScannable)
        #expect(seen[1].0.knownAddressType == nil)
        #expect(seen[1].1 == [0x02, 0x01, 0x06])
        // Re-encoding the parsed event copies the reports verbatim.
        var writer = ByteWriter()
        HCIEvent.leExtendedAdvertisingReport(reports).encode(into: &writer, copyingFrom: bytes.span.bytes)
        #expect(writer.bytes == bytes)
    }

    // MARK: Malformed input

    @Test func parameterLengthMustMatchThePacket() {
        let bytes: [UInt8] = [0x05, 0x04, 0x00, 0x40, 0x00]
        #expect(throws: WireError(.hci, .lengthMismatch(field: "Parameter_Total_Length", declared: 4, actual: 3), at: 51)) {
            _ = try HCIEvent(parsing: bytes.span.bytes, base: 50)
        }
        let oversized: [UInt8] = [0x05, 0x02, 0x00, 0x40, 0x00, 0x13]
        #expect(throws: WireError(.hci, .lengthMismatch(field: "Parameter_Total_Length", declared: 2, actual: 4), at: 1)) {
            _ = try HCIEvent(parsing: oversized.span.bytes)
        }
        let lone: [UInt8] = [0x0E]
        #expect(throws: WireError(.hci, .truncated(field: "Parameter_Total_Length", needed: 1, available: 0), at: 1)) {
            _ = try HCIEvent(parsing: lone.span.bytes)
        }
    }

    @Test func advertisingDataLongerThanTheEventIsReportedAtItsOffset() {
        // The capture's first report with Data_Length raised from 0x0e to 0x0f: the data then
        // eats the RSSI and the RSSI read runs off the end.
        let bytes = [UInt8](hex: "3e1a02010000489eaa9818f00f0201060aff4c0010054c1ccde401df")!
        #expect(throws: WireError(.hci, .truncated(field: "RSSI", needed: 1, available: 0), at: 28)) {
            _ = try HCIEvent(parsing: bytes.span.bytes)
        }
        // Data_Length far beyond the packet.
        let far = [UInt8](hex: "3e0d02010000489eaa9818f0ff0201")!
        #expect(throws: WireError(.hci, .truncated(field: "Data", needed: 255, available: 2), at: 13)) {
            _ = try HCIEvent(parsing: far.span.bytes)
        }
        // A reserved Event_Type.
        let reserved = [UInt8](hex: "3e0c02010500489eaa9818f000df")!
        #expect(throws: WireError(.hci, .invalidValue(field: "Event_Type", value: 5), at: 4)) {
            _ = try HCIEvent(parsing: reserved.span.bytes)
        }
    }

    @Test func unknownEventsAreNotErrors() throws {
        // Bumble tests/hci_test.py `test_HCI_Event`: event 0xF8 with parameters AA BB CC.
        let (event, bytes) = try parse("f803aabbcc")
        #expect(event == .other(code: 0xF8, parameters: 2..<5))
        #expect(event.code == 0xF8)
        var writer = ByteWriter()
        event.encode(into: &writer, copyingFrom: bytes.span.bytes)
        #expect(writer.bytes == bytes)
    }

    @Test func everyTruncationOfEveryCapturedEventIsAnErrorNotACrash() throws {
        for (bytes, _) in try bumbleEvents() {
            for cut in 0..<bytes.count {
                var prefix = Array(bytes[0..<cut])
                if cut >= 2 { prefix[1] = UInt8(cut - 2) }
                // Unknown events and subevents legitimately parse at any length.
                do { _ = try HCIEvent(parsing: prefix.span.bytes) } catch {}
            }
        }
    }
}

private typealias CommandComplete = HCIEvent.CommandComplete
private typealias CommandStatus = HCIEvent.CommandStatus
