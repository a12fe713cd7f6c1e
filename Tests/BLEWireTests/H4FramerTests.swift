import GaitwayTestSupport
import Testing
@testable import BLEWire

/// A real H4 byte stream: Bumble's `tests/hci_data_001.bin` (google/bumble, Apache-2.0,
/// commit f534657891fa6a824cc071e17834a2b1995c45e7), which its `transport_test.py` feeds to
/// its packet parser in random 1...9-byte reads. 118 packets, 1944 bytes: controller
/// start-up Command Completes, LE Advertising Reports of nearby phones and beacons, a
/// Command Status for LE Create Connection, LE Connection Complete, ACL data with ATT,
/// Number Of Completed Packets and LE Connection Update Complete.
enum BumbleCapture {
    static let h4Stream: [UInt8] = [UInt8](hex: """
        040e0401030c00040e0c010310000000000060000000040e0c010110000a00000af105ffff040e0a0109100000000000
        0000040e07010220001b0007040e0c01032000ff49010000000000040e0c011c2000ffff3fffff030000040e44010210
        002000800000c000000000e40000002822000000000000040000f7ffff7f00000030f0f9ff0100800400000000000000
        0000000000000000000000000000000000040e0401010c00040e0401012000040e050107200000040e05010f20000804
        0e0401102000040e05012a200008040e0401292000040e0c012f20001b00900a00c00000040e08012320001b00480104
        0e0401630c00040e0401242000040e0401312000040e0401030c00040e0c010310000000000060000000040e0c010110
        000a00000af105ffff040e0a01091000000000000000040e07010220001b0007040e0c01032000ff4901000000000004
        0e0c011c2000ffff3fffff030000040e44010210002000800000c000000000e40000002822000000000000040000f7ff
        ff7f00000030f0f9ff01008004000000000000000000000000000000000000000000000000040e0401010c00040e0401
        012000040e050107200000040e05010f200008040e0401102000040e05012a200008040e0401292000040e0c012f2000
        1b00900a00c00000040e08012320001b004801040e0401630c00040e0401242000040e0401312000040e040108200004
        0e0401052000040e04010b2000040e04010c2000043e1a02010000489eaa9818f00e0201060aff4c0010054c1ccde401
        df043e0c02010400489eaa9818f000df043e2302010001b12a6a35f24d1702010613ff4c000c0e08974db1a65d2c4d18
        1a3cab2323df043e0c02010401b12a6a35f24d00df043e23020100018178dc59d05e1702010613ff4c000c0e08974db1
        a65d2c4d181a3cab2323da043e0c020104018178dc59d05e00d7043e1b02010301530ec4c3941d0f02011a0bff4c0009
        060308c0a85626cc043e1d02010000b1ae7db0d2d01102011a020a0c0aff4c0010050d1425cb1ecd043e0c02010400b1
        ae7db0d2d000cd043e1e02010001badd754041501202011a020a070bff4c0010063c1eee34134ce6043e0c02010401ba
        dd7540415000e6043e2402010000ac8c49e5b7541802010603038ffe03ff13040c095354414e4d4f5245204949b5043e
        2402010001197fa83ee946180201020303a0fe1016a0fe03fa8fca3581356b2020203effc5043e1a02010401197fa83e
        e9460e0d094b69746368656e20486f6d65c3043e2a02010001f0cfbc44acfc1e0201061106ba5689a6fabfa2bd01467d
        6e00fbabad08160a181604659b03e0043e1902010401f0cfbc44acfc0d09094368617267652032020a05e1043e2b0201
        0301920e80f63b3d1f02011a03036ffd17166ffd15b387ccccae3ff23098193986dec8ce34a07347c0043e1e02010001
        9b8a13357a451202011a020a070bff4c001006321a8fdbe612be043e0c020104019b8a13357a4500be043e0c02010400
        ac8c49e5b75400b5043e2b02010000d461c236f1fc1f02011a1bff7500420401206f190f000201310000000000000000
        0000000000b1043e1d020100013dbddc9df2531102011a020a0c0aff4c0010050b1c921b60b1043e2a02010001df5b18
        a17ff91e0201061106e8bf6ccf178b32b84c486ae500ffbaab08160a182c04c55f03c4043e1302010401df5b18a17ff9
        07060953656e7365c5043e0c020104013dbddc9df25300b4043e1d02010001a498d584ab481102011a020a0c0aff4c00
        10050b1c921b60b3043e0c02010401a498d584ab4800b3040e04010c2000040e0401052000040e0401112000040e0401
        0b2000040e04010c2000043e2a02010001f0cfbc44acfc1e0201061106ba5689a6fabfa2bd01467d6e00fbabad08160a
        181604659b03e3040e04010c2000040f0400010d20043e13010000000001f0cfbc44acfc280000002a0007043e041400
        0000040f04000116200200200d0009000400060100ffff00280118043e0c040000000100000000000000041305010000
        010004130501000001000200200d0009000400060e00ffff002801180413050100000100020020070003000400031700
        04130501000001000200200b00070004000806000d000328041305010000010002002012000e00040011060100040001
        1805000b00001804130501000001000200200b0007000400080d000d00032804130501000001000200201a0016000400
        11140c001600ba5689a6fabfa2bd01467d6e00fbabad04130501000001000200200900050004000409000d0004130501
        000001000200201a001600040011141c001f008029e693aa4e029f0541a84f00fa8d5504130501000001000200200900
        0500040052090002000200201b0017000400060100ffff0028d0002d121e4b0fa4994eceb531f4057902002009000500
        0400011020000a041305010000010004130501000001000200201b0017000400060100ffff002880d534e3b30d31e848
        c33f2500fdbc1604130501000001000200200500010004001304130501000001000200200d00090004000b4368617267
        65203204130501000001000200200700030004000b400402002010000c00050012010800ff00b50100005802040f0400
        0113200413050100000100043e0a03000000b50100005802
        """)!
    static let packetCount = 118
}

