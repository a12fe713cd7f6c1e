import Testing
@testable import BLEWire

@Suite struct HCICommandTests {
    static let peer = BDAddress("34:B1:F7:D5:59:64")!

    /// One value of every command this package knows.
    static let everyCommand: [HCICommand] = [
        .reset,
        .setEventMask(0x3DBF_F807_FFFB_FFFF),
        .leSetEventMask(0x0000_0100_0000_0001),
        .readLocalVersionInformation,
        .readLocalSupportedFeatures,
        .readBDAddress,
        .readBufferSize,
        .leReadBufferSize,
        .leReadBufferSizeV2,
        .leReadLocalSupportedFeatures,
        .leSetRandomAddress(BDAddress("C0:55:44:33:22:11")!),
        .leSetScanParameters(LEScanParameters(scanType: .active, scanInterval: 0x0010, scanWindow: 0x0010,
                                              ownAddressType: 1, scanningFilterPolicy: 0)),
        .leSetScanEnable(enable: true, filterDuplicates: false),
        .leSetExtendedScanParameters(LEExtendedScanParameters(
            ownAddressType: 1, scanningFilterPolicy: 0,
            le1M: LEScanPHYParameters(scanType: .active, scanInterval: 0x12, scanWindow: 0x12),
            leCoded: LEScanPHYParameters(scanType: .passive, scanInterval: 0x36, scanWindow: 0x24))),
        .leSetExtendedScanParameters(LEExtendedScanParameters(
            le1M: nil, leCoded: LEScanPHYParameters(scanType: .active, scanInterval: 0x100, scanWindow: 0x50))),
        .leSetExtendedScanEnable(LEExtendedScanEnable(enable: true, filterDuplicates: .enabledResetEachPeriod,
                                                      duration: 500, period: 3)),
        .leCreateConnection(LECreateConnection(
            scanInterval: 0x60, scanWindow: 0x30, peerAddressType: 1, peerAddress: peer, ownAddressType: 1,
            connection: LEConnectionParameters(intervalMin: 0x18, intervalMax: 0x28, maxLatency: 4,
                                               supervisionTimeout: 0x48, minCELength: 1, maxCELength: 2))),
        .leExtendedCreateConnection(LEExtendedCreateConnection(
            initiatorFilterPolicy: 0, ownAddressType: 1, peerAddressType: 1, peerAddress: peer,
            le1M: LEInitiatingPHYParameters(scanInterval: 0x60, scanWindow: 0x60, connection: LEConnectionParameters(
                intervalMin: 0x18, intervalMax: 0x28, supervisionTimeout: 0x2A)),
            le2M: LEInitiatingPHYParameters(scanInterval: 0, scanWindow: 0, connection: LEConnectionParameters(
                intervalMin: 0x06, intervalMax: 0x0C, maxLatency: 1, supervisionTimeout: 0x64)),
            leCoded: LEInitiatingPHYParameters(scanInterval: 0x120, scanWindow: 0x90, connection: LEConnectionParameters(
                intervalMin: 0x50, intervalMax: 0x60, supervisionTimeout: 0x200, minCELength: 3, maxCELength: 9)))),
        .leExtendedCreateConnection(LEExtendedCreateConnection(
            peerAddressType: 0, peerAddress: peer, le1M: nil,
            leCoded: LEInitiatingPHYParameters(scanInterval: 0x120, scanWindow: 0x90, connection: LEConnectionParameters(
                intervalMin: 0x50, intervalMax: 0x60, supervisionTimeout: 0x200)))),
        .leCreateConnectionCancel,
        .disconnect(handle: ConnectionHandle(0x0040), reason: 0x13),
        .leSetDataLength(handle: ConnectionHandle(0x0001), txOctets: 251, txTime: 2120),
        .leConnectionUpdate(handle: ConnectionHandle(0x0002), LEConnectionParameters(intervalMin: 6, intervalMax: 12, maxLatency: 0,
                                                                   supervisionTimeout: 100)),
        .leRemoteConnectionParameterRequestReply(handle: ConnectionHandle(0x0EFF), LEConnectionParameters(
            intervalMin: 0x0C80, intervalMax: 0x0C80, maxLatency: 0x01F3, supervisionTimeout: 0x0C80,
            minCELength: 0xFFFF, maxCELength: 0xFFFF)),
        .writeLEHostSupport(true),
    ]

    @Test(arguments: everyCommand)
    func roundTrips(_ command: HCICommand) throws {
        let bytes = command.encoded
        #expect(Int(bytes[2]) == bytes.count - 3)
        #expect(bytes[0] == UInt8(truncatingIfNeeded: command.opcode.rawValue))
        let parsed = try HCICommand(parsing: bytes.span.bytes)
        #expect(parsed == command)
        var h4 = ByteWriter()
        command.encodeH4(into: &h4)
        #expect(h4.bytes == [0x01] + bytes)
    }

