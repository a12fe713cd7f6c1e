import GaitwayTestSupport
import Testing
@testable import BLEWire

/// The first 339 bytes (file header and 10 records) of a real Android capture,
/// github.com/phlash/blefun `btsnoop_hci.log` (datalink 1002, HCI UART). tshark prints
/// its first frames as:
///
/// ```
/// 1  1546808462.811499  4   0x01 0x00  Sent Reset
/// 2  1546808462.842172  7   0x04 0x01  Rcvd Command Complete (Reset)
/// 3  1546808462.843972  4   0x01 0x00  Sent Read Buffer Size
/// 4  1546808462.851389  14  0x04 0x01  Rcvd Command Complete (Read Buffer Size)
/// 5  1546808462.852732  11  0x01 0x00  Sent Host Buffer Size
/// 6  1546808462.855448  7   0x04 0x01  Rcvd Command Complete (Host Buffer Size)
/// 7  1546808462.857676  4   0x01 0x00  Sent Read Local Version Information
/// 8  1546808462.860453  15  0x04 0x01  Rcvd Command Complete (Read Local Version Information)
/// 9  1546808462.862071  4   0x01 0x00  Sent Read BD ADDR
/// 10 1546808462.869640  13  0x04 0x01  Rcvd Command Complete (Read BD ADDR)
/// ```
/// (`tshark -T fields -e frame.number -e frame.time_epoch -e frame.len -e hci_h4.type
/// -e hci_h4.direction -e _ws.col.Info`.)
private let androidCapture = [UInt8](hex: """
    6274736e6f6f700000000001000003ea0000000400000004
    000000020000000000e25c837825a16b01030c0000000007
    00000007000000030000000000e25c837826193c040e0401
    030c000000000400000004000000020000000000e25c8378
    262044010510000000000e0000000e000000030000000000
    e25c8378263d3d040e0b0105100000043206000800000000
    0b0000000b000000020000000000e25c837826427c01330c
    079b06ff14000a0000000007000000070000000300000000
    00e25c8378264d18040e0401330c00000000040000000400
    0000020000000000e25c83782655cc010110000000000f00
    00000f000000030000000000e25c83782660a5040e0c0101
    1000060000061d00d3070000000400000004000000020000
    000000e25c83782666f7010910000000000d0000000d0000
    00030000000000e25c8378268488040e0a01091000747267
    4064dc
    """)!

private let androidTimestamps: [Int64] = [
    1_546_808_462_811_499, 1_546_808_462_842_172, 1_546_808_462_843_972, 1_546_808_462_851_389,
    1_546_808_462_852_732, 1_546_808_462_855_448, 1_546_808_462_857_676, 1_546_808_462_860_453,
    1_546_808_462_862_071, 1_546_808_462_869_640,
]

/// What a test keeps of each record: the normalised fields and the packet bytes.
private struct ReadPacket: Equatable {
    var type: HCIPacketType?
    var direction: PacketDirection
    var timestampMicros: Int64
    var adapterIndex: UInt16 = 0
    var opcode: BTSnoopMonitorOpcode? = nil
    var bytes: [UInt8]
}

private func readAll(_ file: [UInt8]) throws(WireError) -> [ReadPacket] {
    let span = file.span.bytes
    var reader = try BTSnoopReader(file: span)
    var packets: [ReadPacket] = []
    try reader.forEach(in: span) { record, packet throws(WireError) in
        packets.append(ReadPacket(type: record.packetType, direction: record.direction, timestampMicros: record.timestampMicros,
                                  adapterIndex: record.adapterIndex, opcode: record.monitorOpcode, bytes: packet.copyBytes()))
    }
    return packets
}

/// A small exchange covering every packet kind (bytes without H4 indicators).
private let sampleExchange: [(HCIPacketType, PacketDirection, [UInt8])] = [
    (.command, .sent, [0x03, 0x0C, 0x00]),                                     // HCI_Reset
    (.event, .received, [0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00]),                 // Command Complete (Reset)
    (.aclData, .received, [0x40, 0x20, 0x07, 0x00, 0x03, 0x00, 0x04, 0x00, 0x1B, 0x10, 0x00]),  // ATT notification, no value
    (.aclData, .sent, [0x40, 0x00, 0x05, 0x00, 0x01, 0x00, 0x04, 0x00, 0x1E]), // ATT confirmation
    (.synchronousData, .received, [0x01, 0x00, 0x02, 0xAA, 0xBB]),
    (.isoData, .sent, [0x01, 0x20, 0x01, 0x00, 0xCC]),
]

