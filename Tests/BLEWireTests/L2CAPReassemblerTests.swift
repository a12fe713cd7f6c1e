import GaitwayTestSupport
import Testing
@testable import BLEWire

/// Feeds the reassembler the way NIO's `ByteToMessageDecoderVerifier` tests a decoder:
/// every split of the same PDUs, down to one byte at a time, must give the same result.
@Suite struct L2CAPReassemblerTests {
    /// What a push delivered, copied out so it can outlive the callback.
    struct Delivered: Equatable {
        var handle: ConnectionHandle
        var channel: L2CAPChannelID
        var payload: [UInt8]
        var reassembled: Bool
    }

    /// One ACL fragment as a test feeds it.
    struct Fragment {
        var handle: ConnectionHandle
        var boundary: ACLPacketBoundary
        var bytes: [UInt8]
        var offset: Int
    }

    /// A basic frame around `payload`.
    static func frame(_ channel: L2CAPChannelID, _ payload: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        L2CAPBasicHeader.encode(channel: channel, payload: payload, into: &writer)
        return writer.bytes
    }

    /// Cuts `pdu` into fragments of `size` bytes (the last may be shorter), the first
    /// flagged as a start; offsets continue from `offset` as if the fragments sat back to
    /// back in a capture.
    static func split(_ pdu: [UInt8], size: Int, handle: ConnectionHandle, offset: Int = 0) -> [Fragment] {
        stride(from: 0, to: pdu.count, by: size).map { start in
            Fragment(
                handle: handle, boundary: start == 0 ? .firstFlushable : .continuing,
                bytes: Array(pdu[start..<min(start + size, pdu.count)]), offset: offset + start)
        }
    }

    static func push(_ fragment: Fragment, into reassembler: inout L2CAPReassembler, _ out: inout [Delivered]) throws(WireError) -> Void {
        try reassembler.push(handle: fragment.handle, boundary: fragment.boundary, fragment: fragment.bytes.span.bytes, offset: fragment.offset) { frame in
            out.append(Delivered(handle: frame.connectionHandle, channel: frame.channelID, payload: frame.payload.copyBytes(), reassembled: frame.isReassembled))
        }
    }

    @Test func completeStartFragmentIsDeliveredWithoutCopy() throws {
        // An ATT notification in one ACL packet, as Bumble encodes it:
        // L2CAP_PDU(0x0004, '1b0300010203').to_bytes() (bumble 0.0.236).
        let pdu = [UInt8](hex: "060004001b0300010203")!
        var reassembler = L2CAPReassembler()
        var payloadOffset = -1
        var sameMemory = false
        let span = pdu.span.bytes
        try reassembler.push(handle: ConnectionHandle(0x40), boundary: .firstFlushable, fragment: span, offset: 100) { frame in
            payloadOffset = frame.payloadOffset
            let channel = frame.channelID, bytes = frame.payload.copyBytes(), reassembled = frame.isReassembled
            #expect(channel == .att)
            #expect(bytes == [0x1B, 0x03, 0x00, 0x01, 0x02, 0x03])
            #expect(!reassembled)
            sameMemory = frame.payload.withUnsafeBytes { payload in
                span.withUnsafeBytes { $0.baseAddress! + 4 == payload.baseAddress! }
            }
        }
        #expect(payloadOffset == 104)
        #expect(sameMemory)
        #expect(!reassembler.isAssembling(handle: ConnectionHandle(0x40)))
    }

    @Test func everyFragmentSizeGivesTheSamePDU() throws {
        let payload = (0..<61).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let pdu = Self.frame(.att, payload)
        for size in 1...pdu.count {
            var reassembler = L2CAPReassembler()
            var out: [Delivered] = []
            for fragment in Self.split(pdu, size: size, handle: ConnectionHandle(0x0041)) {
                try Self.push(fragment, into: &reassembler, &out)
            }
            #expect(out == [Delivered(handle: ConnectionHandle(0x0041), channel: .att, payload: payload, reassembled: size < pdu.count)], "fragment size \(size)")
            #expect(!reassembler.isAssembling(handle: ConnectionHandle(0x0041)))
        }
    }

