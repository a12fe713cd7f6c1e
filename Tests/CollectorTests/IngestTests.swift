import Collector
import Foundation
import GaitwayTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import UploadFormat

@Suite struct IngestTests {
    func sampleCount(_ client: some TestClientProtocol, token: String = Harness.readerA) async throws -> Int {
        var total = 0
        var cursor: String?
        repeat {
            let uri = "/v1/samples?limit=10000" + (cursor.map { "&cursor=\($0)" } ?? "")
            cursor = try await client.execute(uri: uri, method: .get, headers: Harness.headers(token)) { response in
                let json = try Harness.json(response.body)
                total += (json["samples"] as? [Any])?.count ?? 0
                return json["next"] as? String
            }
        } while cursor != nil
        return total
    }

    @Test(arguments: Harness.Backend.allCases)
    func sameBatchTwiceIsStoredOnce(backend: Harness.Backend) async throws {
        let body = try Harness.body(Harness.heartRateBatch(id: "twice", count: 50))
        try await Harness.test(backend) { client in
            for expected in ["stored", "duplicate", "duplicate"] {
                try await client.execute(uri: "/v1/ingest", method: .post, headers: Harness.gzipHeaders(Harness.gatewayA),
                                         body: body) { response in
                    #expect(response.status == .ok)
                    let json = try Harness.json(response.body)
                    #expect(json["status"] as? String == expected)
                    #expect(json["samples"] as? Int == 50)
                }
            }
            let stored = try await sampleCount(client)
            #expect(stored == 50)
            // The counters at /metrics (Prometheus text format), no token needed.
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok)
                #expect(text.contains(#"gaitway_collector_ingest_batches_total{outcome="stored"} 1"#), "\(text)")
                #expect(text.contains(#"gaitway_collector_ingest_batches_total{outcome="duplicate"} 2"#))
                #expect(text.contains("gaitway_collector_ingest_samples_total 50"))
            }
            try await client.execute(uri: "/v1/events", method: .get, headers: Harness.headers(Harness.readerA)) { response in
                let json = try Harness.json(response.body)
                #expect((json["events"] as? [Any])?.count == 1)
            }
        }
    }

    /// Eight copies of one batch posted at once through the live server's storage: exactly one
    /// is stored, the others are duplicates, and the rows are there once.
    @Test func concurrentCopiesAreStoredOnce() async throws {
        let directory = try Reference.temporaryDirectory("collector-concurrent")
        defer { try? FileManager.default.removeItem(at: directory) }
        // A file database: a DatabasePool, as in production, not the serial in-memory queue.
        let storage = try SQLiteCollectorStorage(path: directory.appendingPathComponent("c.db").path)
        let batch = try Harness.heartRateBatch(id: "racing", count: 2000)
        let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
            for _ in 0..<8 { group.addTask { try await storage.ingest(batch, tenant: "clinic-a", receivedMicros: 0) } }
            return try await group.reduce(into: [IngestOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .stored }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate }.count == 7)
        try await Harness.application(storage: storage).test(.router) { client in
            let stored = try await sampleCount(client)
            #expect(stored == 2000)
        }
        let mode = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent("c.db").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    static let malformed: [(String, [UInt8], String?)] = {
        let good = (try? Harness.heartRateBatch(id: "bad", count: 5).encoded()) ?? []
        var badIndex = good
        badIndex[good.count - 48 * 2 - 24 - 32 + 16] = 0xEE  // last sample's address -> string 0xEE
        return [
            ("empty", [], nil),
            ("not a batch", Array("{\"samples\": []}".utf8), nil),
            ("truncated", Array(good.dropLast(7)), nil),
            ("trailing byte", good + [0], nil),
            ("index past the string table", badIndex, nil),
            ("gzip header on an uncompressed body", good, "gzip"),
            ("truncated gzip", Array(ContentCoding.gzip.encode(good).dropLast(9)), "gzip"),
        ]
    }()

    @Test(arguments: Harness.Backend.allCases, 0..<malformed.count)
    func malformedBodiesGet400AndStoreNothing(backend: Harness.Backend, index: Int) async throws {
        let (name, bytes, coding) = Self.malformed[index]
        try await Harness.test(backend) { client in
            var headers = Harness.headers(Harness.gatewayA)
            if let coding { headers[.contentEncoding] = coding }
            try await client.execute(uri: "/v1/ingest", method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
                #expect(response.status == .badRequest, "\(name)")
                let message = ((try? Harness.json(response.body))?["error"] as? [String: Any])?["message"] as? String
                #expect(message?.isEmpty == false, "\(name): \(String(buffer: response.body))")
            }
            let stored = try await sampleCount(client)
            #expect(stored == 0)
            try await client.execute(uri: "/v1/devices", method: .get, headers: Harness.headers(Harness.readerA)) { response in
                let json = try Harness.json(response.body)
                #expect((json["devices"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func unknownContentEncodingIs415() async throws {
        try await Harness.application().test(.router) { client in
            var headers = Harness.headers(Harness.gatewayA)
            headers[.contentEncoding] = "br"
            try await client.execute(uri: "/v1/ingest", method: .post, headers: headers,
                                     body: Harness.body(Harness.heartRateBatch(id: "br", count: 1))) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
    }

    /// Identity and deflate bodies are taken as well as gzip.
    @Test(arguments: Harness.Backend.allCases, [ContentCoding.identity, .deflate])
    func otherCodings(backend: Harness.Backend, coding: ContentCoding) async throws {
        try await Harness.test(backend) { client in
            var headers = Harness.headers(Harness.gatewayA)
            if coding != .identity { headers[.contentEncoding] = coding.rawValue }
            let body = ByteBuffer(bytes: coding.encode(try Harness.heartRateBatch(id: "coding", count: 7).encoded()))
            try await client.execute(uri: "/v1/ingest", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
            }
            let stored = try await sampleCount(client)
            #expect(stored == 7)
        }
    }
}
