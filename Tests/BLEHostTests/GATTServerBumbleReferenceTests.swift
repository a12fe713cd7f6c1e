import BLEHost
import BLEWire
import Foundation
import GaitwayTestSupport
import Testing

/// Replays the ATT requests of a real Bumble central (bumble 0.0.236's GATT client:
/// `request_mtu(247)`, `discover_all()`, a read, `subscribe()`) into our server and
/// compares every response, byte for byte, with what Bumble's own GATT server answered
/// in the same capture. The capture is Tests/DissectorTests/Fixtures/
/// bumble-heart-rate.btsnoop (tools/hr_capture.py; see the Fixtures README), nobody here
/// wrote its bytes.
///
/// Bumble's server database there (from the capture's discovery):
///
/// ```
/// 0x01 1800 Generic Access      0x02/0x03 2A00 read, 0x04/0x05 2A01 read
/// 0x06 1801 Generic Attribute   0x07/0x08/0x09 2A05 indicate + CCCD,
///                               0x0a/0x0b 2B29 read|write, 0x0c/0x0d 2B2A read
/// 0x0e 180D Heart Rate          0x0f/0x10/0x11 2A37 notify + CCCD, 0x12/0x13 2A38 read (wrist)
/// ```
/// which our factories rebuild exactly. Server Rx MTU is 517 as Bumble's default. The
/// values of 2A00, 2A01, 2B29 and 2B2A are never read in the capture, so they do not
/// need to match.
@Suite struct GATTServerBumbleReferenceTests {
    static let fixture = Reference.repository.appendingPathComponent("Tests/DissectorTests/Fixtures/bumble-heart-rate.btsnoop")

    /// ATT PDUs on CID 4 in capture order: `sent` by the central (requests), `received`
    /// from Bumble's server (responses, notifications).
    static func attPDUs(_ file: [UInt8]) throws -> [(direction: PacketDirection, pdu: [UInt8])] {
        var result: [(PacketDirection, [UInt8])] = []
        let bytes = file.span.bytes
        var reader = try BTSnoopReader(file: bytes)
        while let record = try reader.next(in: bytes) {
            guard record.packetType == .aclData else { continue }
            let packet = bytes.extracting(record.packet)
            let acl = try ACLDataHeader(parsing: packet)
            // Every ATT PDU here fits one ACL packet (27-byte LE data, PDUs under 24).
            guard acl.boundary.startsPDU else { continue }
            let l2capBytes = packet.extracting(acl.payload)
            let l2cap = try L2CAPBasicHeader(parsing: l2capBytes)
            guard l2cap.channelID == .att else { continue }
            result.append((record.direction, l2capBytes.extracting(l2cap.payload).withUnsafeBytes { Array($0) }))
        }
        return result
    }

    static func bumbleLayout() -> GATTDatabase {
        GATTDatabase(services: [
            .genericAccess(deviceName: "Gaitway HR"),
            .genericAttribute(clientSupportedFeatures: true, databaseHash: [UInt8](repeating: 0, count: 16)),
            .heartRate(bodySensorLocation: 0x02),
        ])
    }

    @Test func sameResponsesAsBumblesServer() throws {
        guard FileManager.default.fileExists(atPath: Self.fixture.path) else {
            Issue.record("fixture missing: \(Self.fixture.path)")
            return
        }
        let pdus = try Self.attPDUs(Array(try Data(contentsOf: Self.fixture)))
        var server = GATTServer(database: Self.bumbleLayout(), serverRxMTU: 517)
        let measurement = try #require(server.database.characteristic(.heartRateMeasurement))
        #expect(measurement.value == AttributeHandle(0x10))

        var ours: [UInt8]?
        var requests = 0, compared = 0, notifications = 0
        for (direction, pdu) in pdus {
            switch direction {
            case .sent:
                #expect(ours == nil, "request \(pdu.hexString) sent before the previous one was answered")
                ours = server.handle(request: pdu)
                requests += 1
            case .received where pdu.first == ATTOpcode.handleValueNotification.rawValue:
                // Bumble notified only after the CCCD write; the same value through our
                // server must give the same PDU (subscription, handle, encoding).
                guard pdu.count >= 3 else { Issue.record("short notification"); continue }
                let handle = AttributeHandle(UInt16(pdu[1]) | UInt16(pdu[2]) << 8)
                #expect(server.notification(handle: handle, value: pdu[3...]) == pdu)
                notifications += 1
            case .received:
                #expect(ours == pdu, "ours \(ours?.hexString ?? "nil") vs Bumble \(pdu.hexString)")
                ours = nil
                compared += 1
            }
        }
        // 14 requests (MTU, 2 service pages, 6 characteristic pages, 3 descriptor
        // searches, 1 read, 1 CCCD write), each answered; 69 notifications.
        #expect(requests == 14 && compared == 14)
        #expect(notifications == 69)
        #expect(server.mtu == 247)
        #expect(server.isSubscribed(handle: AttributeHandle(0x10)))
    }

    @Test func nothingIsNotifiedBeforeTheCentralSubscribes() throws {
        let server = GATTServer(database: Self.bumbleLayout(), serverRxMTU: 517)
        #expect(server.notification(handle: AttributeHandle(0x10), value: [0x00, 72]) == nil)
    }
}