    @Test func emptyPayloadAndHeaderSplitAcrossFragments() throws {
        // A 4-byte PDU with no payload, one byte per fragment: the header itself is split.
        let pdu = Self.frame(.leSignaling, [])
        var reassembler = L2CAPReassembler()
        var out: [Delivered] = []
        for fragment in Self.split(pdu, size: 1, handle: ConnectionHandle(1)) {
            try Self.push(fragment, into: &reassembler, &out)
        }
        #expect(out == [Delivered(handle: ConnectionHandle(1), channel: .leSignaling, payload: [], reassembled: true)])
    }

    @Test func twoConnectionsInterleavedByteByByte() throws {
        let payloadA = Array("notification on connection A, long enough to fragment".utf8)
        let payloadB = (0..<40).map { UInt8($0) }
        let pduA = Self.frame(.att, payloadA), pduB = Self.frame(L2CAPChannelID(0x0040), payloadB)
        for size in [1, 2, 3, 5, 27] {
            // Two PDUs per connection, so the second reuses the buffer the first left.
            let fragmentsA = Self.split(pduA, size: size, handle: ConnectionHandle(1)) + Self.split(pduA, size: size, handle: ConnectionHandle(1))
            let fragmentsB = Self.split(pduB, size: size, handle: ConnectionHandle(2)) + Self.split(pduB, size: size, handle: ConnectionHandle(2))
            var reassembler = L2CAPReassembler()
            var out: [Delivered] = []
            for index in 0..<max(fragmentsA.count, fragmentsB.count) {
                if index < fragmentsA.count { try Self.push(fragmentsA[index], into: &reassembler, &out) }
                if index < fragmentsB.count { try Self.push(fragmentsB[index], into: &reassembler, &out) }
            }
            let fromA = out.filter { $0.handle == ConnectionHandle(1) }.map(\.payload), fromB = out.filter { $0.handle == ConnectionHandle(2) }.map(\.payload)
            #expect(fromA == [payloadA, payloadA], "fragment size \(size)")
            #expect(fromB == [payloadB, payloadB], "fragment size \(size)")
            #expect(out.filter { $0.handle == ConnectionHandle(2) }.allSatisfy { $0.channel == L2CAPChannelID(0x0040) })
        }
    }

    @Test func randomSplitsAcrossConnections() throws {
        // Seeded so that a failure can be replayed; the seed is printed on failure.
        let seed: UInt64 = 0x6A17_3A11
        var generator = SeededGenerator(seed: seed)
        var reassembler = L2CAPReassembler()
        var expected: [ConnectionHandle: [[UInt8]]] = [:]
        var pending: [ConnectionHandle: [Fragment]] = [:]
        for round in 0..<200 {
            let handle = ConnectionHandle(UInt16(generator.next() % 4))
            let length = Int(generator.next() % 300)
            let payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            expected[handle, default: []].append(payload)
            let pdu = Self.frame(.att, payload)
            var start = 0
            while start < pdu.count {
                let size = 1 + Int(generator.next() % 40)
                let end = min(start + size, pdu.count)
                pending[handle, default: []].append(Fragment(handle: handle, boundary: start == 0 ? .firstFlushable : .continuing, bytes: Array(pdu[start..<end]), offset: round * 1000 + start))
                start = end
            }
        }
        var out: [Delivered] = []
        while !pending.values.allSatisfy(\.isEmpty) {
            let handle = ConnectionHandle(UInt16(generator.next() % 4))
            guard var queue = pending[handle], !queue.isEmpty else { continue }
            try Self.push(queue.removeFirst(), into: &reassembler, &out)
            pending[handle] = queue
        }
        for handle in (UInt16(0)..<4).map({ ConnectionHandle($0) }) {
            #expect(out.filter { $0.handle == handle }.map(\.payload) == (expected[handle] ?? []), "seed \(seed)")
        }
    }

    @Test func bufferIsReusedAcrossPDUs() throws {
        let pdu = Self.frame(.att, Array(repeating: 0xAB, count: 200))
        var reassembler = L2CAPReassembler()
        var out: [Delivered] = []
        var addresses: [UnsafeRawPointer?] = []
        for _ in 0..<3 {
            for fragment in Self.split(pdu, size: 27, handle: ConnectionHandle(7)) { try Self.push(fragment, into: &reassembler, &out) }
            addresses.append(reassembler.connections[ConnectionHandle(7)]?.buffer.withUnsafeBytes { $0.baseAddress })
        }
        #expect(out.count == 3)
        #expect(addresses[0] != nil && addresses[0] == addresses[1] && addresses[1] == addresses[2])
        #expect(reassembler.connections[ConnectionHandle(7)]?.buffer.capacity ?? 0 >= 204)
    }

