import BLEHost
import BLEWire
import GaitwayTestSupport
import Testing

// Every Error Response the server gives (Core v5.4, Vol 3, Part F, §3.4.1.1), with the
// exact bytes: `01 | request opcode | handle in error (LE) | code`.

@Suite struct GATTServerErrorTests {
    private func server() -> GATTServer { GATTServer(database: SampleDevice.database()) }

    private func answer(_ request: [UInt8]) -> [UInt8]? {
        var server = server()
        return server.handle(request: request)
    }

    @Test func attributeNotFoundForEmptyRanges() {
        // Past the last handle (0x1e).
        #expect(answer(hex("10 1f00 ffff 0028")) == hex("01 10 1f00 0a"))
        #expect(answer(hex("08 1f00 ffff 0328")) == hex("01 08 1f00 0a"))
        #expect(answer(hex("04 1f00 ffff")) == hex("01 04 1f00 0a"))
        #expect(answer(hex("06 1f00 ffff 0028 0d18")) == hex("01 06 1f00 0a"))
        // Inside the database, but no attribute of that type in the range.
        #expect(answer(hex("08 0e00 1900 0229")) == hex("01 08 0e00 0a"))
    }

    @Test func invalidHandleForZeroOrInvertedRangesAndUnknownHandles() {
        for opcode: UInt8 in [0x04, 0x08, 0x10] {
            let tail: [UInt8] = opcode == 0x04 ? [] : [0x00, 0x28]
            #expect(answer([opcode, 0x00, 0x00, 0xFF, 0xFF] + tail) == [0x01, opcode, 0x00, 0x00, 0x01])
            #expect(answer([opcode, 0x05, 0x00, 0x04, 0x00] + tail) == [0x01, opcode, 0x05, 0x00, 0x01])
        }
        #expect(answer(hex("06 0000 ffff 0028 0d18")) == hex("01 06 0000 01"))
        #expect(answer(hex("0a 0000")) == hex("01 0a 0000 01"))
        #expect(answer(hex("0a 1f00")) == hex("01 0a 1f00 01"))
        #expect(answer(hex("0c 3412 0000")) == hex("01 0c 3412 01"))
        #expect(answer(hex("12 1f00 0100")) == hex("01 12 1f00 01"))
    }

    @Test func readAndWriteNotPermitted() {
        // Heart Rate Measurement is notify-only; Heart Rate Control Point write-only.
        #expect(answer(hex("0a 0300")) == hex("01 0a 0300 02"))
        #expect(answer(hex("0c 0300 0000")) == hex("01 0c 0300 02"))
        #expect(answer(hex("0a 0800")) == hex("01 0a 0800 02"))
        // Read By Type: an unreadable first match is the error, at its handle.
        #expect(answer(hex("08 0100 ffff 372a")) == hex("01 08 0300 02"))
        // Declarations and read-only values cannot be written.
        #expect(answer(hex("12 0100 0d18")) == hex("01 12 0100 03"))
        #expect(answer(hex("12 0200 00")) == hex("01 12 0200 03"))
        #expect(answer(hex("12 0600 01")) == hex("01 12 0600 03"))
        // A refused Write Command is silently dropped.
        #expect(answer(hex("52 0600 01")) == nil)
    }

    @Test func invalidAttributeValueLengthForBadCCCDWrites() {
        #expect(answer(hex("12 0400 01")) == hex("01 12 0400 0d"))
        #expect(answer(hex("12 0400 010000")) == hex("01 12 0400 0d"))
        #expect(answer(hex("12 0400")) == hex("01 12 0400 0d"))
        var server = server()
        _ = server.handle(request: hex("12 0400 01"))
        #expect(!server.isSubscribed(handle: AttributeHandle(0x03)))
        // Longer than GATT's 512-byte limit.
        #expect(answer(hex("12 0800") + [UInt8](repeating: 1, count: 513)) == hex("01 12 0800 0d"))
    }

    @Test func requestNotSupported() {
        // Prepare / Execute Write (queued writes are not implemented).
        #expect(answer(hex("16 0800 0000 01")) == hex("01 16 0000 06"))
        #expect(answer(hex("18 01")) == hex("01 18 0000 06"))
        // Opcodes no version of ATT defines: a request is refused, a command ignored.
        #expect(answer(hex("3f 0100")) == hex("01 3f 0000 06"))
        #expect(answer(hex("7f 0100")) == nil)
        // Read By Group Type on something other than a service: Unsupported Group Type.
        #expect(answer(hex("10 0100 ffff 0328")) == hex("01 10 0100 10"))
    }

    @Test func malformedRequestsGetInvalidPDU() {
        let malformed: [[UInt8]] = [
            hex("02"), hex("02 f7"), hex("02 f700 00"),           // MTU: short, long
            hex("04 0100"), hex("04 0100 ffff 00"),                // Find Information
            hex("06 0100 ffff 00"),                                // Find By Type Value without type
            hex("08 0100 ffff 28"), hex("08 0100 ffff 032800"),    // Read By Type: 1- or 3-byte UUID
            hex("10 0100 ffff"), hex("10 0100 ffff 00280000"),     // Read By Group Type: no / 4-byte UUID
            hex("0a"), hex("0a 01"), hex("0a 0100 00"),            // Read
            hex("0c 0100 00"),                                     // Read Blob
            hex("0e 0100"), hex("0e 0100 020003"),                 // Read Multiple: one handle, odd length
            hex("20 0100"),                                        // Read Multiple Variable
            hex("12 01"),                                          // Write without a full handle
            hex("18"), hex("18 0100"),                             // Execute Write
        ]
        for request in malformed {
            #expect(answer(request) == [0x01, request[0], 0x00, 0x00, 0x04], "\(request.hexString)")
        }
        // Malformed commands and PDUs meant for a client are dropped without an answer.
        for dropped in [hex("52 01"), hex("d2 0100 00"), hex("1e 00"), hex("01 0a"), hex("03 f7"), hex("1b 01"), []] {
            #expect(answer(dropped) == nil, "\(dropped.hexString)")
        }
    }

    /// Seeded random PDUs: every answer is nil or one well-formed ATT PDU no longer than
    /// the MTU, and nothing traps.
    @Test func randomPDUsNeverCrash() throws {
        let seed: UInt64 = 0x6761_7477_6179_0003
        print("randomPDUsNeverCrash seed 0x\(String(seed, radix: 16))")
        var random = SeededGenerator(seed: seed)
        var server = server()
        let opcodes: [UInt8] = [0x02, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0E, 0x10, 0x12, 0x16, 0x18, 0x1E, 0x20, 0x52, 0xD2]
        for _ in 0..<20_000 {
            let length = Int(random.next() % 24)
            var pdu = [opcodes[Int(random.next() % UInt64(opcodes.count))]]
            for _ in 0..<length { pdu.append(UInt8(truncatingIfNeeded: random.next() % 3 == 0 ? random.next() % 0x20 : random.next())) }
            guard let response = server.handle(request: pdu) else { continue }
            #expect(response.count <= Int(server.mtu))
            #expect(throws: Never.self) { try ATTPDU(parsing: response.span.bytes) }
        }
    }
}