/// Frames `stream` fed in chunks of the given sizes (the last chunk takes the rest).
private func frame(_ stream: [UInt8], chunkSizes: some Sequence<Int>) throws -> [Packet] {
    var framer = H4Framer()
    var packets: [Packet] = []
    var position = 0
    var sizes = chunkSizes.makeIterator()
    while position < stream.count {
        let size = min(sizes.next() ?? stream.count, stream.count - position)
        try framer.feed(stream.span.bytes.extracting(position..<(position + size))) { type, packet, offset in
            packets.append(Packet(type: type, bytes: packet.copyBytes(), offset: offset))
        }
        position += size
    }
    #expect(!framer.hasPartialPacket)
    #expect(framer.streamOffset == stream.count)
    return packets
}

private struct Packet: Equatable, CustomStringConvertible {
    var type: HCIPacketType
    var bytes: [UInt8]
    var offset: Int
    var description: String { "\(type)@\(offset): \(bytes.hexString)" }
}


@Suite struct H4FramerTests {
    let stream = BumbleCapture.h4Stream

    @Test func framesTheWholeBufferIntoEveryPacket() throws {
        let packets = try frame(stream, chunkSizes: [stream.count])
        #expect(packets.count == BumbleCapture.packetCount)
        // First: Command Complete for HCI_Reset (opcode 0x0c03), status success.
        #expect(packets.first == Packet(type: .event, bytes: [0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00], offset: 1))
        // Last: LE Connection Update Complete at offset 1932 (the indicator is at 1931).
        #expect(packets.last == Packet(type: .event, bytes: [UInt8](hex: "3e0a03000000b50100005802")!, offset: 1932))
        #expect(packets.filter { $0.type == .aclData }.count == 17)
        // Packets and indicators account for every byte.
        #expect(packets.reduce(0) { $0 + $1.bytes.count + 1 } == stream.count)
    }

    @Test func oneByteAtATimeEqualsWholeBuffer() throws {
        let whole = try frame(stream, chunkSizes: [stream.count])
        let bytewise = try frame(stream, chunkSizes: repeatElement(1, count: stream.count))
        #expect(bytewise == whole)
    }

    @Test func everySplitPointEqualsWholeBuffer() throws {
        let whole = try frame(stream, chunkSizes: [stream.count])
        for split in 1..<stream.count {
            let halves = try frame(stream, chunkSizes: [split, stream.count - split])
            #expect(halves == whole, "split at \(split)")
            if halves != whole { break }
        }
    }

    @Test func mixedChunkSizesEqualWholeBuffer() throws {
        let whole = try frame(stream, chunkSizes: [stream.count])
        for seed: UInt64 in [1, 2, 3, 0xB1E5, 20_261_121] {
            var generator = SeededGenerator(seed: seed)
            let sizes = (0..<stream.count).map { _ in Int.random(in: 1...300, using: &generator) }
            let chunked = try frame(stream, chunkSizes: sizes)
            #expect(chunked == whole, "seed \(seed)")
        }
    }

