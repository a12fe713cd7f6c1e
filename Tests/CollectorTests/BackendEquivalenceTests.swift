import Collector
import Foundation
import GaitwayTestSupport
import Testing
import UploadFormat

/// The same batches into SQLite and PostgreSQL, then the same queries: the same answers,
/// row for row and page for page (issue 13: one API whatever the backend). Cursors end pages at
/// the same rows; their row ids differ (PostgreSQL's sample ids carry the batch's id).
@Suite struct BackendEquivalenceTests {
    /// Seeded batches that hit the edges of ordering: timestamps shared between devices and
    /// between batches, times before 1970 (bucket alignment floors them), addresses whose byte
    /// order differs from a locale's (lower case, non-ASCII), samples without a unit, events
    /// without detail, records without an end or a quality, and a second tenant.
    static func batches(seed: UInt64) throws -> [(tenant: String, batch: UploadBatch)] {
        var random = SeededGenerator(seed: seed)
        let addresses = ["C0:00:00:00:00:0A", "c0:00:00:00:00:0b", "Ä-band", "Z-insole", "_raw"]
        let quantities: [(String, String?)] = [("heart_rate", "bpm"), ("plantar_force", "N"), ("steps", nil)]
        var result: [(String, UploadBatch)] = []
        for index in 0..<6 {
            var batch = try UploadBatch(id: "eq-\(index)", gatewayID: "gw-\(index % 2)")
            let base = Int64(index % 3 - 1) * 7_200_000_000  // -2 h, 0, +2 h around the epoch
            for step in 0..<400 {
                let address = addresses[Int.random(in: 0..<addresses.count, using: &random)]
                let (quantity, unit) = quantities[Int.random(in: 0..<quantities.count, using: &random)]
                // Coarse times (250 ms steps) so that many rows share one.
                let time = base + Int64(Int.random(in: -40...40, using: &random)) * 250_000 + Int64(step % 3) * 1000
                batch.appendSample(address: address, quantity: quantity, unit: unit,
                                   channel: Int32(Int.random(in: -1...7, using: &random)), timeMicros: time,
                                   value: Double(Int.random(in: -500...500, using: &random)) / 8)
            }
            for step in 0..<30 {
                let time = base + Int64(Int.random(in: -20...20, using: &random)) * 500_000
                batch.appendEvent(address: addresses[step % addresses.count], kind: step % 2 == 0 ? "connected" : "battery",
                                  detail: step % 3 == 0 ? nil : "level \(step)", timeMicros: time)
                batch.appendMetricRecord(
                    subjectKind: step % 2 == 0 ? .device : .wearer,
                    subject: step % 2 == 0 ? addresses[step % addresses.count] : (step % 4 == 1 ? "runner" : "walker"),
                    metric: ["cadence", "rmssd", "stride_time"][step % 3], unit: ["1/min", "ms", "s"][step % 3],
                    timeMicros: time, endMicros: step % 5 == 0 ? nil : time + 60_000_000,
                    value: Double(Int.random(in: 0...4000, using: &random)) / 16,
                    quality: step % 4 == 0 ? nil : Double(Int.random(in: 0...8, using: &random)) / 8)
            }
            result.append((index == 4 ? "clinic-b" : "clinic-a", batch))
        }
        return result
    }

    /// Every page of a sample listing, and the cursors between them.
    static func samplePages(_ storage: any CollectorStorage, _ query: SampleQuery, tenant: String) async throws
        -> [([StoredSample], PageCursor?)]
    {
        var pages: [([StoredSample], PageCursor?)] = []
        var query = query
        repeat {
            let page = try await storage.samples(query, tenant: tenant)
            pages.append((page.rows, page.next))
            query.after = page.next
        } while query.after != nil && pages.count < 1000
        return pages
    }

    static func eventPages(_ storage: any CollectorStorage, _ query: EventQuery, tenant: String) async throws
        -> [([StoredEvent], PageCursor?)]
    {
        var pages: [([StoredEvent], PageCursor?)] = []
        var query = query
        repeat {
            let page = try await storage.events(query, tenant: tenant)
            pages.append((page.rows, page.next))
            query.after = page.next
        } while query.after != nil && pages.count < 1000
        return pages
    }

