import GRDB

extension GatewayStore {
    /// How long raw payloads are kept and how large the database may grow
    /// (`--keep-raw`, `--max-db-size`).
    public struct RetentionPolicy: Sendable, Equatable {
        /// Raw payload chunks whose last payload is older than this many seconds are
        /// evicted; nil keeps them until the quota needs their room.
        public var keepRaw: Double?
        /// Bytes of pages in use the database may hold; nil: no quota. Eviction brings it
        /// down to ``quotaTarget`` of this, so that it is not at the edge after every commit.
        public var maximumBytes: Int64?

        /// Share of ``maximumBytes`` the quota evicts down to.
        public static let quotaTarget = 0.9

        public init(keepRaw: Double? = nil, maximumBytes: Int64? = nil) {
            self.keepRaw = keepRaw
            self.maximumBytes = maximumBytes
        }

        /// Whether the policy ever evicts anything.
        public var isActive: Bool { keepRaw != nil || maximumBytes != nil }
    }

    /// What one ``enforceRetention(_:now:)`` evicted, oldest first in each class.
    public struct RetentionReport: Sendable, Equatable, CustomStringConvertible {
        /// Raw payload chunks and the payloads in them, evicted for their age (`keepRaw`).
        public var expiredRawChunks = 0
        public var expiredRawPayloads = 0
        /// Raw payload chunks, sample chunks, device events and metric records evicted for the quota.
        public var quotaRawChunks = 0
        public var quotaRawPayloads = 0
        public var quotaSampleChunks = 0
        public var quotaSamples = 0
        public var quotaEvents = 0
        public var quotaMetricRecords = 0
        /// Of the samples, events and metric records above: how many the uplink had not yet
        /// delivered (the quota evicts those only once every delivered one is gone).
        public var quotaUndelivered = 0
        /// Bytes of pages in use before and after (page count less free pages, times the
        /// page size: what the quota counts; freed pages are reused by later commits, so
        /// the file stops growing rather than shrinking).
        public var bytesBefore: Int64 = 0
        public var bytesAfter: Int64 = 0

        public init() {}

        /// Whether nothing was evicted.
        public var isEmpty: Bool {
            expiredRawChunks == 0 && quotaRawChunks == 0 && quotaSampleChunks == 0 && quotaEvents == 0
                && quotaMetricRecords == 0
        }

        public var description: String {
            var parts: [String] = []
            if expiredRawChunks > 0 {
                parts.append("\(expiredRawPayloads) raw payloads older than the --keep-raw period (\(expiredRawChunks) chunks)")
            }
            if quotaRawChunks > 0 { parts.append("\(quotaRawPayloads) raw payloads (\(quotaRawChunks) chunks)") }
            if quotaSampleChunks > 0 { parts.append("\(quotaSamples) samples (\(quotaSampleChunks) chunks)") }
            if quotaEvents > 0 { parts.append("\(quotaEvents) device events") }
            if quotaMetricRecords > 0 { parts.append("\(quotaMetricRecords) metric records") }
            if quotaUndelivered > 0 { parts.append("\(quotaUndelivered) of them never uploaded") }
            if parts.isEmpty { return "nothing evicted (\(bytesAfter) bytes in use)" }
            return "evicted " + parts.joined(separator: ", ") + "; \(bytesBefore) -> \(bytesAfter) bytes in use"
        }
    }

    /// Evicts what the policy no longer keeps, in one transaction: first raw payload
    /// chunks older than `keepRaw`; then, while the pages in use exceed
    /// ``RetentionPolicy/quotaTarget`` of `maximumBytes`, the oldest data by class: raw
    /// payloads first (high rate, and the samples decoded from them stay), then the oldest
    /// sample chunks, device events last. Every eviction is counted in the report.
    ///
    /// - Parameter now: the gateway's time in microseconds since the Unix epoch.
    public func enforceRetention(_ policy: RetentionPolicy, now: Int64) throws(GatewayStoreError) -> RetentionReport {
        do {
            return try writer.write { db in try Self.enforceRetention(db, policy: policy, now: now) }
        } catch {
            throw .wrapping(error, path: path, operation: "evict old data from")
        }
    }

