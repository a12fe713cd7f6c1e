import Foundation
import GRDB
import UploadFormat

/// ``CollectorStorage`` in SQLite through GRDB: a `DatabasePool` (WAL: queries never wait for
/// an ingest) on a file, or an in-memory `DatabaseQueue` for tests, behind `any DatabaseWriter`
/// (STYLE.md, Storage).
///
/// Schema (migrations "v1", "v2-metric-series"): every table carries its tenant (samples and
/// metric records through their series), and every query filters on it.
///
///     batch(tenant, batch_id) UNIQUE        the idempotency key; one row per stored batch
///     device(tenant, address) UNIQUE        first/last seen, the gateway, a sample count
///     series(tenant, address, quantity, unit) UNIQUE    one per device quantity ('' = no unit)
///     sample_chunk(series, batch, start_us, end_us, count, times, channels, places, sample_values)
///                                           a batch's samples of a series, columnar (SampleChunk)
///     event(tenant, address, time_us, kind, detail)
///     metric_series(tenant, subject_kind, subject, metric, unit) UNIQUE    one per subject's metric
///     metric_record(series, time_us, id) PRIMARY KEY, end_us, value, quality    WITHOUT ROWID
///
/// A metric record's row is clustered by series and time (a table WITHOUT ROWID on that key):
/// a subject's day of a metric is one range of adjacent rows, read in time order with no sort
/// and no string per row (CollectorBenchmarks: a device-day of stride_time, 10,000 records).
/// Its id is the batch row's id × 2^22 + the record's place in its batch, as for samples.
public final class SQLiteCollectorStorage: CollectorStorage {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path`, file mode 0600 (health data,
    /// ARCHITECTURE.md), and migrates it.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        if !FileSystem.exists(path) { try FileSystem.createPrivateFile(path) }
        writer = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(writer)
    }

    /// A private in-memory database, for tests.
    public init() throws {
        writer = try DatabaseQueue()
        try Self.migrator.migrate(writer)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE batch (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    batch_id TEXT NOT NULL,
                    gateway TEXT NOT NULL,
                    received_us INTEGER NOT NULL,
                    sample_count INTEGER NOT NULL,
                    event_count INTEGER NOT NULL,
                    record_count INTEGER NOT NULL,
                    UNIQUE (tenant, batch_id)
                );
                CREATE TABLE device (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    address TEXT NOT NULL,
                    gateway TEXT NOT NULL,
                    first_seen_us INTEGER NOT NULL,
                    last_seen_us INTEGER NOT NULL,
                    sample_count INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (tenant, address)
                );
                CREATE TABLE series (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    address TEXT NOT NULL,
                    quantity TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    UNIQUE (tenant, address, quantity, unit)
                );
                CREATE TABLE sample_chunk (
                    id INTEGER PRIMARY KEY,
                    series INTEGER NOT NULL REFERENCES series(id),
                    batch INTEGER NOT NULL REFERENCES batch(id),
                    start_us INTEGER NOT NULL,
                    end_us INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    times BLOB NOT NULL,
                    channels BLOB NOT NULL,
                    places BLOB NOT NULL,
                    sample_values BLOB NOT NULL
                );
                CREATE INDEX sample_chunk_by_series_start ON sample_chunk(series, start_us);
                CREATE INDEX sample_chunk_by_span ON sample_chunk(end_us - start_us);
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    address TEXT NOT NULL,
                    time_us INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX event_by_tenant_time ON event(tenant, time_us);
                CREATE TABLE metric_record (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    subject_kind INTEGER NOT NULL,
                    subject TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    time_us INTEGER NOT NULL,
                    end_us INTEGER,
                    value REAL NOT NULL,
                    quality REAL
                );
                CREATE INDEX metric_by_subject_time ON metric_record(tenant, metric, subject, time_us);
                CREATE INDEX metric_by_tenant_time ON metric_record(tenant, time_us);
                """)
        }
        // Metric records by series: the strings once per series, the rows clustered by series
        // and time. Records of v1 keep their ids (1, 2, ...: below any batch row × 2^22 to come).
        migrator.registerMigration("v2-metric-series") { db in
            try db.execute(sql: """
                CREATE TABLE metric_series (
                    id INTEGER PRIMARY KEY,
                    tenant TEXT NOT NULL,
                    subject_kind INTEGER NOT NULL,
                    subject TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    UNIQUE (tenant, subject_kind, subject, metric, unit)
                );
                INSERT INTO metric_series (tenant, subject_kind, subject, metric, unit)
                    SELECT DISTINCT tenant, subject_kind, subject, metric, unit FROM metric_record ORDER BY 1, 2, 3, 4, 5;
                CREATE TABLE metric_record_by_series (
                    series INTEGER NOT NULL REFERENCES metric_series(id),
                    time_us INTEGER NOT NULL,
                    id INTEGER NOT NULL,
                    end_us INTEGER,
                    value REAL NOT NULL,
                    quality REAL,
                    PRIMARY KEY (series, time_us, id)
                ) WITHOUT ROWID;
                INSERT INTO metric_record_by_series (series, time_us, id, end_us, value, quality)
                    SELECT s.id, r.time_us, r.id, r.end_us, r.value, r.quality
                    FROM metric_record r JOIN metric_series s USING (tenant, subject_kind, subject, metric, unit);
                DROP TABLE metric_record;
                ALTER TABLE metric_record_by_series RENAME TO metric_record;
                """)
        }
        return migrator
    }

    // MARK: Ingest

    public func ingest(_ batch: UploadBatch, tenant: String, receivedMicros: Int64) async throws -> IngestOutcome {
        try await writer.write { db in
            // The unique key decides, inside this transaction: a second copy of the batch (a
            // retry, another collector on the same database) inserts nothing here, and then
            // nothing else.
            try db.execute(
                sql: """
                    INSERT INTO batch (tenant, batch_id, gateway, received_us, sample_count, event_count, record_count)
                    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, batch_id) DO NOTHING
                    """,
                arguments: [tenant, batch.id, batch.gatewayID, receivedMicros, batch.samples.count,
                            batch.events.count, batch.metricRecords.count])
            guard db.changesCount == 1 else { return .duplicate }
            let batchRow = db.lastInsertedRowID
            try Self.storeDevices(of: batch, tenant: tenant, db: db)
            try Self.storeSamples(of: batch, row: batchRow, tenant: tenant, db: db)
            try Self.storeEvents(of: batch, tenant: tenant, db: db)
            try Self.storeMetricRecords(of: batch, row: batchRow, tenant: tenant, db: db)
            return .stored
        }
    }

    /// One upsert per device of the batch, with its time span and sample count.
    private static func storeDevices(of batch: UploadBatch, tenant: String, db: Database) throws {
        var spans: [UInt32: (first: Int64, last: Int64, samples: Int64)] = [:]
        func note(_ address: UploadBatch.StringRef, _ time: Int64, samples: Int64) {
            let span = spans[address.index] ?? (.max, .min, 0)
            spans[address.index] = (min(span.first, time), max(span.last, time), span.samples + samples)
        }
        for sample in batch.samples { note(sample.address, sample.timeMicros, samples: 1) }
        for event in batch.events { note(event.address, event.timeMicros, samples: 0) }
        for record in batch.metricRecords where record.subjectKind == .device {
            note(record.subject, record.timeMicros, samples: 0)
        }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO device (tenant, address, gateway, first_seen_us, last_seen_us, sample_count)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant, address) DO UPDATE SET
                gateway = excluded.gateway,
                first_seen_us = min(first_seen_us, excluded.first_seen_us),
                last_seen_us = max(last_seen_us, excluded.last_seen_us),
                sample_count = sample_count + excluded.sample_count
            """)
        for (address, span) in spans.sorted(by: { $0.key < $1.key }) {
            try statement.execute(arguments: [tenant, batch.strings[Int(address)], batch.gatewayID, span.first,
                                              span.last, span.samples])
        }
    }

    /// The batch's samples grouped by series (in order of first appearance), each group
    /// sorted by time then place in the batch and written as chunks of up to
    /// ``SampleChunk/maximumCount``; `row` is the batch's row id.
    private static func storeSamples(of batch: UploadBatch, row batchRow: Int64, tenant: String, db: Database) throws {
        guard !batch.samples.isEmpty else { return }
        let upsertSeries = try db.cachedStatement(sql: """
            INSERT INTO series (tenant, address, quantity, unit) VALUES (?, ?, ?, ?)
            ON CONFLICT (tenant, address, quantity, unit) DO UPDATE SET unit = excluded.unit
            RETURNING id
            """)
        let insertChunk = try db.cachedStatement(sql: """
            INSERT INTO sample_chunk (series, batch, start_us, end_us, count, times, channels, places, sample_values)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let slots = SeriesSlots(batch)
        let groups = zip(slots.firstSample, slots.places())
        try batch.samples.withUnsafeBufferPointer { samples in
            for (first, rows) in groups {
                let sample = samples[first]
                guard let series = try Int64.fetchOne(upsertSeries, arguments: [
                    tenant, batch.string(sample.address), batch.string(sample.quantity),
                    sample.unit.map(batch.string) ?? "",
                ]) else { throw DatabaseError(message: "series upsert returned no id") }
                for chunk in SampleChunk.chunks(of: rows, in: samples) {
                    let encoded = chunk.encoded()
                    insertChunk.setUncheckedArguments(StatementArguments([
                        series.databaseValue, batchRow.databaseValue, encoded.start.databaseValue,
                        encoded.end.databaseValue, chunk.count.databaseValue, Data(encoded.times).databaseValue,
                        Data(encoded.channels).databaseValue, Data(encoded.places).databaseValue,
                        Data(encoded.values).databaseValue,
                    ]))
                    try insertChunk.execute()
                }
            }
        }
    }

    private static func storeEvents(of batch: UploadBatch, tenant: String, db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO event (tenant, address, time_us, kind, detail) VALUES (?, ?, ?, ?, ?)")
        for event in batch.events {
            try statement.execute(arguments: [tenant, batch.string(event.address), event.timeMicros,
                                              batch.string(event.kind), event.detail.map(batch.string)])
        }
    }

    /// Each record under its series (upserted once per distinct subject, metric and unit of
    /// the batch), with the id batch row × 2^22 + its place in the batch.
    private static func storeMetricRecords(of batch: UploadBatch, row batchRow: Int64, tenant: String,
                                           db: Database) throws {
        guard !batch.metricRecords.isEmpty else { return }
        let upsertSeries = try db.cachedStatement(sql: """
            INSERT INTO metric_series (tenant, subject_kind, subject, metric, unit) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tenant, subject_kind, subject, metric, unit) DO UPDATE SET unit = excluded.unit
            RETURNING id
            """)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO metric_record (series, time_us, id, end_us, value, quality) VALUES (?, ?, ?, ?, ?, ?)
            """)
        struct Key: Hashable {
            var kind: UInt8
            var subject: UInt32
            var metric: UInt32
            var unit: UInt32
        }
        var seriesOf: [Key: Int64] = [:]
        for (place, record) in batch.metricRecords.enumerated() {
            let key = Key(kind: record.subjectKind.rawValue, subject: record.subject.index, metric: record.metric.index,
                          unit: record.unit.index)
            let series: Int64
            if let known = seriesOf[key] {
                series = known
            } else {
                guard let id = try Int64.fetchOne(upsertSeries, arguments: [
                    tenant, Int64(record.subjectKind.rawValue), batch.string(record.subject), batch.string(record.metric),
                    batch.string(record.unit),
                ]) else { throw DatabaseError(message: "metric series upsert returned no id") }
                seriesOf[key] = id
                series = id
            }
            try insert.execute(arguments: [series, record.timeMicros, SampleChunk.row(batch: batchRow, place: Int32(place)),
                                           record.endMicros, record.value, record.quality])
        }
    }

    // MARK: Queries

    public func check() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func devices(tenant: String) async throws -> [StoredDevice] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT address, gateway, first_seen_us, last_seen_us, sample_count FROM device
                WHERE tenant = ? ORDER BY address
                """, arguments: [tenant]).map { row in
                StoredDevice(address: row[0], gateway: row[1], firstSeenMicros: row[2], lastSeenMicros: row[3],
                             sampleCount: row[4])
            }
        }
    }

    /// A `WHERE` clause built from optional filters, with its arguments in order.
    struct Filter {
        var clauses: [String] = []
        var arguments: StatementArguments = []

        mutating func add(_ clause: String, _ values: (any DatabaseValueConvertible)?...) {
            clauses.append(clause)
            for value in values { arguments += [value] }
        }

        mutating func time(_ column: String, from: Int64?, to: Int64?) {
            if let from { add("\(column) >= ?", from) }
            if let to { add("\(column) < ?", to) }
        }

        mutating func after(_ cursor: PageCursor?, time: String, row: String) {
            if let cursor { add("(\(time), \(row)) > (?, ?)", cursor.timeMicros, cursor.row) }
        }

        var sql: String { clauses.joined(separator: " AND ") }
    }

    /// Samples in (time, row) order (``SampleChunk/row(batch:place:)``): the chunks that may hold some are
    /// read in order of their first time and merged, a chunk joining the merge before
    /// anything at or after its first time is emitted; the page stops at `limit`.
    public func samples(_ query: SampleQuery, tenant: String) async throws -> Page<StoredSample> {
        var filter = Filter()
        filter.add("series.tenant = ?", tenant)
        if let device = query.device { filter.add("series.address = ?", device) }
        if let quantity = query.quantity { filter.add("series.quantity = ?", quantity) }
        let lower = max(query.fromMicros ?? .min, query.after?.timeMicros ?? .min)
        let upper = query.toMicros ?? .max
        let limit = query.limit, after = query.after, base = filter
        return try await writer.read { db in
            var conditions = base
            if lower > .min {
                // No chunk is wider than the widest (its span's index answers in O(log n)), so
                // this bounds the start from below as well.
                let widest = try Int64.fetchOne(db, sql: "SELECT MAX(end_us - start_us) FROM sample_chunk") ?? 0
                conditions.add("sample_chunk.end_us >= ?", lower)
                let (bound, overflow) = lower.subtractingReportingOverflow(widest)
                if !overflow { conditions.add("sample_chunk.start_us >= ?", bound) }
            }
            if upper < .max { conditions.add("sample_chunk.start_us < ?", upper) }
            let chunks = try Row.fetchCursor(db, sql: """
                SELECT sample_chunk.id, sample_chunk.start_us, sample_chunk.count, series.address, series.quantity,
                       series.unit, sample_chunk.batch
                FROM sample_chunk JOIN series ON series.id = sample_chunk.series
                WHERE \(conditions.sql) ORDER BY sample_chunk.start_us, sample_chunk.id
                """, arguments: conditions.arguments)
            let columns = try db.cachedStatement(
                sql: "SELECT times, channels, places, sample_values FROM sample_chunk WHERE id = ?")
            var page = SamplePage(SampleMerge(from: query.fromMicros, to: query.toMicros, after: after), limit: limit)

            func load(_ row: Row) throws {
                let id: Int64 = row[0], start: Int64 = row[1], count: Int = row[2]
                guard let blobs = try Row.fetchOne(columns, arguments: [id]) else { return }
                let times: Data = blobs[0], channels: Data = blobs[1], places: Data = blobs[2], values: Data = blobs[3]
                let chunk = try times.withUnsafeBytes { times in
                    try channels.withUnsafeBytes { channels in
                        try places.withUnsafeBytes { places in
                            try values.withUnsafeBytes { values in
                                try SampleChunk(start: start, count: count, times: times, channels: channels,
                                                places: places, values: values)
                            }
                        }
                    }
                }
                let unit: String = row[5]
                page.merge.add(chunk, batch: row[6], address: row[3], quantity: row[4], unit: unit.isEmpty ? nil : unit)
            }

            while let row = try chunks.next() {
                if page.emit(before: row[1]) { return page.page }
                try load(row)
            }
            _ = page.emit(before: nil)
            return page.page
        }
    }

    public func events(_ query: EventQuery, tenant: String) async throws -> Page<StoredEvent> {
        var filter = Filter()
        filter.add("tenant = ?", tenant)
        if let device = query.device { filter.add("address = ?", device) }
        if let kind = query.kind { filter.add("kind = ?", kind) }
        filter.time("time_us", from: query.fromMicros, to: query.toMicros)
        filter.after(query.after, time: "time_us", row: "id")
        let limit = query.limit, clause = filter.sql, arguments = filter.arguments + [limit + 1]
        return try await writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT time_us, id, address, kind, detail FROM event
                WHERE \(clause) ORDER BY time_us, id LIMIT ?
                """, arguments: arguments)
            let events = rows.prefix(limit).map { row in
                StoredEvent(timeMicros: row[0], address: row[2], kind: row[3], detail: row[4])
            }
            let next = rows.count > limit ? PageCursor(timeMicros: rows[limit - 1][0], row: rows[limit - 1][1]) : nil
            return Page(rows: events, next: next)
        }
    }

    /// A metric series: what every record of it shares.
    private struct MetricSeries {
        var kind: UploadBatch.SubjectKind
        var subject: String
        var metric: String
        var unit: String
    }

    /// The tenant's metric series that `query` selects, by id, and the SQL condition on
    /// `metric_record` (its series among them, its time in the query's range).
    private static func metricSeries(_ query: MetricQuery, tenant: String,
                                     db: Database) throws -> (series: [Int64: MetricSeries], filter: Filter) {
        var selection = Filter()
        selection.add("tenant = ?", tenant)
        if let kind = query.subjectKind { selection.add("subject_kind = ?", Int64(kind.rawValue)) }
        if let subject = query.subject { selection.add("subject = ?", subject) }
        if let metric = query.metric { selection.add("metric = ?", metric) }
        var series: [Int64: MetricSeries] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT id, subject_kind, subject, metric, unit FROM metric_series WHERE \(selection.sql)
            """, arguments: selection.arguments) {
            series[row[0]] = MetricSeries(kind: UploadBatch.SubjectKind(rawValue: row[1]) ?? .device, subject: row[2],
                                          metric: row[3], unit: row[4])
        }
        var filter = Filter()
        // Ids from this read transaction's own snapshot: bound as numbers, never text.
        filter.add("series IN (\(series.keys.sorted().map(String.init).joined(separator: ", ")))")
        filter.time("time_us", from: query.fromMicros, to: query.toMicros)
        return (series, filter)
    }

    public func metricRecords(_ query: MetricQuery, tenant: String) async throws -> [StoredMetricRecord] {
        try await writer.read { db in
            let (series, filter) = try Self.metricSeries(query, tenant: tenant, db: db)
            guard !series.isEmpty else { return [] }
            var records: [StoredMetricRecord] = []
            records.reserveCapacity(min(query.limit, 10_000))
            // A cursor: its rows are read in place, not copied. One series' records come in
            // time order from the table's key; several are merged by SQLite's sort.
            let rows = try Row.fetchCursor(db, sql: """
                SELECT series, time_us, end_us, value, quality FROM metric_record
                WHERE \(filter.sql) ORDER BY time_us, id LIMIT ?
                """, arguments: filter.arguments + [query.limit])
            while let row = try rows.next() {
                guard let of = series[row[0]] else { continue }
                records.append(StoredMetricRecord(timeMicros: row[1], endMicros: row[2], subjectKind: of.kind,
                                                  subject: of.subject, metric: of.metric, value: row[3], unit: of.unit,
                                                  quality: row[4]))
            }
            return records
        }
    }

    /// Buckets computed while the records stream by series and time (the table's own order):
    /// a bucket is complete when its series' next record falls in a later one, so there is no
    /// grouping sort, only one of the buckets (by start, then subject kind, subject, metric
    /// and unit, their bytes compared as SQLite's BINARY collation does) at the end.
    public func metricBuckets(_ query: MetricQuery, bucketMicros: Int64, tenant: String) async throws -> [MetricBucket] {
        try await writer.read { db in
            let (series, filter) = try Self.metricSeries(query, tenant: tenant, db: db)
            guard !series.isEmpty else { return [] }
            // Each series' place in the final order.
            let ranked = series.sorted { lhs, rhs in
                let (left, right) = (lhs.value, rhs.value)
                if left.kind != right.kind { return left.kind.rawValue < right.kind.rawValue }
                for (l, r) in [(left.subject, right.subject), (left.metric, right.metric), (left.unit, right.unit)]
                where l != r {
                    return l.utf8.lexicographicallyPrecedes(r.utf8)
                }
                return lhs.key < rhs.key
            }
            var rank: [Int64: Int] = [:]
            for (place, entry) in ranked.enumerated() { rank[entry.key] = place }

            struct Open {
                var series: Int64
                var start: Int64
                var count = 0
                var minimum = Double.infinity
                var sum = 0.0
                var maximum = -Double.infinity
            }
            var closed: [(rank: Int, open: Open)] = []
            var open: Open?
            func close() {
                if let open { closed.append((rank[open.series] ?? 0, open)) }
            }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT series, time_us, value FROM metric_record WHERE \(filter.sql) ORDER BY series, time_us
                """, arguments: filter.arguments)
            while let row = try rows.next() {
                let id: Int64 = row[0], time: Int64 = row[1], value: Double = row[2]
                // Aligned to the Unix epoch, floored for times before 1970 too.
                let remainder = time % bucketMicros
                let start = time - (remainder < 0 ? remainder + bucketMicros : remainder)
                if open?.series != id || open?.start != start {
                    close()
                    open = Open(series: id, start: start)
                }
                open!.count += 1
                open!.minimum = min(open!.minimum, value)
                open!.sum += value
                open!.maximum = max(open!.maximum, value)
            }
            close()
            closed.sort { lhs, rhs in
                lhs.open.start != rhs.open.start ? lhs.open.start < rhs.open.start : lhs.rank < rhs.rank
            }
            return closed.prefix(query.limit).compactMap { entry in
                guard let of = series[entry.open.series] else { return nil }
                return MetricBucket(startMicros: entry.open.start, endMicros: entry.open.start + bucketMicros,
                                    subjectKind: of.kind, subject: of.subject, metric: of.metric, unit: of.unit,
                                    count: entry.open.count, minimum: entry.open.minimum,
                                    mean: entry.open.sum / Double(entry.open.count), maximum: entry.open.maximum)
            }
        }
    }
}