    @Test(arguments: [UInt64(13), 2026])
    func sameAnswersFromBothBackends(seed: UInt64) async throws {
        print("BackendEquivalenceTests seed \(seed)")
        let batches = try Self.batches(seed: seed)
        let sqlite = try SQLiteCollectorStorage()
        for (tenant, batch) in batches {
            #expect(try await sqlite.ingest(batch, tenant: tenant, receivedMicros: 1) == .stored)
        }
        #expect(try await sqlite.ingest(batches[0].batch, tenant: batches[0].tenant, receivedMicros: 2) == .duplicate)
        guard let url = try await Harness.newPostgresDatabase() else { return }
        try await Harness.withPostgres(url: url) { postgres in
            for (tenant, batch) in batches {
                #expect(try await postgres.ingest(batch, tenant: tenant, receivedMicros: 1) == .stored)
            }
            #expect(try await postgres.ingest(batches[0].batch, tenant: batches[0].tenant, receivedMicros: 2) == .duplicate)

            for tenant in ["clinic-a", "clinic-b", "nobody"] {
                #expect(try await sqlite.devices(tenant: tenant) == postgres.devices(tenant: tenant), "\(tenant)")
                let sampleQueries = [
                    SampleQuery(limit: 37), SampleQuery(device: "Ä-band", limit: 11),
                    SampleQuery(quantity: "steps", limit: 50),
                    SampleQuery(fromMicros: -7_205_000_000, toMicros: 1_000_000, limit: 64),
                    SampleQuery(device: "c0:00:00:00:00:0b", quantity: "heart_rate", fromMicros: 0, limit: 5),
                ]
                for query in sampleQueries {
                    let expected = try await Self.samplePages(sqlite, query, tenant: tenant)
                    let actual = try await Self.samplePages(postgres, query, tenant: tenant)
                    #expect(expected.map(\.0) == actual.map(\.0), "\(tenant) \(query)")
                    #expect(expected.map(\.1?.timeMicros) == actual.map(\.1?.timeMicros), "\(tenant) \(query) cursors")
                }
                for query in [EventQuery(limit: 9), EventQuery(device: "_raw", kind: "battery", limit: 2),
                              EventQuery(fromMicros: -1, toMicros: 7_200_000_000, limit: 1000)] {
                    let expected = try await Self.eventPages(sqlite, query, tenant: tenant)
                    let actual = try await Self.eventPages(postgres, query, tenant: tenant)
                    #expect(expected.map(\.0) == actual.map(\.0), "\(tenant) \(query)")
                    #expect(expected.map(\.1?.timeMicros) == actual.map(\.1?.timeMicros), "\(tenant) \(query) cursors")
                }
                let metricQueries = [
                    MetricQuery(), MetricQuery(subjectKind: .wearer, subject: "runner"),
                    MetricQuery(subjectKind: .device, metric: "cadence", fromMicros: -7_300_000_000, toMicros: 0),
                    MetricQuery(limit: 17),
                ]
                for query in metricQueries {
                    #expect(try await sqlite.metricRecords(query, tenant: tenant)
                            == postgres.metricRecords(query, tenant: tenant), "\(tenant) \(query)")
                    for seconds: Int64 in [1, 7, 60, 3600, 86_400] {
                        let expected = try await sqlite.metricBuckets(query, bucketMicros: seconds * 1_000_000, tenant: tenant)
                        let actual = try await postgres.metricBuckets(query, bucketMicros: seconds * 1_000_000, tenant: tenant)
                        // The mean is a floating-point sum divided by the count, summed in each
                        // engine's own way (SQLite compensates its sum); the rest is exact.
                        var roundedMeans = actual
                        for index in roundedMeans.indices where index < expected.count {
                            let difference = abs(roundedMeans[index].mean - expected[index].mean)
                            #expect(difference <= 1e-12 * max(1, abs(expected[index].mean)), "\(tenant) \(query) \(seconds) s")
                            roundedMeans[index].mean = expected[index].mean
                        }
                        #expect(expected == roundedMeans, "\(tenant) \(query) \(seconds) s")
                        #expect(!expected.isEmpty || tenant != "clinic-a", "\(query) \(seconds) s: no buckets")
                    }
                }
            }
        }
    }
}
