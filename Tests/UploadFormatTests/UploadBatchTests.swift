import Foundation
import GaitwayTestSupport
import Testing
import UploadFormat

/// A batch with every kind of row and every optional both ways.
func sampleBatch(samples count: Int = 100) throws -> UploadBatch {
    var batch = try UploadBatch(id: "gw-7.batch:000042", gatewayID: "gateway-7 (Küche)")
    for index in 0..<count {
        batch.appendSample(address: index % 2 == 0 ? "C0:11:22:33:44:55" : "C0:11:22:33:44:66",
                           quantity: index % 3 == 0 ? "heart_rate" : "plantar_force",
                           unit: index % 5 == 0 ? nil : "N", channel: Int32(index % 8) - 1,
                           timeMicros: 1_764_000_000_000_000 + Int64(index) * 10_000, value: Double(index) * 0.25 - 3)
    }
    batch.appendEvent(address: "C0:11:22:33:44:55", kind: "connected", detail: nil, timeMicros: 1_764_000_000_000_000)
    batch.appendEvent(address: "C0:11:22:33:44:66", kind: "disconnected", detail: "reason 0x08",
                      timeMicros: 1_764_000_000_500_000)
    batch.appendMetricRecord(subjectKind: .wearer, subject: "runner", metric: "rmssd", unit: "ms",
                             timeMicros: 1_764_000_000_000_000, endMicros: 1_764_000_300_000_000, value: 42.5,
                             quality: 0.9)
    batch.appendMetricRecord(subjectKind: .device, subject: "C0:11:22:33:44:55", metric: "stride_time", unit: "s",
                             timeMicros: 1_764_000_000_100_000, endMicros: nil, value: 1.05, quality: nil)
    return batch
}

@Suite struct UploadBatchTests {
    @Test func roundTripsEveryField() throws {
        let batch = try sampleBatch()
        let decoded = try UploadBatch(decoding: batch.encoded())
        #expect(decoded == batch)
        #expect(decoded.samples.count == 100)
        #expect(decoded.string(decoded.samples[1].address) == "C0:11:22:33:44:66")
        #expect(decoded.samples[0].unit == nil)
        #expect(decoded.string(decoded.samples[1].unit!) == "N")
        #expect(decoded.samples[3].value == 0.75 - 3)
        #expect(decoded.events[1].detail.map(decoded.string) == "reason 0x08")
        #expect(decoded.metricRecords[0].endMicros == 1_764_000_300_000_000)
        #expect(decoded.metricRecords[0].quality == 0.9)
        #expect(decoded.metricRecords[1].endMicros == nil && decoded.metricRecords[1].quality == nil)
        #expect(decoded.metricRecords[0].subjectKind == .wearer)
        #expect(decoded.gatewayID == "gateway-7 (Küche)")
    }