    @Test(arguments: everyCommand)
    func everyTruncationIsAnErrorNotACrash(_ command: HCICommand) throws {
        let bytes = command.encoded
        for cut in 0..<bytes.count {
            var prefix = Array(bytes[0..<cut])
            // Keep the header consistent when it is there, so the parameter parser itself
            // meets the missing bytes.
            if cut >= 3 { prefix[2] = UInt8(cut - 3) }
            #expect(throws: WireError.self, "cut at \(cut)") { _ = try HCICommand(parsing: prefix.span.bytes) }
        }
    }

    // MARK: Vectors from outside references

    @Test func leCreateConnectionFromBtmon() throws {
        // btmon capture of `gatttool` connecting, published at
        // https://rrbluetoothx.blogspot.com/2016/05/rr-bluetooth-gatttool-what-hci-commands.html:
        // "< HCI Command: LE Create Connection (0x08|0x000d) plen 25", scan interval 60 ms
        // (0x0060), window 30 ms (0x0030), public peer, min/max interval 0x0028/0x0038,
        // supervision timeout 420 ms (0x002a).
        let h4 = [UInt8](hex: "01 0d 20 19 60 00 30 00 00 00 64 59 d5 f7 b1 34 00 28 00 38 00 00 00 2a 00 00 00 00 00")!
        let command = try HCICommand(parsing: h4.span.bytes.extracting(1..<h4.count), base: 1)
        let expected = HCICommand.leCreateConnection(LECreateConnection(
            scanInterval: 0x0060, scanWindow: 0x0030, initiatorFilterPolicy: 0, peerAddressType: 0,
            peerAddress: BDAddress("34:B1:F7:D5:59:64")!, ownAddressType: 0,
            connection: LEConnectionParameters(intervalMin: 0x0028, intervalMax: 0x0038, maxLatency: 0,
                                               supervisionTimeout: 0x002A, minCELength: 0, maxCELength: 0)))
        #expect(command == expected)
        #expect(command.opcode.description == "0x08|0x000d")
        var writer = ByteWriter()
        command.encodeH4(into: &writer)
        #expect(writer.bytes == h4)
    }

    @Test func extendedScanParametersFromBlueZMgmtTester() throws {
        // BlueZ tools/mgmt-tester.c `start_discovery_ext_scan_param` (bluez/bluez
        // 690c16df): own address random, 1M and Coded PHYs (0x05), both active, interval =
        // window = 0x0012 on 1M and 0x0036 on Coded.
        let parameters = [UInt8](hex: "01 00 05 01 12 00 12 00 01 36 00 36 00")!
        let packet: [UInt8] = [0x41, 0x20, UInt8(parameters.count)] + parameters
        let command = try HCICommand(parsing: packet.span.bytes)
        let expected = HCICommand.leSetExtendedScanParameters(LEExtendedScanParameters(
            ownAddressType: 1, scanningFilterPolicy: 0,
            le1M: LEScanPHYParameters(scanType: .active, scanInterval: 0x12, scanWindow: 0x12),
            leCoded: LEScanPHYParameters(scanType: .active, scanInterval: 0x36, scanWindow: 0x36)))
        #expect(command == expected)
        #expect(command.encoded == packet)

        // `start_discovery_2m_ext_scan_param`: 1M only.
        let oneM: [UInt8] = [0x41, 0x20, 0x08] + [UInt8](hex: "01 00 01 01 12 00 12 00")!
        guard case .leSetExtendedScanParameters(let only1M) = try HCICommand(parsing: oneM.span.bytes) else {
            Issue.record("wrong command"); return
        }
        #expect(only1M.leCoded == nil)
        #expect(only1M.scanningPHYs == 0x01)
    }

    @Test func moreCommandsFromBlueZMgmtTester() throws {
        // mgmt-tester.c `stop_discovery_valid_ext_scan_disable`: 00 00 00 00 00 00.
        let disable: [UInt8] = [0x42, 0x20, 0x06, 0, 0, 0, 0, 0, 0]
        #expect(try HCICommand(parsing: disable.span.bytes) == .leSetExtendedScanEnable(LEExtendedScanEnable(enable: false)))
        // `set_le_on_write_le_host_param`: 01 00 to HCI_Write_LE_Host_Support.
        let hostSupport: [UInt8] = [0x6D, 0x0C, 0x02, 0x01, 0x00]
        #expect(try HCICommand(parsing: hostSupport.span.bytes) == .writeLEHostSupport(true))
        #expect(HCICommand.writeLEHostSupport(true).encoded == hostSupport)
        // `le_scan_enable`: 01 01 (enable, filter duplicates).
        let scanEnable: [UInt8] = [0x0C, 0x20, 0x02, 0x01, 0x01]
        #expect(try HCICommand(parsing: scanEnable.span.bytes) == .leSetScanEnable(enable: true, filterDuplicates: true))
        // `set_static_addr_valid_param`: static random address C0:55:44:33:22:11, sent LSB first.
        let randomAddress: [UInt8] = [0x05, 0x20, 0x06, 0x11, 0x22, 0x33, 0x44, 0x55, 0xC0]
        #expect(try HCICommand(parsing: randomAddress.span.bytes) == .leSetRandomAddress(BDAddress("C0:55:44:33:22:11")!))
    }