    // MARK: Errors

    @Test func continuationWithoutStartIsAnError() throws {
        var reassembler = L2CAPReassembler()
        var out: [Delivered] = []
        let orphan = Fragment(handle: ConnectionHandle(3), boundary: .continuing, bytes: [1, 2, 3], offset: 50)
        #expect(throws: WireError(.l2cap, .invalidValue(field: "ACL continuation without a start fragment", value: 1), at: 50)) {
            try Self.push(orphan, into: &reassembler, &out)
        }
        // Recovery: the next start fragment works.
        for fragment in Self.split(Self.frame(.att, [9, 9]), size: 3, handle: ConnectionHandle(3), offset: 60) {
            try Self.push(fragment, into: &reassembler, &out)
        }
        #expect(out.map(\.payload) == [[9, 9]])
    }

    @Test func newStartWhileIncompleteDiscardsThePartialPDU() throws {
        var reassembler = L2CAPReassembler()
        var out: [Delivered] = []
        let first = Self.split(Self.frame(.att, Array(repeating: 1, count: 10)), size: 6, handle: ConnectionHandle(4), offset: 0)
        try Self.push(first[0], into: &reassembler, &out)  // 4 header + 2 of 10 payload bytes
        let next = Self.frame(.att, [7, 7, 7])
        // The new, complete PDU is still delivered; then the abandoned one is reported.
        #expect(throws: WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: 10, actual: 2), at: 200)) {
            try Self.push(Fragment(handle: ConnectionHandle(4), boundary: .firstFlushable, bytes: next, offset: 200), into: &reassembler, &out)
        }
        #expect(out.map(\.payload) == [[7, 7, 7]])
        // The leftover continuation of the abandoned PDU is now an orphan.
        #expect(throws: WireError.self) { try Self.push(first[1], into: &reassembler, &out) }
        #expect(!reassembler.isAssembling(handle: ConnectionHandle(4)))
    }

    @Test func fragmentOverflowingTheDeclaredLength() throws {
        var reassembler = L2CAPReassembler()
        var out: [Delivered] = []
        // Declared payload 6; a start of 4+4 bytes, then a continuation of 5 (2 too many).
        let pdu = Self.frame(.att, [1, 2, 3, 4, 5, 6])
        try Self.push(Fragment(handle: ConnectionHandle(9), boundary: .firstFlushable, bytes: Array(pdu[0..<8]), offset: 1000), into: &reassembler, &out)
        #expect(throws: WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: 6, actual: 9), at: 2002)) {
            try Self.push(Fragment(handle: ConnectionHandle(9), boundary: .continuing, bytes: [5, 6, 0xEE, 0xEE, 0xEE], offset: 2000), into: &reassembler, &out)
        }
        // Further continuations of the rejected PDU are dropped quietly, then a start recovers.
        try Self.push(Fragment(handle: ConnectionHandle(9), boundary: .continuing, bytes: [0xEE], offset: 3000), into: &reassembler, &out)
        #expect(reassembler.discardedFragmentCount == 1)
        try Self.push(Fragment(handle: ConnectionHandle(9), boundary: .firstFlushable, bytes: pdu, offset: 4000), into: &reassembler, &out)
        #expect(out.map(\.payload) == [[1, 2, 3, 4, 5, 6]])

        // A start fragment longer than its own declared PDU.
        #expect(throws: WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: 6, actual: 7), at: 510)) {
            try Self.push(Fragment(handle: ConnectionHandle(9), boundary: .firstFlushable, bytes: pdu + [0], offset: 500), into: &reassembler, &out)
        }
    }

    @Test func oversizePDUIsRejectedBeforeBuffering() throws {
        // Sized for an ATT MTU of 517, as BlueZ and most phones negotiate.
        var reassembler = L2CAPReassembler(maximumPDUSize: 517 + 4)
        var out: [Delivered] = []
        let big = Self.frame(.att, Array(repeating: 0, count: 518))
        let fragments = Self.split(big, size: 251, handle: ConnectionHandle(5), offset: 10)
        #expect(throws: WireError(.l2cap, .oversize(field: "L2CAP PDU", limit: 521, actual: 522), at: 10)) {
            try Self.push(fragments[0], into: &reassembler, &out)
        }
        for fragment in fragments.dropFirst() { try Self.push(fragment, into: &reassembler, &out) }
        #expect(reassembler.discardedFragmentCount == fragments.count - 1)
        #expect(reassembler.connections[ConnectionHandle(5)]?.buffer.capacity ?? 0 == 0)
        // Exactly at the limit is fine.
        for fragment in Self.split(Self.frame(.att, Array(repeating: 1, count: 517)), size: 251, handle: ConnectionHandle(5)) {
            try Self.push(fragment, into: &reassembler, &out)
        }
        #expect(out.map(\.payload.count) == [517])

        // A header split across fragments is checked as soon as it is complete.
        var small = L2CAPReassembler(maximumPDUSize: 30)
        let header = Self.frame(.att, Array(repeating: 0, count: 40))
        try Self.push(Fragment(handle: ConnectionHandle(1), boundary: .firstFlushable, bytes: [header[0]], offset: 70), into: &small, &out)
        #expect(throws: WireError(.l2cap, .oversize(field: "L2CAP PDU", limit: 30, actual: 44), at: 70)) {
            try Self.push(Fragment(handle: ConnectionHandle(1), boundary: .continuing, bytes: Array(header[1..<10]), offset: 71), into: &small, &out)
        }
    }

    @Test func resetForgetsAConnection() throws {
        var reassembler = L2CAPReassembler()
        var out: [Delivered] = []
        let fragments = Self.split(Self.frame(.att, [1, 2, 3, 4]), size: 5, handle: ConnectionHandle(6))
        try Self.push(fragments[0], into: &reassembler, &out)
        #expect(reassembler.isAssembling(handle: ConnectionHandle(6)))
        reassembler.reset(handle: ConnectionHandle(6))
        #expect(!reassembler.isAssembling(handle: ConnectionHandle(6)))
        #expect(reassembler.activeCount == 0)
        #expect(throws: WireError.self) { try Self.push(fragments[1], into: &reassembler, &out) }
        #expect(out.isEmpty)
    }

    @Test func errorThrownByTheCallbackLeavesStateConsistent() throws {
        var reassembler = L2CAPReassembler()
        let pdu = Self.frame(.att, [1, 2, 3])
        let failure = WireError(.att, .unknownType(field: "test", value: 1), at: 0)
        for fragment in Self.split(pdu, size: 2, handle: ConnectionHandle(1)) {
            do {
                try reassembler.push(handle: fragment.handle, boundary: fragment.boundary, fragment: fragment.bytes.span.bytes, offset: 0) { _ throws(WireError) in
                    throw failure
                }
            } catch {
                #expect(error == failure)
            }
        }
        #expect(reassembler.activeCount == 0)
        var out: [Delivered] = []
        for fragment in Self.split(pdu, size: 2, handle: ConnectionHandle(1)) { try Self.push(fragment, into: &reassembler, &out) }
        #expect(out.map(\.payload) == [[1, 2, 3]])
    }

    // MARK: Basic header

    @Test func basicHeaderParsesAndChecksLength() throws {
        // Bumble 0.0.236: L2CAP_PDU(0x0004, bytes.fromhex('1b0300010203')).to_bytes()
        let pdu = [UInt8](hex: "060004001b0300010203")!
        let header = try L2CAPBasicHeader(parsing: pdu.span.bytes)
        #expect(header == L2CAPBasicHeader(length: 6, channelID: .att, payload: 4..<10))
        #expect(throws: WireError(.l2cap, .lengthMismatch(field: "L2CAP length", declared: 6, actual: 5), at: 20)) {
            _ = try parseBytes(L2CAPBasicHeader.self, Array(pdu.dropLast()), base: 20)
        }
        #expect(throws: WireError(.l2cap, .truncated(field: "L2CAP channel ID", needed: 2, available: 1), at: 2)) {
            _ = try parseBytes(L2CAPBasicHeader.self, Array(pdu[0..<3]))
        }
        var writer = ByteWriter()
        L2CAPBasicHeader.encode(channel: .att, payload: pdu[4...], into: &writer)
        #expect(writer.bytes == pdu)
        #expect(L2CAPChannelID.securityManager.rawValue == 6 && L2CAPChannelID.leSignaling.rawValue == 5)
    }
}