@Suite struct BTSnoopTests {
    // MARK: A real capture

    @Test func readsRealAndroidCapture() throws {
        let span = androidCapture.span.bytes
        var reader = try BTSnoopReader(file: span)
        #expect(reader.datalink == .hciUART)
        var records: [BTSnoopRecord] = []
        while let record = try reader.next(in: span) { records.append(record) }
        #expect(records.count == 10)
        #expect(reader.offset == androidCapture.count)
        #expect(reader.recordCount == 10)
        #expect(records.map(\.timestampMicros) == androidTimestamps)
        #expect(records.map(\.packetType) == [HCIPacketType?](repeating: nil, count: 10).enumerated().map { $0.offset % 2 == 0 ? .command : .event })
        #expect(records.map(\.direction) == (0..<10).map { $0 % 2 == 0 ? .sent : .received })
        // frame.len in tshark counts the H4 indicator; `packet` does not.
        #expect(records.map(\.includedLength) == [4, 7, 4, 14, 11, 7, 4, 15, 4, 13])
        #expect(records.map(\.packet.count) == [3, 6, 3, 13, 10, 6, 3, 14, 3, 12])
        #expect(records.allSatisfy { !$0.isSnapshotTruncated && !$0.includedExceedsOriginal && $0.cumulativeDrops == 0 })
        #expect(records[0].offset == 16)
        #expect(records[0].packet == 41..<44)
        #expect(records[0].flags == 2)
        #expect(records[1].flags == 3)

        let reset = span.extracting(records[0].packet).copyBytes()
        #expect(reset == [0x03, 0x0C, 0x00])
        // Read BD ADDR complete: status 0, BD_ADDR DC:64:40:67:72:74.
        let bdAddr = span.extracting(records[9].packet).copyBytes()
        #expect(bdAddr == [0x0E, 0x0A, 0x01, 0x09, 0x10, 0x00, 0x74, 0x72, 0x67, 0x40, 0x64, 0xDC])
        #expect(records[0].unixTime.seconds == 1_546_808_462)
        #expect(records[0].unixTime.microseconds == 811_499)
    }

    @Test func writerReproducesTheAndroidCaptureByteForByte() throws {
        let original = try readAll(androidCapture)
        var writer = BTSnoopWriter(datalink: .hciUART)
        for packet in original {
            try writer.append(packet: packet.bytes, type: try #require(packet.type), direction: packet.direction,
                              timestampMicros: packet.timestampMicros)
        }
        #expect(writer.bytes == androidCapture)
    }

    // MARK: Round trips through the writer

    @Test(arguments: [BTSnoopDatalink.hciUART, .linuxMonitor])
    func roundTripsEveryPacketKind(datalink: BTSnoopDatalink) throws {
        var writer = BTSnoopWriter(datalink: datalink)
        var expected: [ReadPacket] = []
        for (index, (type, direction, bytes)) in sampleExchange.enumerated() {
            let time = 1_763_719_200_000_000 + Int64(index) * 1_250
            try writer.append(packet: bytes, type: type, direction: direction, timestampMicros: time, adapterIndex: 3)
            expected.append(ReadPacket(type: type, direction: direction, timestampMicros: time,
                                       adapterIndex: datalink == .linuxMonitor ? 3 : 0,
                                       opcode: datalink == .linuxMonitor ? BTSnoopMonitorOpcode(packetType: type, direction: direction) : nil,
                                       bytes: bytes))
        }
        #expect(try readAll(writer.bytes) == expected)
        #expect(Array(writer.bytes.prefix(16)) == BTSnoopWriter.header(datalink: datalink))
    }

