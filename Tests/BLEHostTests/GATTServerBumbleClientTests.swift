import BLEHost
import BLEWire
import Foundation
import GaitwayTestSupport
import Testing

/// Bumble's GATT client (bumble 0.0.236) against Bumble's GATT server holding the same
/// layout as `SampleDevice` (after Bumble's Generic Access and Generic Attribute
/// services), recorded by tools/gatt_client_check.py: discovery at ATT_MTU 23 (services
/// in three pages, the 128-bit insole service alone), discovery by UUID (16- and 128-bit),
/// a long read (Read + Read Blob), Read By Type by UUID, a user description, control
/// point writes (accepted, refused with 0x80), subscriptions and notifications, an
/// unsubscription, an MTU exchange, and a 100-byte notification at the new MTU.
///
/// Each request ('>') is replayed into our server; each response ('<') must be what
/// Bumble's server answered, byte for byte. A notification ('< 1b...') must be what our
/// server makes from the same value, which also checks that we are subscribed exactly
/// when Bumble was (Bumble sent no notification while unsubscribed).
///
/// Deliberate differences from Bumble's server, avoided by this transcript: Bumble does
/// not enforce read/write permissions (we answer Read/Write Not Permitted), answers Read
/// Blob on a short value with Attribute Not Long (optional in §3.4.4.5; we send the part),
/// does not check the range of Read By Group Type (we answer Invalid Handle), fits one
/// fewer Find By Type Value entry when (ATT_MTU - 1) is a multiple of 4 (it counts
/// ATT_MTU - 2 bytes of room), and puts user-given descriptors before its CCCD (we put
/// the CCCD first; the script declares Bumble's CCCD explicitly to get our order).
@Suite struct GATTServerBumbleClientTests {
    /// `.venv/bin/python tools/gatt_client_check.py`, bumble 0.0.236.
    static let transcript = """
        > 100100ffff0028
        < 110601000500001806000d0001180e0015000d18
        > 101600ffff0028
        < 1106160019000f181a0026000a18
        > 102700ffff0028
        < 111427002b0000000000000000800079617700016167
        > 102c00ffff0028
        < 01102c000a
        > 08010005000328
        < 09070200020300002a0400020500012a
        > 08050005000328
        < 010805000a
        > 0806000d000328
        < 09070700200800052a0a000a0b00292b0c00020d002a2b
        > 080d000d000328
        < 01080d000a
        > 080e0015000328
        < 09070f00101000372a1200021300382a1400081500392a
        > 08150015000328
        < 010815000a
        > 08160019000328
        < 09071700121800192a
        > 08180019000328
        < 010818000a
        > 081a0026000328
        < 09071b00021c00292a1d00021e00242a1f00022000252a
        > 08200026000328
        < 09072100022200272a2300022400262a2500022600282a
        > 08260026000328
        < 010826000a
        > 0827002b000328
        < 0915280010290000000000000000800079617701016167
        > 0829002b000328
        < 010829000a
        > 0409000900
        < 050109000229
        > 0411001100
        < 050111000229
        > 0419001900
        < 050119000229
        > 042a002b00
        < 05012a0002292b000129
        > 060100ffff00280f18
        < 0716001900
        > 061a00ffff00280f18
        < 01061a000a
        > 060100ffff002800000000000000800079617700016167
        < 0727002b00
        > 062c00ffff002800000000000000800079617700016167
        < 01062c000a
        > 0a1c00
        < 0b476169747761792053696d756c617465642044657669
        > 0c1c001600
        < 0d63657320496e636f72706f7261746564
        > 0a1800
        < 0b57
        > 080100ffff242a
        < 09061e0047572d31
        > 081f00ffff242a
        < 01081f000a
        > 0a2b00
        < 0b496e736f6c652053747265616d
        > 12150001
        < 13
        > 12150002
        < 0112150080
        > 0411001100
        < 050111000229
        > 1211000100
        < 13
        > 042a002b00
        < 05012a0002292b000129
        > 122a000100
        < 13
        < 1b100010480004
        < 1b2900000102030405060708090a0b0c0d0e0f10111213
        > 0411001100
        < 050111000229
        > 1211000000
        < 13
        < 1b29001415161718191a1b1c1d1e1f2021222324252627
        > 02f700
        < 030502
        > 0a1c00
        < 0b476169747761792053696d756c61746564204465766963657320496e636f72706f7261746564
        < 1b2900000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263
        """

    static func replay(_ transcript: String) throws -> (requests: Int, responses: Int, notifications: Int) {
        var server = GATTServer(database: SampleDevice.database(coreServices: true), serverRxMTU: 517)
        var ours: [UInt8]?
        var requests = 0, responses = 0, notifications = 0
        for line in transcript.split(separator: "\n") {
            let pdu = try #require([UInt8](hex: line.dropFirst(2)), "\(line)")
            if line.hasPrefix(">") {
                #expect(ours == nil, "request \(line) sent before the previous one was answered")
                ours = server.handle(request: pdu)
                requests += 1
            } else if pdu.first == ATTOpcode.handleValueNotification.rawValue, pdu.count >= 3 {
                let handle = AttributeHandle(UInt16(pdu[1]) | UInt16(pdu[2]) << 8)
                #expect(server.notification(handle: handle, value: pdu[3...]) == pdu, "\(line)")
                notifications += 1
            } else {
                #expect(ours == pdu, "ours \(ours?.hexString ?? "nil") vs Bumble \(pdu.hexString)")
                ours = nil
                responses += 1
            }
        }
        #expect(ours == nil)
        // After the unsubscription, the heart rate measurement (0x10) gets nothing.
        #expect(server.notification(handle: AttributeHandle(0x10), value: [0x00, 80]) == nil)
        #expect(server.mtu == 247)
        return (requests, responses, notifications)
    }

    @Test func sameAnswersAsBumblesServer() throws {
        let counts = try Self.replay(Self.transcript)
        #expect(counts.requests == counts.responses)
        #expect(counts.requests > 40 && counts.notifications == 4)
    }

    /// Runs the script again when Bumble is installed, so that the transcript above stays
    /// what Bumble does (and the replay runs on a fresh one).
    @Test func liveBumbleTranscript() async throws {
        guard Reference.pythonAvailable(for: "live Bumble GATT client transcript") else { return }
        let live = try await Reference.run(Reference.python, [Reference.path("tools/gatt_client_check.py")])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(live == Self.transcript)
        _ = try Self.replay(live)
    }
}