    @Test func leEventMaskFromBumble() throws {
        // Bumble tests/hci_test.py `test_HCI_LE_Set_Event_Mask_Command`: a mask enabling LE
        // Connection Complete (subevent 0x01) and Enhanced Connection Complete v2 (0x29)
        // is the octets 01 00 00 00 00 01 00 00.
        let packet: [UInt8] = [0x01, 0x20, 0x08] + [UInt8](hex: "0100000000010000")!
        let command = try HCICommand(parsing: packet.span.bytes)
        #expect(command == .leSetEventMask(1 << (0x01 - 1) | 1 << (0x29 - 1)))
    }

    @Test func unknownOpcodeParsesAsOtherWithItsParameterRange() throws {
        // Bumble tests/hci_test.py `test_HCI_Command`: opcode 0x5566 with parameters AA BB CC.
        let packet: [UInt8] = [0x66, 0x55, 0x03, 0xAA, 0xBB, 0xCC]
        let command = try HCICommand(parsing: packet.span.bytes)
        #expect(command == .other(opcode: HCIOpcode(rawValue: 0x5566), parameters: 3..<6))
        #expect(command.opcode.ogf == 0x15)
        #expect(command.opcode.ocf == 0x166)
    }

    @Test func opcodesSplitIntoGroupAndCommandFields() {
        #expect(HCIOpcode.reset.rawValue == 0x0C03)
        #expect(HCIOpcode.leExtendedCreateConnection.rawValue == 0x2043)
        #expect(HCIOpcode.leReadBufferSizeV2.rawValue == 0x2060)
        #expect(HCIOpcode.writeLEHostSupport.rawValue == 0x0C6D)
        #expect(HCIOpcode.disconnect.rawValue == 0x0406)
        #expect(HCIOpcode(rawValue: 0x2043).ogf == HCIOpcode.leControllerGroup)
        #expect(HCIOpcode.reset.description == "0x03|0x0003")
    }

    // MARK: Malformed input

    @Test func declaredLengthMustMatchThePacket() {
        let short: [UInt8] = [0x06, 0x04, 0x03, 0x40, 0x00]
        #expect(throws: WireError(.hci, .lengthMismatch(field: "Parameter_Total_Length", declared: 3, actual: 2), at: 12)) {
            _ = try HCICommand(parsing: short.span.bytes, base: 10)
        }
        let empty: [UInt8] = []
        #expect(throws: WireError(.hci, .truncated(field: "command opcode", needed: 2, available: 0), at: 0)) {
            _ = try HCICommand(parsing: empty.span.bytes)
        }
    }

    @Test func parametersShorterOrLongerThanTheCommandNeedsAreErrors() {
        // Disconnect with only the handle: Reason is missing at offset 5.
        let missingReason: [UInt8] = [0x06, 0x04, 0x02, 0x40, 0x00]
        #expect(throws: WireError(.hci, .truncated(field: "Reason", needed: 1, available: 0), at: 5)) {
            _ = try HCICommand(parsing: missingReason.span.bytes)
        }
        // Reset with a stray parameter byte.
        let resetWithByte: [UInt8] = [0x03, 0x0C, 0x01, 0x00]
        #expect(throws: WireError(.hci, .trailingBytes(count: 1), at: 3)) {
            _ = try HCICommand(parsing: resetWithByte.span.bytes)
        }
    }

    @Test func reservedValuesAreRejectedAtTheirOffset() {
        // LE_Scan_Type 0x02 is reserved.
        let scan: [UInt8] = [0x0B, 0x20, 0x07, 0x02, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00]
        #expect(throws: WireError(.hci, .invalidValue(field: "LE_Scan_Type", value: 2), at: 3)) {
            _ = try HCICommand(parsing: scan.span.bytes)
        }
        // Scanning_PHYs bit 1 (2M) is reserved for scanning.
        let phys: [UInt8] = [0x41, 0x20, 0x08, 0x00, 0x00, 0x02, 0x01, 0x12, 0x00, 0x12, 0x00]
        #expect(throws: WireError(.hci, .invalidValue(field: "Scanning_PHYs", value: 2), at: 5)) {
            _ = try HCICommand(parsing: phys.span.bytes)
        }
        // LE_Scan_Enable 0x02 is reserved.
        let enable: [UInt8] = [0x0C, 0x20, 0x02, 0x02, 0x00]
        #expect(throws: WireError(.hci, .invalidValue(field: "LE_Scan_Enable", value: 2), at: 3)) {
            _ = try HCICommand(parsing: enable.span.bytes)
        }
    }
}
