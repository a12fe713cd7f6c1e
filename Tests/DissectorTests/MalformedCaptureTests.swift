import BLEWire
import Dissector
import Foundation
import GaitwayTestSupport
import Testing

/// Captures built here, with deliberate damage: every malformed frame yields an error that
/// says what and where, and decoding goes on with the next frame.
@Suite struct MalformedCaptureTests {
    static let peripheral = BDAddress("F6:F7:F8:F9:FA:FB")!
    static let connection = ConnectionHandle(0x0040)

    /// A btsnoop capture (datalink 1002) built packet by packet.
    struct CaptureBuilder {
        var writer = BTSnoopWriter(datalink: .hciUART)
        var time: Int64 = 1_795_000_000_000_000

        mutating func event(_ encode: (inout ByteWriter) -> Void) throws {
            var packet = ByteWriter()
            encode(&packet)
            try add(packet.bytes, .event, .received)
        }

        mutating func add(_ packet: [UInt8], _ type: HCIPacketType, _ direction: PacketDirection) throws {
            time += 1000
            try writer.append(packet: packet, type: type, direction: direction, timestampMicros: time)
        }

        mutating func connect() throws {
            try event {
                HCIEvent.LEConnectionComplete(connectionHandle: connection, role: 0, peerAddressType: 1,
                                              peerAddress: peripheral, connectionInterval: 24, peripheralLatency: 0,
                                              supervisionTimeout: 400).encode(into: &$0)
            }
        }

        /// An ATT notification in one ACL packet.
        mutating func notify(handle: AttributeHandle, _ value: [UInt8]) throws {
            var att = ByteWriter()
            ATTPDU.encodeHandleValueNotification(handle: handle, value: value, into: &att)
            try l2cap(att.bytes)
        }

        mutating func l2cap(_ payload: [UInt8], channel: L2CAPChannelID = .att) throws {
            var frame = ByteWriter()
            L2CAPBasicHeader.encode(channel: channel, payload: payload, into: &frame)
            var acl = ByteWriter()
            ACLDataHeader.encode(handle: connection, boundary: .firstFlushable, data: frame.bytes, into: &acl)
            try add(acl.bytes, .aclData, .received)
        }

        var bytes: [UInt8] { writer.bytes }
    }

    func decode(_ bytes: [UInt8], map: [AttributeHandle: BluetoothUUID] = [AttributeHandle(16): BluetoothUUID(0x2A37)]) throws -> [DecodedValue] {
        var dissector = CaptureDissector(catalog: Reference.catalog, handleOverrides: map)
        var values: [DecodedValue] = []
        try dissector.dissect(file: bytes.span.bytes) { values.append($0) }
        return values
    }

    @Test func malformedFramesYieldErrorsAndDecodingGoesOn() throws {
        var capture = CaptureBuilder()
        try capture.connect()
        try capture.notify(handle: AttributeHandle(16), [0x16, 72, 0x00, 0x04])  // contact detected, RR 1.0 s
        // ACL header says 9 bytes, 5 follow.
        try capture.add([0x40, 0x20, 0x09, 0x00, 0x01, 0x00, 0x04, 0x00, 0x1B], .aclData, .received)
        // Heart rate with the 16-bit flag and one byte of value.
        try capture.notify(handle: AttributeHandle(16), [0x01, 0x48])
        // An ATT PDU too short to be a notification.
        try capture.l2cap([0x1B, 0x10])
        try capture.notify(handle: AttributeHandle(16), [0x00, 61])

        let values = try decode(capture.bytes)
        try #require(values.count == 5)
        #expect(values[0].fieldsJSON == #"{"heart_rate":72,"sensor_contact":true,"rr_intervals":[1]}"#)
        #expect(values[0].address == Self.peripheral)

        #expect(values[1].source == .capture)
        #expect(values[1].frame == 3)
        #expect(values[1].error == "ACL: ACL data length says 9 bytes but 5 are present at byte offset 2")

        #expect(values[2].format == "heart-rate-measurement")
        #expect(values[2].fieldsJSON == nil)
        #expect(values[2].rawValue == [0x01, 0x48])
        let payloadError = try #require(values[2].error)
        #expect(payloadError.hasPrefix("heart-rate-measurement heart_rate: payload: truncated"), "\(payloadError)")
        #expect(payloadError.contains("at byte offset 1"), "\(payloadError)")

        #expect(values[3].source == .capture)
        let attError = try #require(values[3].error)
        #expect(attError.hasPrefix("ATT: truncated") && attError.contains("at byte offset 9"), "\(attError)")

        #expect(values[4].fieldsJSON == #"{"heart_rate":61,"sensor_contact":null,"rr_intervals":[]}"#)
    }