    /// The layout of UploadBatch+Wire.swift, byte for byte, for one sample.
    @Test func wireLayoutIsTheDocumentedOne() throws {
        var batch = try UploadBatch(id: "b1", gatewayID: "g")
        batch.appendSample(address: "A", quantity: "q", unit: nil, channel: -1, timeMicros: 0x0102, value: 1.0)
        let bytes = try batch.encoded()
        let expected: [UInt8] = Array("GWUB".utf8) + [1, 0, 0, 0] + [2, 0, 0, 0] + [1, 0, 0, 0] + [0, 0, 0, 0]
            + [0, 0, 0, 0] + [2] + Array("b1".utf8) + [1, 0] + Array("g".utf8)
            + [1, 0, 0x41] + [1, 0, 0x71]
            + [0x02, 0x01, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0xF0, 0x3F] + [0, 0, 0, 0] + [1, 0, 0, 0]
            + [0xFF, 0xFF, 0xFF, 0xFF] + [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(bytes == expected)
    }

    @Test(arguments: [ContentCoding.gzip, .deflate, .identity])
    func compressedRoundTrip(coding: ContentCoding) throws {
        let batch = try sampleBatch(samples: 5000)
        let wire = try batch.encoded()
        let body = coding.encode(wire)
        if coding == .gzip { #expect(Array(body.prefix(2)) == [0x1F, 0x8B]) }
        if coding != .identity { #expect(body.count < wire.count / 2) }
        #expect(try UploadBatch(decoding: coding.decode(body, limit: wire.count)) == batch)
    }

    @Test func inflatingPastTheLimitIsRefused() throws {
        let body = ContentCoding.gzip.encode([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: UploadFormatError.inflatedTooLarge(limit: 1000)) {
            try ContentCoding.gzip.decode(body, limit: 1000)
        }
    }

    @Test func corruptOrTruncatedCompressionIsAnError() throws {
        let body = ContentCoding.gzip.encode(try sampleBatch().encoded())
        #expect(throws: UploadFormatError.self) { try ContentCoding.gzip.decode(Array(body.prefix(body.count / 2)), limit: 1 << 20) }
        #expect(throws: UploadFormatError.self) { try ContentCoding.gzip.decode([1, 2, 3, 4, 5], limit: 1 << 20) }
        #expect(throws: UploadFormatError.self) { try ContentCoding.gzip.decode(body + [0], limit: 1 << 20) }
    }

    @Test func contentEncodingHeader() throws {
        #expect(try ContentCoding(header: nil) == .identity)
        #expect(try ContentCoding(header: " GZip") == .gzip)
        #expect(try ContentCoding(header: "deflate") == .deflate)
        #expect(throws: UploadFormatError.unsupportedContentEncoding("br")) { try ContentCoding(header: "br") }
        #expect(throws: UploadFormatError.self) { try ContentCoding(header: "gzip, br") }
    }

    /// Every prefix of a valid body is refused with an error, never a trap.
    @Test func everyTruncationIsAnError() throws {
        let bytes = try sampleBatch(samples: 3).encoded()
        for length in 0..<bytes.count {
            #expect(throws: UploadFormatError.self) { try UploadBatch(decoding: Array(bytes.prefix(length))) }
        }
    }

    /// Random byte changes either decode to a consistent batch or throw; a seeded sweep.
    @Test func randomCorruptionNeverTraps() throws {
        var generator = SeededGenerator(seed: 0x6761_6974)
        print("randomCorruptionNeverTraps seed 0x67616974")
        let bytes = try sampleBatch(samples: 10).encoded()
        for _ in 0..<5000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupt[Int.random(in: 0..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let batch = try? UploadBatch(decoding: corrupt) {
                for sample in batch.samples {
                    #expect(sample.value.isFinite)
                    #expect(Int(sample.address.index) < batch.strings.count)
                }
            }
        }
    }

    @Test func inconsistentBodiesSayWhy() throws {
        var batch = try UploadBatch(id: "b", gatewayID: "g")
        batch.appendSample(address: "A", quantity: "q", unit: "u", channel: 0, timeMicros: 0, value: 1)
        let good = try batch.encoded()
        let samplesStart = good.count - 32

        var badIndex = good
        badIndex[samplesStart + 16] = 9  // address -> string 9 of 3
        #expect(throws: UploadFormatError.stringOutOfRange(offset: samplesStart, index: 9)) {
            try UploadBatch(decoding: badIndex)
        }
        var nan = good
        for (index, byte) in withUnsafeBytes(of: Double.nan.bitPattern.littleEndian, Array.init).enumerated() {
            nan[samplesStart + 8 + index] = byte
        }
        #expect(throws: UploadFormatError.nonFiniteValue(offset: samplesStart)) { try UploadBatch(decoding: nan) }
        #expect(throws: UploadFormatError.trailingBytes(offset: good.count, count: 1)) {
            try UploadBatch(decoding: good + [0])
        }
        var version = good
        version[4] = 2
        #expect(throws: UploadFormatError.unsupportedVersion(2)) { try UploadBatch(decoding: version) }
        #expect(throws: UploadFormatError.badMagic) { try UploadBatch(decoding: [UInt8](repeating: 0, count: 64)) }
        var hugeCount = good
        hugeCount[15] = 0x7F  // sample count 0x7F000001
        #expect(throws: UploadFormatError.tooManyRows(kind: "samples", count: 0x7F00_0001)) {
            try UploadBatch(decoding: hugeCount)
        }
    }

    @Test func appendRefusesWhatTheDecoderWouldRefuse() throws {
        var batch = try UploadBatch(id: "b", gatewayID: "g")
        let nan = batch.appendSample(address: "A", quantity: "q", unit: nil, channel: 0, timeMicros: 0, value: .nan)
        let endBeforeStart = batch.appendMetricRecord(subjectKind: .device, subject: "A", metric: "m", unit: "1",
                                                      timeMicros: 10, endMicros: 5, value: 1, quality: nil)
        let qualityPastOne = batch.appendMetricRecord(subjectKind: .device, subject: "A", metric: "m", unit: "1",
                                                      timeMicros: 10, endMicros: nil, value: 1, quality: 1.5)
        #expect(!nan && !endBeforeStart && !qualityPastOne)
        #expect(batch.isEmpty)
        #expect(throws: UploadFormatError.invalidBatchID("has space")) { try UploadBatch(id: "has space", gatewayID: "g") }
        #expect(throws: UploadFormatError.self) { try UploadBatch(id: String(repeating: "a", count: 65), gatewayID: "g") }
        #expect(throws: UploadFormatError.self) { try UploadBatch(id: "ok", gatewayID: "") }
    }

    /// U+0000 is valid UTF-8 but no PostgreSQL text: the decoder refuses it (400 on both
    /// storages), and the encoder's strings never carry one.
    @Test func nulCharactersAreReplacedWhenEncodedAndRefusedWhenDecoded() throws {
        var batch = try UploadBatch(id: "nul", gatewayID: "g")
        batch.appendEvent(address: "A", kind: "reboot", detail: "reason\u{0}x", timeMicros: 1)
        let wire = try batch.encoded()
        #expect(try UploadBatch(decoding: wire).events[0].detail.map { batch.string($0) } == "reason\u{FFFD}x")
        var patched = wire
        let at = try #require(patched.firstIndex(of: UInt8(ascii: "x")))
        patched[at] = 0
        #expect(throws: UploadFormatError.self) { try UploadBatch(decoding: patched) }
    }

    @Test func decodedBatchesAcceptMoreRowsWithoutDuplicatingStrings() throws {
        var decoded = try UploadBatch(decoding: sampleBatch(samples: 4).encoded())
        let before = decoded.strings.count
        decoded.appendSample(address: "C0:11:22:33:44:55", quantity: "heart_rate", unit: "N", channel: 0,
                             timeMicros: 1, value: 1)
        #expect(decoded.strings.count == before)
    }
}

/// Batches written by Fuzz/make-upload-seeds.py, an encoder in Python written from the
/// documented layout alone: the Swift decoder reads them as the layout says.
@Suite struct IndependentEncoderTests {
    func seed(_ name: String) throws -> [UInt8] {
        let bytes = try #require(FileManager.default.contents(atPath: Reference.path("Fuzz/corpus/upload-batch/\(name)")))
        return Array(bytes.dropFirst())  // the fuzz target's coding byte
    }

    @Test func pythonWrittenBatchDecodes() throws {
        let batch = try UploadBatch(decoding: seed("identity-full-identity"))
        #expect(batch.id == "gw-1.000042")
        #expect(batch.gatewayID == "gateway-1")
        #expect(batch.samples.count == 21)
        #expect(batch.samples[4].value == 64)
        #expect(batch.string(batch.samples[4].quantity) == "heart_rate")
        #expect(batch.samples[20].channel == 7)
        #expect(batch.string(batch.samples[20].unit!) == "N")
        #expect(batch.events.first?.detail == nil)
        #expect(batch.metricRecords[0].subjectKind == .wearer)
        #expect(batch.metricRecords[0].endMicros == 1_764_000_300_000_000)
        #expect(batch.metricRecords[0].quality == 0.9)
        #expect(batch.metricRecords[1].endMicros == nil && batch.metricRecords[1].quality == nil)
        #expect(try UploadBatch(decoding: batch.encoded()) == batch)
        let gzip = try ContentCoding.gzip.decode(seed("full-gzip"), limit: 1 << 20)
        let deflate = try ContentCoding.deflate.decode(seed("full-deflate"), limit: 1 << 20)
        #expect(try gzip == seed("identity-full-identity"))
        #expect(deflate == gzip)
    }
}