    /// ``enforceRetention(_:now:)`` through GRDB's async write, for a service on Swift's
    /// cooperative pool (an eviction can take a while; it must not block a pool thread).
    public func enforceRetention(_ policy: RetentionPolicy, now: Int64) async throws(GatewayStoreError) -> RetentionReport {
        let result: Result<RetentionReport, any Error>
        do {
            result = .success(try await writer.write { db in try Self.enforceRetention(db, policy: policy, now: now) })
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let report): return report
        case .failure(let error): throw .wrapping(error, path: path, operation: "evict old data from")
        }
    }

    /// Bytes of the database's pages in use (page count less the free list).
    public func bytesInUse() throws(GatewayStoreError) -> Int64 {
        try read("measure") { db in try Self.bytesInUse(db) }
    }

    static func bytesInUse(_ db: Database) throws -> Int64 {
        let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        return (pages - free) * size
    }

    /// Rows deleted per step of the quota loop: small enough not to overshoot by much,
    /// large enough that a big eviction takes few measurements.
    static let evictionStep = 64

    private static func enforceRetention(_ db: Database, policy: RetentionPolicy, now: Int64) throws -> RetentionReport {
        var report = RetentionReport()
        report.bytesBefore = try bytesInUse(db)
        if let keepRaw = policy.keepRaw {
            let cutoff = now - Int64((keepRaw * 1_000_000).rounded())
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(count), 0) FROM raw_chunk WHERE end_us < ?",
                                       arguments: [cutoff])
            report.expiredRawChunks = row?[0] ?? 0
            report.expiredRawPayloads = row?[1] ?? 0
            if report.expiredRawChunks > 0 {
                try db.execute(sql: "DELETE FROM raw_chunk WHERE end_us < ?", arguments: [cutoff])
            }
        }
        if let maximumBytes = policy.maximumBytes {
            let target = Int64(Double(maximumBytes) * RetentionPolicy.quotaTarget)
            // Oldest first within each class; a class is only touched once the one before
            // it is empty. What the collector has is evicted before what it has not, and
            // metric records (small, and what readers ask for most) last.
            let delivered = try uplinkState(db).delivered
            let classes: [(table: String, order: String, condition: String, counted: String)] = [
                ("raw_chunk", "start_us", "1", "count"),
                ("sample_chunk", "start_us", "id <= \(delivered.sampleChunk)", "count"),
                ("device_event", "gateway_time_us", "id <= \(delivered.event)", "1"),
                ("sample_chunk", "start_us", "id > \(delivered.sampleChunk)", "count"),
                ("device_event", "gateway_time_us", "id > \(delivered.event)", "1"),
                ("metric_record", "time_us", "id <= \(delivered.metricRecord)", "1"),
                ("metric_record", "time_us", "id > \(delivered.metricRecord)", "1"),
            ]
            var next = 0
            while next < classes.count, try bytesInUse(db) > target {
                let evictable = classes[next]
                guard let (rows, items) = try evictOldest(db, table: evictable.table, order: evictable.order,
                                                          where: evictable.condition, counted: evictable.counted) else {
                    next += 1
                    continue
                }
                switch next {
                case 0:
                    report.quotaRawChunks += rows
                    report.quotaRawPayloads += items
                case 1, 3:
                    report.quotaSampleChunks += rows
                    report.quotaSamples += items
                case 2, 4:
                    report.quotaEvents += rows
                default:
                    report.quotaMetricRecords += rows
                }
                if next >= 3 && next != 5 { report.quotaUndelivered += items }
            }
        }
        report.bytesAfter = try bytesInUse(db)
        return report
    }

    /// Deletes the `evictionStep` oldest rows of `table`; the rows and the sum of `counted`
    /// over them, or nil when the table is empty.
    private static func evictOldest(_ db: Database, table: String, order: String, where condition: String,
                                    counted: String) throws -> (rows: Int, items: Int)? {
        // Never the row with the largest id of a table the uplink follows: SQLite would give
        // that id to the next row inserted, and the cursor may already count it as delivered.
        let keepNewest = table == "raw_chunk" ? "" : " AND id < (SELECT MAX(id) FROM \(table))"
        let ids = try Int64.fetchAll(db, sql: """
            SELECT id FROM \(table) WHERE \(condition)\(keepNewest) ORDER BY \(order), id LIMIT \(evictionStep)
            """)
        guard !ids.isEmpty else { return nil }
        let list = ids.map(String.init).joined(separator: ",")
        let items = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(\(counted)), 0) FROM \(table) WHERE id IN (\(list))") ?? 0
        try db.execute(sql: "DELETE FROM \(table) WHERE id IN (\(list))")
        return (ids.count, items)
    }
}
