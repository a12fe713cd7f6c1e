import Collector
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import UploadFormat

@Suite struct QueryTests {
    func ingest(_ client: some TestClientProtocol, _ batch: UploadBatch) async throws {
        try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayA),
                                 body: Harness.body(batch)) { response in
            #expect(response.status == .ok)
        }
    }

    func get(_ client: some TestClientProtocol, _ uri: String) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .get, headers: Harness.headers(Harness.readerA)) { response in
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
            return try Harness.json(response.body)
        }
    }

    /// Pages of 7 over 50 samples that share timestamps pairwise (two devices): every sample
    /// once, in time order, and the last page has no `next`.
    @Test(arguments: Harness.Backend.allCases)
    func paginationVisitsEverySampleOnce(backend: Harness.Backend) async throws {
        try await Harness.test(backend) { client in
            try await ingest(client, Harness.heartRateBatch(id: "p1", count: 25, address: "C0:00:00:00:00:01"))
            try await ingest(client, Harness.heartRateBatch(id: "p2", count: 25, address: "C0:00:00:00:00:02"))
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let json = try await get(client, "/v1/samples?limit=7" + (cursor.map { "&cursor=\($0)" } ?? ""))
                let samples = try #require(json["samples"] as? [[String: Any]])
                seen += samples.map { "\($0["time"]!) \($0["address"]!)" }
                cursor = json["next"] as? String
                #expect(json.keys.contains("next"))
                pages += 1
            } while cursor != nil && pages < 20
            #expect(pages == 8)
            #expect(seen.count == 50)
            #expect(Set(seen).count == 50)
            #expect(seen == seen.sorted())
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ client: some TestClientProtocol, _ uri: String) async throws -> T {
        try await client.execute(uri: uri, method: .get, headers: Harness.headers(Harness.readerA)) { response in
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            return try JSONDecoder().decode(T.self, from: Data(response.body.readableBytesView))
        }
    }

    /// The bodies are written by hand (JSONWriter): Foundation's JSONDecoder, no code of
    /// ours, reads back every string (quotes, backslashes, each control character, non-ASCII)
    /// and every number (extremes of binary64, negative zero, sub-normal) exactly. (NUL is
    /// U+FFFD from the upload batch on, UploadBatch.appendString. Not 123456789.12345678:
    /// JSONDecoder on Linux reads that text one unit in the last place off, where Python's
    /// json module reads it exactly.)
    @Test func handWrittenJSONReadsBackExactly() async throws {
        let control = String(decoding: (1..<32).map { UInt8($0) }, as: UTF8.self)
        let awkward = "q\"b\\s/" + control + "é✓🦶\u{7F}"
        let values: [Double] = [0.1, -0.0, 60, 1e-300, 5e-324, -1.7976931348623157e308, 1.0 / 3.0, 86_400.000_001]
        var batch = try UploadBatch(id: "json", gatewayID: "gw-1")
        for (index, value) in values.enumerated() {
            let appended = batch.appendSample(address: "C0:00:00:00:00:01", quantity: awkward, unit: awkward,
                                              channel: -1, timeMicros: 1_764_000_000_000_000 + Int64(index), value: value)
            #expect(appended)
        }
        batch.appendEvent(address: "C0:00:00:00:00:01", kind: awkward, detail: awkward, timeMicros: -1)
        let appended = batch.appendMetricRecord(subjectKind: .wearer, subject: awkward, metric: awkward, unit: awkward,
                                                timeMicros: 0, endMicros: nil, value: 5e-324, quality: nil)
        #expect(appended)
        let ready = batch
        struct Samples: Decodable {
            struct Sample: Decodable { var quantity: String; var unit: String?; var value: Double }
            var samples: [Sample]
        }
        struct Events: Decodable {
            struct Event: Decodable { var time: String; var kind: String; var detail: String? }
            var events: [Event]
        }
        struct Records: Decodable {
            struct Record: Decodable { var time: String; var end: String?; var subject: String; var value: Double; var quality: Double? }
            var records: [Record]
        }
        try await Harness.test(.sqlite) { client in
            try await ingest(client, ready)
            let samples = try await Self.decode(Samples.self, client, "/v1/samples").samples
            #expect(samples.map(\.value.bitPattern) == values.map(\.bitPattern))
            #expect(samples.allSatisfy { $0.quantity == awkward && $0.unit == awkward })
            let events = try await Self.decode(Events.self, client, "/v1/events").events
            #expect(events.map(\.detail) == [awkward])
            #expect(events.map(\.time) == ["1969-12-31T23:59:59.999999Z"])
            let records = try await Self.decode(Records.self, client, "/v1/metrics").records
            #expect(records.map(\.subject) == [awkward])
            #expect(records.map(\.time) == ["1970-01-01T00:00:00.000000Z"])
            #expect(records.first?.end == nil && records.first?.quality == nil)
            #expect(records.map(\.value) == [5e-324])
        }
    }

    @Test(arguments: Harness.Backend.allCases)
    func filtersAndFields(backend: Harness.Backend) async throws {
        try await Harness.test(backend) { client in
            try await ingest(client, Harness.heartRateBatch(id: "f1", count: 10, address: "C0:00:00:00:00:01"))
            try await ingest(client, Harness.heartRateBatch(id: "f2", count: 10, address: "C0:00:00:00:00:02"))
            // 1_764_000_000 s is 2025-11-24T16:00:00Z.
            let window = try await get(client, "/v1/samples?device=C0:00:00:00:00:01&from=2025-11-24T16:00:02Z&to=2025-11-24T16:00:05Z")
            let samples = try #require(window["samples"] as? [[String: Any]])
            #expect(samples.map { $0["time"] as? String } == ["2025-11-24T16:00:02.000000Z", "2025-11-24T16:00:03.000000Z",
                                                             "2025-11-24T16:00:04.000000Z"])
            #expect(samples.first?["value"] as? Double == 62)
            #expect(samples.first?["unit"] as? String == "bpm")
            #expect(samples.first?["quantity"] as? String == "heart_rate")
            #expect(window["next"] is NSNull)
            let other = try await get(client, "/v1/samples?quantity=plantar_force")
            #expect((other["samples"] as? [Any])?.isEmpty == true)

            let devices = try #require(try await get(client, "/v1/devices")["devices"] as? [[String: Any]])
            #expect(devices.map { $0["address"] as? String } == ["C0:00:00:00:00:01", "C0:00:00:00:00:02"])
            #expect(devices.first?["samples"] as? Int == 10)
            #expect(devices.first?["first_seen"] as? String == "2025-11-24T16:00:00.000000Z")
            #expect(devices.first?["last_seen"] as? String == "2025-11-24T16:00:09.000000Z")

            let records = try #require(try await get(client, "/v1/metrics?wearer=runner&metric=rmssd")["records"] as? [[String: Any]])
            #expect(records.count == 2)  // one per batch
            #expect(records.first?["end"] as? String == "2025-11-24T16:05:00.000000Z")
            #expect(records.first?["quality"] as? Double == 0.8)
            let buckets = try #require(try await get(client, "/v1/metrics?wearer=runner&bucket=3600")["buckets"] as? [[String: Any]])
            #expect(buckets.map { $0["metric"] as? String } == ["rmssd", "sdnn"])
            #expect(buckets.first?["count"] as? Int == 2)
            #expect(buckets.first?["mean"] as? Double == 41)
            #expect(buckets.first?["time"] as? String == "2025-11-24T16:00:00.000000Z")
            let none = try await get(client, "/v1/metrics?device=C0:00:00:00:00:01")
            #expect((none["records"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: ["/v1/samples?limit=0", "/v1/samples?limit=abc", "/v1/samples?limit=10001", "/v1/samples?from=yesterday",
                      "/v1/samples?cursor=xyz", "/v1/samples?from=2025-11-25&to=2025-11-24", "/v1/samples?from=2025-02-30",
                      "/v1/events?to=2025-13-01", "/v1/metrics?bucket=0", "/v1/metrics?device=a&wearer=b",
                      "/v1/fhir/Observation?subject=Group/x", "/v1/fhir/Observation?date=gtnever", "/v1/fhir/Observation?_count=0"])
    func badParametersAre400(uri: String) async throws {
        try await Harness.application().test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: Harness.headers(Harness.readerA)) { response in
                #expect(response.status == .badRequest)
            }
        }
    }
}
