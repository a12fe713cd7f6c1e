import Collector
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import UploadFormat

/// Tokens of two tenants, a gateway and a reader each, and an app over an in-memory store.
enum Harness {
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
