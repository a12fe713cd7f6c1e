import GRDB
import UploadFormat

/// ``CollectorStorage`` in SQLite through GRDB: a `DatabasePool` (WAL: queries never wait for
/// an ingest) on a file, or an in-memory `DatabaseQueue` for tests, behind `any DatabaseWriter`
/// (STYLE.md, Storage).
///
/// Schema (migration "v1"): every table carries its tenant, and every query filters on it.
///
///     batch(tenant, batch_id) UNIQUE        the idempotency key; one row per stored batch
///     device(tenant, address) UNIQUE        first/last seen, the gateway, a sample count
///     series(tenant, address, quantity, unit) UNIQUE    one per device quantity ('' = no unit)
///     sample(series, time_us, channel, value)           indexed by (series, time_us)
///     event(tenant, address, time_us, kind, detail)
///     metric_record(tenant, subject_kind, subject, metric, unit, time_us, end_us, value, quality)
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
                CREATE TABLE sample (
                    series INTEGER NOT NULL REFERENCES series(id),
                    time_us INTEGER NOT NULL,
                    channel INTEGER NOT NULL,
                    value REAL NOT NULL
                );
                CREATE INDEX sample_by_series_time ON sample(series, time_us);
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
        return migrator
    }

    // MARK: Ingest

    private struct SeriesKey: Hashable {
        var address: UInt32
        var quantity: UInt32
        var unit: UInt32
    }

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
            try Self.storeDevices(of: batch, tenant: tenant, db: db)
            try Self.storeSamples(of: batch, tenant: tenant, db: db)
            try Self.storeEvents(of: batch, tenant: tenant, db: db)
            try Self.storeMetricRecords(of: batch, tenant: tenant, db: db)
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

    private static func storeSamples(of batch: UploadBatch, tenant: String, db: Database) throws {
        guard !batch.samples.isEmpty else { return }
        let upsertSeries = try db.cachedStatement(sql: """
            INSERT INTO series (tenant, address, quantity, unit) VALUES (?, ?, ?, ?)
            ON CONFLICT (tenant, address, quantity, unit) DO UPDATE SET unit = excluded.unit
            RETURNING id
            """)
        let insertSample = try db.cachedStatement(
            sql: "INSERT INTO sample (series, time_us, channel, value) VALUES (?, ?, ?, ?)")
        var seriesIDs: [SeriesKey: Int64] = [:]
        var lastKey: SeriesKey?
        var lastID: Int64 = 0
        for sample in batch.samples {
            let key = SeriesKey(address: sample.address.index, quantity: sample.quantity.index,
                                unit: sample.unit?.index ?? .max)
            if key != lastKey {
                if let id = seriesIDs[key] {
                    lastID = id
                } else {
                    let unit = sample.unit.map(batch.string) ?? ""
                    guard let id = try Int64.fetchOne(upsertSeries, arguments: [
                        tenant, batch.string(sample.address), batch.string(sample.quantity), unit,
                    ]) else { throw DatabaseError(message: "series upsert returned no id") }
                    seriesIDs[key] = id
                    lastID = id
                }
                lastKey = key
            }
            try insertSample.execute(arguments: [lastID, sample.timeMicros, Int64(sample.channel), sample.value])
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

    private static func storeMetricRecords(of batch: UploadBatch, tenant: String, db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO metric_record (tenant, subject_kind, subject, metric, unit, time_us, end_us, value, quality)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for record in batch.metricRecords {
            try statement.execute(arguments: [
                tenant, Int64(record.subjectKind.rawValue), batch.string(record.subject), batch.string(record.metric),
                batch.string(record.unit), record.timeMicros, record.endMicros, record.value, record.quality,
            ])
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

    public func samples(_ query: SampleQuery, tenant: String) async throws -> Page<StoredSample> {
        var filter = Filter()
        filter.add("series.tenant = ?", tenant)
        if let device = query.device { filter.add("series.address = ?", device) }
        if let quantity = query.quantity { filter.add("series.quantity = ?", quantity) }
        filter.time("sample.time_us", from: query.fromMicros, to: query.toMicros)
        filter.after(query.after, time: "sample.time_us", row: "sample.rowid")
        let limit = query.limit, clause = filter.sql, arguments = filter.arguments + [limit + 1]
        return try await writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT sample.time_us, sample.rowid, series.address, series.quantity, sample.channel, sample.value,
                       series.unit
                FROM sample JOIN series ON series.id = sample.series
                WHERE \(clause) ORDER BY sample.time_us, sample.rowid LIMIT ?
                """, arguments: arguments)
            let samples = rows.prefix(limit).map { row in
                let unit: String = row[6]
                return StoredSample(timeMicros: row[0], address: row[2], quantity: row[3], channel: row[4],
                                    value: row[5], unit: unit.isEmpty ? nil : unit)
            }
            let next = rows.count > limit ? PageCursor(timeMicros: rows[limit - 1][0], row: rows[limit - 1][1]) : nil
            return Page(rows: samples, next: next)
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

    private func metricFilter(_ query: MetricQuery, tenant: String) -> Filter {
        var filter = Filter()
        filter.add("tenant = ?", tenant)
        if let kind = query.subjectKind { filter.add("subject_kind = ?", Int64(kind.rawValue)) }
        if let subject = query.subject { filter.add("subject = ?", subject) }
        if let metric = query.metric { filter.add("metric = ?", metric) }
        filter.time("time_us", from: query.fromMicros, to: query.toMicros)
        return filter
    }

    public func metricRecords(_ query: MetricQuery, tenant: String) async throws -> [StoredMetricRecord] {
        let filter = metricFilter(query, tenant: tenant)
        let limit = query.limit
        return try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT time_us, end_us, subject_kind, subject, metric, value, unit, quality FROM metric_record
                WHERE \(filter.sql) ORDER BY time_us, id LIMIT ?
                """, arguments: filter.arguments + [limit]).map { row in
                StoredMetricRecord(timeMicros: row[0], endMicros: row[1],
                                   subjectKind: UploadBatch.SubjectKind(rawValue: row[2]) ?? .device, subject: row[3],
                                   metric: row[4], value: row[5], unit: row[6], quality: row[7])
            }
        }
    }

    public func metricBuckets(_ query: MetricQuery, bucketMicros: Int64, tenant: String) async throws -> [MetricBucket] {
        let filter = metricFilter(query, tenant: tenant)
        let limit = query.limit
        return try await writer.read { db in
            // Buckets are aligned to the Unix epoch: time_us - (time_us mod width), floored for
            // times before 1970 too.
            try Row.fetchAll(db, sql: """
                SELECT (time_us - (((time_us % ?) + ?) % ?)) AS bucket, subject_kind, subject, metric, unit,
                       count(*), min(value), avg(value), max(value)
                FROM metric_record WHERE \(filter.sql)
                GROUP BY bucket, subject_kind, subject, metric, unit
                ORDER BY bucket, subject_kind, subject, metric, unit LIMIT ?
                """, arguments: [bucketMicros, bucketMicros, bucketMicros] + filter.arguments + [limit]).map { row in
                let start: Int64 = row[0]
                return MetricBucket(startMicros: start, endMicros: start + bucketMicros,
                                    subjectKind: UploadBatch.SubjectKind(rawValue: row[1]) ?? .device, subject: row[2],
                                    metric: row[3], unit: row[4], count: row[5], minimum: row[6], mean: row[7],
                                    maximum: row[8])
            }
        }
    }
}