    @Test func packetsInsideAChunkAreNotCopied() throws {
        var framer = H4Framer()
        let bytes = stream
        try bytes.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            var delivered = 0
            try framer.feed(bytes.span.bytes) { _, packet, offset in
                packet.withUnsafeBytes { packetBytes in
                    #expect(packetBytes.baseAddress == base + offset)
                }
                delivered += 1
            }
            #expect(delivered == BumbleCapture.packetCount)
        }
    }

    @Test func headerWithEmptyPayloadCompletesAtTheEndOfAChunk() throws {
        // HCI_Reset command: 01 | 03 0c | 00, split after the opcode.
        var framer = H4Framer()
        var packets: [[UInt8]] = []
        let first: [UInt8] = [0x01, 0x03, 0x0C]
        let second: [UInt8] = [0x00]
        try framer.feed(first.span.bytes) { _, packet in packets.append(packet.copyBytes()) }
        #expect(packets.isEmpty)
        #expect(framer.hasPartialPacket)
        #expect(framer.bufferedByteCount == 2)
        try framer.feed(second.span.bytes) { _, packet in packets.append(packet.copyBytes()) }
        #expect(packets == [[0x03, 0x0C, 0x00]])
        #expect(!framer.hasPartialPacket)
    }

    @Test func largestACLPacketIsAssembledAcrossReads() throws {
        var stream: [UInt8] = [0x02, 0x40, 0x20, 0xFF, 0xFF]
        stream += (0..<65535).map { UInt8(truncatingIfNeeded: $0) }
        stream += [0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00]
        var generator = SeededGenerator(seed: 7)
        let sizes = (0..<2000).map { _ in Int.random(in: 1...4096, using: &generator) }
        let packets = try frame(stream, chunkSizes: sizes)
        #expect(packets.count == 2)
        #expect(packets[0].type == .aclData)
        #expect(packets[0].bytes.count == 4 + 65535)
        #expect(packets[0].bytes == Array(stream[1..<(5 + 65535)]))
        #expect(packets[1] == Packet(type: .event, bytes: [0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00], offset: 5 + 65535 + 1))
    }

    @Test func isoLengthIgnoresReservedBits() throws {
        // ISO header: handle 0x0060, ISO_Data_Load_Length 3 with the two RFU bits set.
        let stream: [UInt8] = [0x05, 0x60, 0x00, 0x03, 0xC0, 0xAA, 0xBB, 0xCC]
        let packets = try frame(stream, chunkSizes: [stream.count])
        #expect(packets == [Packet(type: .isoData, bytes: Array(stream[1...]), offset: 1)])
    }

    @Test func unknownIndicatorIsDroppedAndReportedWithItsStreamOffset() throws {
        // Reset complete, a stray 0xFF, then Reset complete again; fed in two reads so the
        // error offset must count the first read too.
        let reset: [UInt8] = [0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00]
        let firstRead: [UInt8] = Array(reset[0..<3])
        let secondRead: [UInt8] = Array(reset[3...]) + [0xFF] + reset
        var framer = H4Framer()
        var packets: [[UInt8]] = []
        try framer.feed(firstRead.span.bytes) { _, packet in packets.append(packet.copyBytes()) }
        #expect(throws: WireError(.h4, .unknownType(field: "H4 packet indicator", value: 0xFF), at: 7)) {
            try framer.feed(secondRead.span.bytes) { _, packet in packets.append(packet.copyBytes()) }
        }
        // Both packets were delivered: the bad byte was dropped and framing went on.
        #expect(packets.count == 2)
        #expect(framer.discardedByteCount == 1)
        #expect(framer.streamOffset == 15)
        // And the framer keeps working afterwards.
        try framer.feed(reset.span.bytes) { _, packet in packets.append(packet.copyBytes()) }
        #expect(packets.count == 3)
    }

    @Test func aHandlerErrorDoesNotLoseLaterPackets() throws {
        var framer = H4Framer()
        var seen = 0
        let failure = WireError(.hci, .trailingBytes(count: 1), at: 42)
        #expect(throws: failure) {
            try framer.feed(stream.span.bytes) { (_, _) throws(WireError) in
                seen += 1
                if seen == 3 { throw failure }
            }
        }
        #expect(seen == BumbleCapture.packetCount)
        #expect(!framer.hasPartialPacket)
    }

    @Test func resetDropsAPartialPacket() throws {
        var framer = H4Framer()
        let partial: [UInt8] = [0x04, 0x0E, 0x04, 0x01]
        try framer.feed(partial.span.bytes) { _, _ in Issue.record("no packet expected") }
        #expect(framer.hasPartialPacket)
        framer.reset()
        #expect(!framer.hasPartialPacket)
        var packets = 0
        let reset: [UInt8] = [0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00]
        try framer.feed(reset.span.bytes) { _, _ in packets += 1 }
        #expect(packets == 1)
    }

    @Test func everyTruncationOfTheStreamLeavesAPartialPacketNotACrash() throws {
        // Feeding any prefix must deliver only whole packets and keep the rest pending.
        let whole = try frame(stream, chunkSizes: [stream.count])
        for cut in stride(from: 0, to: stream.count, by: 7) {
            var framer = H4Framer()
            var count = 0
            try framer.feed(stream.span.bytes.extracting(0..<cut)) { _, _ in count += 1 }
            #expect(count == whole.filter { $0.offset + $0.bytes.count <= cut }.count)
        }
    }
}