    @Test func truncatedLastRecordIsReportedAfterEverythingBeforeIt() throws {
        var capture = CaptureBuilder()
        try capture.connect()
        try capture.notify(handle: AttributeHandle(16), [0x00, 61])
        let values = try decode(Array(capture.bytes.dropLast(3)))
        try #require(values.count == 1)
        #expect(values[0].source == .capture)
        #expect(values[0].error?.contains("truncated record") == true)
    }

    @Test func notABtsnoopFileIsAnError() throws {
        #expect(throws: WireError.self) { try decode(Array("not a capture at all".utf8)) }
        #expect(throws: WireError.self) { try decode([]) }
    }

    @Test func handlesWithoutDiscoveryOrSpecArePrintedRaw() throws {
        var capture = CaptureBuilder()
        try capture.connect()
        try capture.notify(handle: AttributeHandle(0x22), [0xDE, 0xAD])
        let values = try decode(capture.bytes, map: [:])
        try #require(values.count == 1)
        #expect(values[0].uuid == nil && values[0].format == nil && values[0].rawValue == [0xDE, 0xAD])
        #expect(DecodedValueFormat.jsonl.lines(for: values[0]) == [
            #"{"time":"2026-11-18T11:06:40.002000Z","address":"F6:F7:F8:F9:FA:FB","source":"notification","handle":34,"value":"dead"}"#,
        ])
    }

    /// BTHome v2 service data in a legacy advertising report (bthome.io/format: battery 0x01,
    /// temperature 0x02 in 0.01 °C).
    @Test func bthomeAdvertisementIsDecoded() throws {
        var advertising = AdvertisingDataBuilder()
        try advertising.addFlags([.leGeneralDiscoverable, .brEDRNotSupported])
        try advertising.addServiceData(BluetoothUUID(0xFCD2), data: [0x40, 0x01, 0x61, 0x02, 0xCA, 0x09])
        var capture = CaptureBuilder()
        try capture.event {
            HCIEvent.LEAdvertisingReports.encode(
                HCIEvent.LEAdvertisingReport(eventType: .advNonconnInd, addressType: 0,
                                             address: Self.peripheral, rssi: -60),
                data: advertising.bytes, into: &$0)
        }
        let values = try decode(capture.bytes)
        try #require(values.count == 1)
        #expect(values[0].source == .advertisement && values[0].format == "bthome-v2")
        #expect(values[0].uuid == BluetoothUUID(0xFCD2))
        let fields = try Reference.object(try #require(values[0].fieldsJSON))
        #expect(fields["battery"] as? Int == 97)
        #expect((fields["temperature"] as? Double).map { abs($0 - 25.06) < 1e-9 } == true)
    }
}

@Suite struct CaptureTimeTests {
    /// Against GNU date: `date -u -d @1795000000 +%FT%T` prints 2026-11-18T11:06:40, and
    /// `date -u -d @-1 +%FT%T` prints 1969-12-31T23:59:59.
    @Test func formatsMicrosecondsAsISO8601() {
        #expect(CaptureTime.iso8601(microseconds: 1_795_000_000_000_001) == "2026-11-18T11:06:40.000001Z")
        #expect(CaptureTime.iso8601(microseconds: -1_000_000) == "1969-12-31T23:59:59.000000Z")
        #expect(CaptureTime.iso8601(microseconds: 951_782_400_000_000) == "2000-02-29T00:00:00.000000Z")
    }
}
