import Collector
import Foundation
import GaitwayTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing
import UploadFormat

/// Tokens of two tenants, a gateway and a reader each, and an app over a new empty store of
/// either backend: the same tests run on both (issue 13).
enum Harness {
    enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
        /// In memory (a `DatabaseQueue`).
        case sqlite
        /// A new database in the test process's throwaway cluster (``PostgresCluster/shared()``).
        case postgres

        var testDescription: String { rawValue }
    }

    /// Runs `body` with a new empty storage of `backend`. Without PostgreSQL's binaries the
    /// postgres case runs nothing and says so (a failure with GAITWAY_REQUIRE_REFERENCES=1).
    static func withStorage(_ backend: Backend, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: (any CollectorStorage) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            try await body(SQLiteCollectorStorage())
        case .postgres:
            guard let url = try await newPostgresDatabase(sourceLocation: sourceLocation) else { return }
            try await withPostgres(url: url) { try await body($0) }
        }
    }

    /// The URL of a new empty database in the shared cluster, or nil (reported) without PostgreSQL.
    ///
    /// `initdb`, `pg_ctl` and `createdb` are child processes waited for synchronously: they run
    /// on a thread of their own, not on the cooperative pool (two threads on two cores), which
    /// the collector's async tests and the servers under test need meanwhile. (On the pool, a
    /// full `make test` stalled every async test here for about 100 s.)
    static func newPostgresDatabase(sourceLocation: SourceLocation = #_sourceLocation) async throws -> String? {
        guard PostgresCluster.available else {
            Reference.missing(PostgresCluster.missingMessage, sourceLocation: sourceLocation)
            return nil
        }
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try PostgresCluster.shared().createDatabase() })
            }.start()
        }
    }

    /// A ``PostgresCollectorStorage`` on `url`, migrated, with its pool running for `body`'s
    /// duration (as the collector's service group runs it).
    static func withPostgres(url: String, _ body: (PostgresCollectorStorage) async throws -> Void) async throws {
        let storage = try PostgresCollectorStorage(url: url)
        try await storage.migrate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await storage.client.run() }
            do {
                try await body(storage)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    /// `app.test(.router)` over a new storage of `backend`.
    static func test(_ backend: Backend, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await withStorage(backend, sourceLocation: sourceLocation) { storage in
            try await application(storage: storage).test(.router, body)
        }
    }

    static let gatewayA = "gateway-token-a", readerA = "reader-token-a"
    static let gatewayB = "gateway-token-b", readerB = "reader-token-b"

    static var tokens: TokenRegistry {
        var tokens = TokenRegistry()
        tokens.add(token: gatewayA, caller: Caller(tenant: "clinic-a", role: .gateway))
        tokens.add(token: readerA, caller: Caller(tenant: "clinic-a", role: .reader))
        tokens.add(token: gatewayB, caller: Caller(tenant: "clinic-b", role: .gateway))
        tokens.add(token: readerB, caller: Caller(tenant: "clinic-b", role: .reader))
        return tokens
    }

    static func application(storage: (any CollectorStorage)? = nil) throws -> some ApplicationProtocol {
        try buildApplication(CollectorConfiguration(storage: storage ?? SQLiteCollectorStorage(), tokens: tokens))
    }

    static func headers(_ token: String?) -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        return fields
    }

    /// A batch of `count` heart-rate samples one second apart from `start` µs, on one device.
    static func heartRateBatch(id: String, count: Int, address: String = "C0:11:22:33:44:55",
                               start: Int64 = 1_764_000_000_000_000) throws -> UploadBatch {
        var batch = try UploadBatch(id: id, gatewayID: "gw-1")
        for index in 0..<count {
            batch.appendSample(address: address, quantity: "heart_rate", unit: "bpm", channel: -1,
                               timeMicros: start + Int64(index) * 1_000_000, value: 60 + Double(index % 40))
        }
        batch.appendEvent(address: address, kind: "connected", detail: nil, timeMicros: start)
        batch.appendMetricRecord(subjectKind: .wearer, subject: "runner", metric: "rmssd", unit: "ms",
                                 timeMicros: start, endMicros: start + 300_000_000, value: 41, quality: 0.8)
        batch.appendMetricRecord(subjectKind: .wearer, subject: "runner", metric: "sdnn", unit: "ms",
                                 timeMicros: start, endMicros: start + 300_000_000, value: 52, quality: nil)
        return batch
    }

    static func body(_ batch: UploadBatch) throws -> ByteBuffer {
        ByteBuffer(bytes: ContentCoding.gzip.encode(try batch.encoded()))
    }

    static func gzipHeaders(_ token: String) -> HTTPFields {
        var fields = headers(token)
        fields[.contentEncoding] = "gzip"
        return fields
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
        guard let dictionary = object as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
        return dictionary
    }
}
