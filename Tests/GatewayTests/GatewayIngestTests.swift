import BLEHost
import BLEWire
import Dissector
import Foundation
import GatewayPipeline
import GatewayStore
import ProtocolSpecs
import Testing

/// GatewayIngest fed directly: decoding into samples, quarantine, advertisement repeats,
/// and the ISO 8601 times `gaitway query` prints.
@Suite struct GatewayIngestTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()
    static let band = BDAddress("C1:4D:AE:E4:8F:BD")!

    func ingest() throws -> (GatewayIngest, GatewayStore) {
        let store = try GatewayStore.inMemory()
        return (GatewayIngest(catalog: Self.catalog, store: store), store)
    }

    /// The Heart Rate Measurement example of the Heart Rate Service spec's layout: flags
    /// 0x10 (8-bit rate, RR present), 72 bpm, RR 0x0340 = 832/1024 s and 0x0360 = 864/1024 s.
    @Test func heartRateWithTwoRRIntervalsBecomesThreeSamples() throws {
        let (ingest, store) = try ingest()
        let payload: [UInt8] = [0x10, 72, 0x40, 0x03, 0x60, 0x03]
        ingest.ingestValue(payload.span.bytes, of: .heartRateMeasurement, kind: .notification, from: Self.band,
                           at: 1_795_255_200.25)
        try ingest.commit(at: 1_795_255_201)
        let samples = try store.samples(SampleQuery(address: Self.band.description))
        #expect(samples.map(\.quantity) == ["heart_rate", "rr_interval", "rr_interval"])
        let expected: [Double] = [72, 832.0 / 1024, 864.0 / 1024]
        #expect(samples.map(\.value) == expected)
        #expect(samples.map(\.channel) == [-1, 0, 1])
        #expect(samples.allSatisfy { $0.gatewayTimeMicros == 1_795_255_200_250_000 && $0.deviceTimeMicros == nil })
        #expect(samples.first?.unit == "bpm" && samples.last?.unit == "s")
        var raw: [[UInt8]] = []
        try store.forEachRawPayload(address: Self.band.description, from: nil, to: nil) { raw.append($0.bytes) }
        #expect(raw == [payload])
    }

    @Test func aDeviceSendingGarbageIsQuarantinedOnceAndIgnored() throws {
        let (ingest, store) = try ingest()
        let log = LogLines()
        ingest.logger = log.logger
        // Flags say a 16-bit rate follows, but only one byte does: malformed every time.
        let garbage: [UInt8] = [0x01, 72]
        for index in 0..<200 {
            ingest.ingestValue(garbage.span.bytes, of: .heartRateMeasurement, kind: .notification, from: Self.band,
                               at: 100 + Double(index))
        }
        try ingest.commit(at: 400)
        #expect(ingest.statistics.quarantinedDevices == 1)
        #expect(ingest.devices[Self.band]?.quarantinedAt != nil)
        #expect(ingest.statistics.malformedPayloads == 20)  // then ignored
        #expect(ingest.statistics.quarantinedPayloads == 180)
        let logged = log.messages(atLeast: .warning)
        #expect(logged.count == 2, "\(logged)")  // the first malformed payload, then the quarantine
        #expect(try store.events(address: Self.band.description).map(\.kind) == [DeviceEventKind.quarantined])
        #expect(try store.samples(SampleQuery()).isEmpty)
    }

    @Test func anOccasionalBadPayloadDoesNotQuarantine() throws {
        let (ingest, store) = try ingest()
        let good: [UInt8] = [0x00, 70]
        let bad: [UInt8] = [0x01, 70]
        for index in 0..<1000 {
            let payload = index % 25 == 0 ? bad : good
            ingest.ingestValue(payload.span.bytes, of: .heartRateMeasurement, kind: .notification, from: Self.band,
                               at: Double(index))
        }
        try ingest.commit(at: 1000)
        #expect(ingest.statistics.quarantinedDevices == 0)
        #expect(ingest.statistics.malformedPayloads == 40)
        #expect(try store.samples(SampleQuery(quantity: "heart_rate")).count == 960)
    }

    /// BTHome v2 service data (bthome.io format: device info 0x40, then battery 0x01 = 97 %,
    /// temperature 0x02 = 0x08CA / 100 = 22.5 °C): stored once while the advert repeats.
    @Test func advertisementsAreDecodedAndRepeatsStoredOnce() throws {
        let (ingest, store) = try ingest()
        var data = AdvertisingDataBuilder()
        try data.addFlags([.leGeneralDiscoverable, .brEDRNotSupported])
        try data.addServiceData(BluetoothUUID(0xFCD2), data: [0x40, 0x01, 97, 0x02, 0xCA, 0x08])
        for index in 0..<10 {
            ingest.ingestAdvertisement(data.bytes.span.bytes, from: Self.band, at: Double(index) * 0.1)
        }
        try ingest.commit(at: 1)
        let samples = try store.samples(SampleQuery(address: Self.band.description))
        #expect(ingest.statistics.repeatedAdvertisements == 9)
        #expect(samples.count == 2)
        #expect(samples.first { $0.quantity == "battery_level" }?.value == 97)
        #expect(samples.first { $0.quantity == "temperature" }?.value == 22.5)
    }

    /// Against Foundation's ISO8601DateFormatter, over dates from 1970 to 2100.
    @Test func iso8601TimesAgreeWithFoundation() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let millis = Int64.random(in: 0..<4_102_444_800_000, using: &generator)
            let text = ISO8601Time.format(micros: millis * 1000, fractionDigits: 3)
            #expect(text == formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000)))
            #expect(ISO8601Time.parse(text) == millis * 1000)
        }
        #expect(ISO8601Time.parse("2026-11-22") == 1_795_305_600_000_000)
        #expect(ISO8601Time.parse("2026-11-22T01:00:00+01:00") == 1_795_305_600_000_000)
        #expect(ISO8601Time.parse("2026-11-22T00:00:00.5Z") == 1_795_305_600_500_000)
        #expect(ISO8601Time.parse("1795305600") == 1_795_305_600_000_000)
        #expect(ISO8601Time.parse("22/11/2026") == nil)
        #expect(ISO8601Time.parse("2026-13-01") == nil)
    }
}