    @Test func roundTripsUnencapsulatedHCI() throws {
        var writer = BTSnoopWriter(datalink: .hciUnencapsulated)
        let supported = sampleExchange.prefix(4)
        for (index, (type, direction, bytes)) in supported.enumerated() {
            try writer.append(packet: bytes, type: type, direction: direction, timestampMicros: Int64(index))
        }
        let read = try readAll(writer.bytes)
        #expect(read.map(\.type) == supported.map(\.0))
        #expect(read.map(\.direction) == supported.map(\.1))
        #expect(read.map(\.bytes) == supported.map(\.2))
        #expect(read.map(\.timestampMicros) == [0, 1, 2, 3])

        // Flags as Wireshark's btsnoop writer sets them: direction | command-or-event.
        let span = writer.bytes.span.bytes
        var reader = try BTSnoopReader(file: span)
        var flags: [UInt32] = []
        while let record = try reader.next(in: span) { flags.append(record.flags) }
        #expect(flags == [2, 3, 1, 0])

        // 1001 cannot say SCO or ISO, nor a command travelling to the host.
        #expect(throws: WireError.self) {
            try writer.append(packet: [0], type: .synchronousData, direction: .sent, timestampMicros: 0)
        }
        #expect(throws: WireError.self) {
            try writer.append(packet: [0], type: .command, direction: .received, timestampMicros: 0)
        }
    }

    @Test func monitorRecordsThatAreNotPacketsHaveNoPacketType() throws {
        var writer = BTSnoopWriter(datalink: .linuxMonitor)
        try writer.appendNewIndex(adapterIndex: 1, address: BDAddress("F6:F7:F8:F9:FA:FB")!, name: "hci1", timestampMicros: 10)
        try writer.appendMonitorRecord(opcode: .systemNote, timestampMicros: 11, payload: Array("Bluetooth subsystem version 2.22".utf8) + [0])
        try writer.append(packet: [0x03, 0x0C, 0x00], type: .command, direction: .sent, timestampMicros: 12, adapterIndex: 1)
        let read = try readAll(writer.bytes)
        #expect(read.map(\.opcode) == [.newIndex, .systemNote, .commandPacket])
        #expect(read.map(\.type) == [nil, nil, .command])
        #expect(read.map(\.adapterIndex) == [1, 0, 1])
        // New Index payload: type, bus, BD_ADDR (little-endian), 8-octet name.
        #expect(read[0].bytes == [0x00, 0x00, 0xFB, 0xFA, 0xF9, 0xF8, 0xF7, 0xF6] + Array("hci1".utf8) + [0, 0, 0, 0])

        var uart = BTSnoopWriter(datalink: .hciUART)
        #expect(throws: WireError.self) { try uart.appendMonitorRecord(opcode: .systemNote, timestampMicros: 0, payload: []) }
    }

    @Test func timestampsBeforeNineteenSeventyAndSnapshotLengths() throws {
        var writer = BTSnoopWriter(datalink: .hciUART)
        try writer.append(packet: [0x3E, 0x01], type: .event, direction: .received, timestampMicros: -1_500_000, originalLength: 40)
        let span = writer.bytes.span.bytes
        var reader = try BTSnoopReader(file: span)
        let record = try #require(try reader.next(in: span))
        #expect(record.timestampMicros == -1_500_000)
        #expect(record.unixTime.seconds == -2)
        #expect(record.unixTime.microseconds == 500_000)
        #expect(record.originalLength == 41)
        #expect(record.includedLength == 3)
        #expect(record.isSnapshotTruncated)
        #expect(!record.includedExceedsOriginal)
    }

    @Test func streamingWithTakeBytesConcatenatesToTheSameFile() throws {
        var whole = BTSnoopWriter(datalink: .hciUART)
        var streamed = BTSnoopWriter(datalink: .hciUART)
        var file = streamed.takeBytes()
        for (index, (type, direction, bytes)) in sampleExchange.enumerated() {
            try whole.append(packet: bytes, type: type, direction: direction, timestampMicros: Int64(index))
            try streamed.append(packet: bytes, type: type, direction: direction, timestampMicros: Int64(index))
            file += streamed.takeBytes()
        }
        #expect(file == whole.bytes)
    }

    // MARK: Malformed files

    @Test func rejectsFilesThatAreNotBTSnoop() throws {
        var notSnoop = androidCapture
        notSnoop[6] = UInt8(ascii: "q")
        #expect(throws: WireError(.btsnoop, .invalidValue(field: "btsnoop identification pattern", value: 0x71), at: 6)) {
            _ = try readAll(notSnoop)
        }
        let pcapng: [UInt8] = [0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0x1C]
        let recognised = [androidCapture, notSnoop, pcapng, []].map { BTSnoopHeader.hasIdentificationPattern($0.span.bytes) }
        #expect(recognised == [true, false, false, false])

        var version2 = androidCapture
        version2[11] = 2
        #expect(throws: WireError(.btsnoop, .invalidValue(field: "btsnoop version", value: 2), at: 8)) {
            _ = try readAll(version2)
        }
        var bcsp = androidCapture
        bcsp[15] = 0xEB  // 1003
        #expect(throws: WireError(.btsnoop, .unknownType(field: "btsnoop datalink", value: 1003), at: 12)) {
            _ = try readAll(bcsp)
        }
        #expect(throws: WireError(.btsnoop, .truncated(field: "btsnoop version", needed: 4, available: 2), at: 8)) {
            _ = try readAll(Array(androidCapture.prefix(10)))
        }
        #expect(throws: WireError(.btsnoop, .truncated(field: "btsnoop identification pattern", needed: 1, available: 0), at: 0)) {
            _ = try readAll([])
        }
        // A header alone is a valid, empty capture.
        #expect(try readAll(Array(androidCapture.prefix(16))).isEmpty)
    }

    @Test func truncatedLastRecordKeepsTheRecordsBeforeIt() throws {
        // Cut inside the last packet: 9 records, then an error at the 10th record's offset (302).
        let cutInPacket = Array(androidCapture.dropLast(5))
        let span = cutInPacket.span.bytes
        var reader = try BTSnoopReader(file: span)
        var kept = 0
        #expect(throws: WireError(.btsnoop, .truncated(field: "btsnoop packet", needed: 13, available: 8), at: 302)) {
            while try reader.next(in: span) != nil { kept += 1 }
        }
        #expect(kept == 9)
        #expect(reader.offset == 302)

        // Cut inside the last record header.
        let cutInHeader = Array(androidCapture.prefix(312))
        #expect(throws: WireError(.btsnoop, .truncated(field: "btsnoop record header", needed: 24, available: 10), at: 302)) {
            _ = try readAll(cutInHeader)
        }
    }

    @Test func includedLengthBeyondOriginalIsToleratedAndFlagged() throws {
        var file = BTSnoopWriter.header(datalink: .hciUnencapsulated)
        var record = ByteWriter()
        record.writeBigEndian(UInt32(2))   // original
        record.writeBigEndian(UInt32(3))   // included
        record.writeBigEndian(UInt32(3))   // received event
        record.writeBigEndian(UInt32(7))   // drops
        record.writeBigEndian(UInt64(bitPattern: BTSnoopHeader.unixEpochOffsetMicros))
        record.write(contentsOf: [0x0F, 0x01, 0x00] as [UInt8])
        file += record.bytes
        let span = file.span.bytes
        var reader = try BTSnoopReader(file: span)
        let read = try #require(try reader.next(in: span))
        #expect(read.includedExceedsOriginal)
        #expect(read.packetType == .event)
        #expect(read.cumulativeDrops == 7)
        #expect(read.timestampMicros == 0)
        #expect(read.packet == 40..<43)
    }

    @Test func emptyAndUnknownH4RecordsHaveNoPacketType() throws {
        var file = BTSnoopWriter.header(datalink: .hciUART)
        for payload in [[], [0xFF, 0x01]] as [[UInt8]] {
            var record = ByteWriter()
            record.writeBigEndian(UInt32(payload.count))
            record.writeBigEndian(UInt32(payload.count))
            record.writeBigEndian(UInt32(1))
            record.writeBigEndian(UInt32(0))
            record.writeBigEndian(UInt64(0))
            record.write(contentsOf: payload)
            file += record.bytes
        }
        let read = try readAll(file)
        #expect(read.map(\.type) == [nil, nil])
        #expect(read.map(\.bytes) == [[], [0x01]])
    }

    @Test func arbitraryBytesNeverCrash() throws {
        let seed: UInt64 = 0xB75_0009
        print("BTSnoopTests.arbitraryBytesNeverCrash seed \(seed)")
        var generator = SeededGenerator(seed: seed)
        var delivered = 0
        for round in 0..<3_000 {
            // Mutate a few bytes of the real capture (past the header most of the time) or cut it.
            var file = androidCapture
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let index = Int(generator.next() % UInt64(file.count))
                file[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            if round % 3 == 0 { file = Array(file.prefix(Int(generator.next() % UInt64(file.count + 1)))) }
            let span = file.span.bytes
            guard var reader = try? BTSnoopReader(file: span) else { continue }
            do {
                while let record = try reader.next(in: span) {
                    #expect(record.packet.lowerBound >= 0 && record.packet.upperBound <= file.count)
                    delivered += 1
                }
            } catch {
                #expect(error.layer == .btsnoop)
                #expect(error.offset >= 16 && error.offset < file.count)
            }
        }
        #expect(delivered > 1_000)
    }
}
