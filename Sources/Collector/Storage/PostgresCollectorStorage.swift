import Logging
import NIOCore
import PostgresNIO
import UploadFormat

/// ``CollectorStorage`` in PostgreSQL through postgres-nio, for when one machine is not enough:
/// several collector processes share one database (issue 13).
///
/// ## Running it
///
/// ``client`` is a connection pool and a swift-service-lifecycle `Service`: nothing is stored or
/// read until its `run()` runs, in the collector's `ServiceGroup` (`gaitway collector --postgres`)
/// or a test's task group. ``migrate(timeout:)`` creates the schema first over one connection of
/// its own, so that a bad address, a refused login or a server that does not answer is reported
/// once, with the server's reason, within the timeout, before the pool starts.
///
/// ## Schema
///
/// The tables and their meaning are those of ``SQLiteCollectorStorage`` (every table carries its
/// tenant, through `series` for `sample_chunk`; samples in the same columnar chunks,
/// ``SampleChunk``, as `bytea`), but that metric records carry their subject, metric and unit in
/// each row (no `metric_series`), with:
///
/// - every text column in the "C" collation: `ORDER BY address` compares bytes, as SQLite's
///   BINARY collation does, whatever locale the database was created with;
/// - row ids, the second key of every time-ordered listing and of the page cursor, from identity
///   columns; a sample's is the batch row's id × 2^22 + its place in the batch
///   (``SampleChunk/row(batch:place:)``), as in SQLite;
/// - no foreign key from `sample_chunk.series`: its ids come from the series upsert of the same
///   transaction;
/// - versions in `gaitway_collector_schema`, applied under `pg_advisory_xact_lock` so that two
///   processes starting at once on an empty database do not both create it. Version 1 stored a
///   row per sample; version 2 moves them into chunks.
///
/// ## Deduplication
///
/// One transaction per batch, opened by `INSERT INTO batch ... ON CONFLICT (tenant, batch_id) DO
/// NOTHING RETURNING id`: when a second copy races the first (a retry, another collector), the
/// unique index makes it wait for the first to commit, then returns no row, and the second writes
/// nothing else (PostgreSQL 15 manual, INSERT, "ON CONFLICT Clause"). Device and series rows are
/// upserted in sorted order, so that two batches of the same devices lock them in the same order
/// and cannot deadlock.
///
/// ## Ingest
///
/// Rows go in as arrays, one `INSERT ... SELECT ... FROM unnest($1::bigint[], ...)` per table
/// (per ``chunkRows`` rows for events and metric records), in binary: a few statements per
/// batch, not one per row. A batch's samples are a few dozen chunk rows (one per series and
/// 4,096 samples), encoded here; version 1's row per sample and its `(series, time_us)` index
/// held ingest to 227,000 samples/s with two thirds of the time in the server
/// (Benchmarks/README.md, CollectorBenchmarks).
public final class PostgresCollectorStorage: CollectorStorage {
    /// The connection pool: run it (it is a `Service`) for as long as the storage is used.
    public let client: PostgresClient
    public let endpoint: PostgresEndpoint
    let logger: Logger

    /// Rows per INSERT: a bind message of a few MiB, well below PostgreSQL's 1 GiB message limit
    /// even for the largest batch (``UploadBatch/maximumRowCount``).
    static let chunkRows = 100_000

    /// Sample chunks a query fetches at a time: at most ``SampleChunk/maximumCount`` samples
    /// each, so a page of chunks is a few MiB at most.
    static let chunkPage = 64

    public init(endpoint: PostgresEndpoint, logger: Logger = Logger(label: "gaitway.collector.postgres")) {
        self.endpoint = endpoint
        self.logger = logger
        client = PostgresClient(configuration: endpoint.clientConfiguration, backgroundLogger: logger)
    }

    public convenience init(url: String, logger: Logger = Logger(label: "gaitway.collector.postgres")) throws(PostgresURLError) {
        self.init(endpoint: try PostgresEndpoint(url: url), logger: logger)
    }

    // MARK: Schema

    /// Arbitrary but fixed: "gaitway" in ASCII and 1, the key all collectors lock while migrating.
    static let schemaLockKey: Int64 = 0x6761_6974_7761_7901

    /// A schema version: its statements (one per string: the extended query protocol takes one
    /// at a time), then, in the same transaction, what SQL alone cannot do.
    struct Migration: Sendable {
        var version: Int32
        var statements: [String]
        var then: (@Sendable (PostgresConnection, Logger) async throws -> Void)?
    }

    /// Versions, only ever appended (STYLE.md, Storage).
    static let migrations: [Migration] = [
        Migration(version: 1, statements: [
            """
            CREATE TABLE batch (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                batch_id text COLLATE "C" NOT NULL,
                gateway text COLLATE "C" NOT NULL,
                received_us bigint NOT NULL,
                sample_count bigint NOT NULL,
                event_count bigint NOT NULL,
                record_count bigint NOT NULL,
                UNIQUE (tenant, batch_id)
            )
            """,
            """
            CREATE TABLE device (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                address text COLLATE "C" NOT NULL,
                gateway text COLLATE "C" NOT NULL,
                first_seen_us bigint NOT NULL,
                last_seen_us bigint NOT NULL,
                sample_count bigint NOT NULL DEFAULT 0,
                UNIQUE (tenant, address)
            )
            """,
            """
            CREATE TABLE series (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                address text COLLATE "C" NOT NULL,
                quantity text COLLATE "C" NOT NULL,
                unit text COLLATE "C" NOT NULL,
                UNIQUE (tenant, address, quantity, unit)
            )
            """,
            """
            CREATE TABLE sample (
                id bigint NOT NULL,
                series bigint NOT NULL,
                time_us bigint NOT NULL,
                channel integer NOT NULL,
                value double precision NOT NULL
            )
            """,
            "CREATE INDEX sample_by_series_time ON sample (series, time_us)",
            """
            CREATE TABLE event (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                address text COLLATE "C" NOT NULL,
                time_us bigint NOT NULL,
                kind text COLLATE "C" NOT NULL,
                detail text COLLATE "C"
            )
            """,
            "CREATE INDEX event_by_tenant_time ON event (tenant, time_us)",
            """
            CREATE TABLE metric_record (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tenant text COLLATE "C" NOT NULL,
                subject_kind integer NOT NULL,
                subject text COLLATE "C" NOT NULL,
                metric text COLLATE "C" NOT NULL,
                unit text COLLATE "C" NOT NULL,
                time_us bigint NOT NULL,
                end_us bigint,
                value double precision NOT NULL,
                quality double precision
            )
            """,
            "CREATE INDEX metric_by_subject_time ON metric_record (tenant, metric, subject, time_us)",
            "CREATE INDEX metric_by_tenant_time ON metric_record (tenant, time_us)",
        ]),
        // Samples in columnar chunks, as in SQLite (SampleChunk), instead of a row each: one row
        // and two index entries per series and batch, where a row and an index entry per
        // sample held ingest to 227,000 samples/s (CollectorBenchmarks). Version 1's rows are
        // moved batch by batch (moveRowSamples), then their table goes.
        Migration(version: 2, statements: [
            """
            CREATE TABLE sample_chunk (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                series bigint NOT NULL,
                batch bigint NOT NULL,
                start_us bigint NOT NULL,
                end_us bigint NOT NULL,
                count integer NOT NULL,
                times bytea NOT NULL,
                channels bytea NOT NULL,
                places bytea NOT NULL,
                sample_values bytea NOT NULL
            )
            """,
            "CREATE INDEX sample_chunk_by_series_start ON sample_chunk (series, start_us)",
            "CREATE INDEX sample_chunk_by_span ON sample_chunk ((end_us - start_us))",
            // Doubles' bits do not compress: stored out of line as they are, not through pglz.
            "ALTER TABLE sample_chunk ALTER COLUMN sample_values SET STORAGE EXTERNAL",
            "CREATE INDEX sample_by_id ON sample (id)",
        ], then: { connection, logger in
            try await moveRowSamples(on: connection, logger: logger)
            try await connection.query("DROP TABLE sample", logger: logger)
        }),
    ]

    /// Creates or upgrades the schema over one connection of its own (the pool need not run
    /// yet), giving up after `timeout`: an unreachable server, a refused login or a server that
    /// accepts but never answers each end in a ``PostgresStorageError`` that says which.
    /// `lastVersion` below the newest leaves the schema as an older collector made it (for the
    /// migration tests).
    public func migrate(timeout: Duration = .seconds(30), through lastVersion: Int32 = .max) async throws(PostgresStorageError) {
        let endpoint = endpoint, logger = logger
        let place = endpoint.redacted
        let result: Result<Void, PostgresStorageError> = await withTaskGroup(of: Result<Void, PostgresStorageError>?.self) { group in
            group.addTask {
                do {
                    try await Self.migrate(endpoint: endpoint, through: lastVersion, logger: logger)
                    return .success(())
                } catch let error as PostgresStorageError {
                    return .failure(error)
                } catch {
                    return .failure(.schema(endpoint: place, reason: PostgresStorageError.reason(error)))
                }
            }
            group.addTask {
                // Cancelled (nil) when the migration finishes first.
                guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                return .failure(.timedOut(endpoint: place, after: timeout))
            }
            while let next = await group.next() {
                guard let next else { continue }
                group.cancelAll()
                return next
            }
            return .failure(.timedOut(endpoint: place, after: timeout))
        }
        try result.get()
    }

    private static func migrate(endpoint: PostgresEndpoint, through lastVersion: Int32, logger: Logger) async throws {
        let connection: PostgresConnection
        let started = ContinuousClock.now
        do {
            connection = try await PostgresConnection.connect(configuration: try endpoint.connectionConfiguration(),
                                                              id: 0, logger: logger)
        } catch {
            // postgres-nio reports its connect timeout as a closed connection, with no cause.
            let reason = ContinuousClock.now - started >= endpoint.connectTimeout
                ? "no connection within connect_timeout (\(endpoint.connectTimeout))" : PostgresStorageError.reason(error)
            throw PostgresStorageError.unreachable(endpoint: endpoint.redacted, reason: reason)
        }
        // A server that stops answering mid-way: closing the channel fails the query under way,
        // so the timeout above is not left waiting for it.
        do {
            try await withTaskCancellationHandler {
                try await migrate(on: connection, through: lastVersion, logger: logger)
            } onCancel: {
                let _: EventLoopFuture<Void> = connection.close()
            }
        } catch {
            // Awaited: postgres-nio asserts that a connection is closed before it is released.
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private static func migrate(on connection: PostgresConnection, through lastVersion: Int32, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(schemaLockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS gaitway_collector_schema (
                    version integer PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var current: Int32 = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM gaitway_collector_schema", logger: logger
            ).decode(Int32.self) {
                current = version
            }
            for migration in migrations where migration.version > current && migration.version <= lastVersion {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await migration.then?(connection, logger)
                try await connection.query(
                    "INSERT INTO gaitway_collector_schema (version) VALUES (\(migration.version))", logger: logger)
                logger.notice("collector schema at version \(migration.version)")
            }
        }
    }

    // MARK: Ingest

    /// A series by its strings: two string-table entries with the same text are one series.
    private struct SeriesName: Hashable, Comparable {
        var address: String
        var quantity: String
        var unit: String

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.address, lhs.quantity, lhs.unit) < (rhs.address, rhs.quantity, rhs.unit)
        }
    }

    public func ingest(_ batch: UploadBatch, tenant: String, receivedMicros: Int64) async throws -> IngestOutcome {
        let logger = logger
        return try await client.withTransaction(logger: logger) { connection in
            // The unique key decides, inside this transaction: a second copy of the batch (a
            // retry, another collector on the same database) returns no id here, and then
            // writes nothing else.
            let inserted = try await connection.query("""
                INSERT INTO batch (tenant, batch_id, gateway, received_us, sample_count, event_count, record_count)
                VALUES (\(tenant), \(batch.id), \(batch.gatewayID), \(receivedMicros), \(Int64(batch.samples.count)),
                        \(Int64(batch.events.count)), \(Int64(batch.metricRecords.count)))
                ON CONFLICT (tenant, batch_id) DO NOTHING RETURNING id
                """, logger: logger)
            var batchRow: Int64?
            for try await id in inserted.decode(Int64.self) { batchRow = id }
            guard let batchRow else { return IngestOutcome.duplicate }
            try await Self.storeDevices(of: batch, tenant: tenant, connection: connection, logger: logger)
            try await Self.storeSamples(of: batch, batchRow: batchRow, tenant: tenant, connection: connection,
                                        logger: logger)
            try await Self.storeEvents(of: batch, tenant: tenant, connection: connection, logger: logger)
            try await Self.storeMetricRecords(of: batch, tenant: tenant, connection: connection, logger: logger)
            return IngestOutcome.stored
        }
    }

    /// Row ranges of at most ``chunkRows``.
    private static func chunks(_ count: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: chunkRows).map { $0..<min($0 + chunkRows, count) }
    }

    /// One upsert of every device of the batch, with its time span and sample count, in address
    /// order (the lock order).
    private static func storeDevices(of batch: UploadBatch, tenant: String, connection: PostgresConnection,
                                     logger: Logger) async throws {
        var byIndex: [UInt32: (first: Int64, last: Int64, samples: Int64)] = [:]
        func note(_ address: UploadBatch.StringRef, _ time: Int64, samples: Int64) {
            let span = byIndex[address.index] ?? (.max, .min, 0)
            byIndex[address.index] = (min(span.first, time), max(span.last, time), span.samples + samples)
        }
        for sample in batch.samples { note(sample.address, sample.timeMicros, samples: 1) }
        for event in batch.events { note(event.address, event.timeMicros, samples: 0) }
        for record in batch.metricRecords where record.subjectKind == .device {
            note(record.subject, record.timeMicros, samples: 0)
        }
        // One row per address text: ON CONFLICT DO UPDATE may touch a row once per statement.
        var spans: [String: (first: Int64, last: Int64, samples: Int64)] = [:]
        for (index, span) in byIndex {
            let address = batch.strings[Int(index)]
            let merged = spans[address] ?? (.max, .min, 0)
            spans[address] = (min(merged.first, span.first), max(merged.last, span.last), merged.samples + span.samples)
        }
        guard !spans.isEmpty else { return }
        let sorted = spans.sorted { $0.key < $1.key }
        let addresses = sorted.map(\.key), firsts = sorted.map(\.value.first)
        let lasts = sorted.map(\.value.last), counts = sorted.map(\.value.samples)
        try await connection.query("""
            INSERT INTO device (tenant, address, gateway, first_seen_us, last_seen_us, sample_count)
            SELECT \(tenant), address, \(batch.gatewayID), first_seen_us, last_seen_us, sample_count
            FROM unnest(\(addresses)::text[], \(firsts)::bigint[], \(lasts)::bigint[], \(counts)::bigint[])
                AS input (address, first_seen_us, last_seen_us, sample_count)
            ORDER BY address
            ON CONFLICT (tenant, address) DO UPDATE SET
                gateway = excluded.gateway,
                first_seen_us = least(device.first_seen_us, excluded.first_seen_us),
                last_seen_us = greatest(device.last_seen_us, excluded.last_seen_us),
                sample_count = device.sample_count + excluded.sample_count
            """, logger: logger)
    }

    /// Sample ids: the batch row's id, then the row's place in the batch in the low 22 bits.
    static func firstSampleID(batchRow: Int64) -> Int64 { batchRow << 22 }

    private static func storeSamples(of batch: UploadBatch, batchRow: Int64, tenant: String,
                                     connection: PostgresConnection, logger: Logger) async throws {
        guard !batch.samples.isEmpty else { return }
        // Each sample's series as a slot number, the slots' names, then their ids in one upsert.
        let slots = SeriesSlots(batch)
        let names = slots.firstSample.map { place in
            let sample = batch.samples[place]
            return SeriesName(address: batch.string(sample.address), quantity: batch.string(sample.quantity),
                              unit: sample.unit.map(batch.string) ?? "")
        }
        let distinct = Array(Set(names)).sorted()
        let addresses = distinct.map(\.address), quantities = distinct.map(\.quantity), units = distinct.map(\.unit)
        // DO UPDATE (to the same unit), not DO NOTHING: RETURNING then gives the id of a series
        // that already existed, or that a concurrent transaction just inserted.
        var ids: [SeriesName: Int64] = [:]
        let returned = try await connection.query("""
            INSERT INTO series (tenant, address, quantity, unit)
            SELECT \(tenant), address, quantity, unit
            FROM unnest(\(addresses)::text[], \(quantities)::text[], \(units)::text[]) AS input (address, quantity, unit)
            ORDER BY address, quantity, unit
            ON CONFLICT (tenant, address, quantity, unit) DO UPDATE SET unit = excluded.unit
            RETURNING id, address, quantity, unit
            """, logger: logger)
        for try await (id, address, quantity, unit) in returned.decode((Int64, String, String, String).self) {
            ids[SeriesName(address: address, quantity: quantity, unit: unit)] = id
        }
        let idOfSlot = try names.map { name in
            guard let id = ids[name] else { throw PostgresStorageError.schema(endpoint: "", reason: "series upsert returned no id") }
            return id
        }
        let chunks = batch.samples.withUnsafeBufferPointer { samples in
            zip(idOfSlot, slots.places()).flatMap { series, places in
                SampleChunk.chunks(of: places, in: samples).map { (series, $0) }
            }
        }
        try await insert(chunks, batchRow: batchRow, connection: connection, logger: logger)
    }

    /// One INSERT of a batch's chunks, their columns as arrays (a few dozen rows for a
    /// 100,000-sample batch).
    private static func insert(_ chunks: [(series: Int64, chunk: SampleChunk)], batchRow: Int64,
                               connection: PostgresConnection, logger: Logger) async throws {
        guard !chunks.isEmpty else { return }
        var series = [Int64](), starts = [Int64](), ends = [Int64](), counts = [Int32]()
        var times = [ByteBuffer](), channels = [ByteBuffer](), places = [ByteBuffer](), values = [ByteBuffer]()
        for (id, chunk) in chunks {
            let encoded = chunk.encoded()
            series.append(id)
            starts.append(encoded.start)
            ends.append(encoded.end)
            counts.append(Int32(chunk.count))
            times.append(ByteBuffer(bytes: encoded.times))
            channels.append(ByteBuffer(bytes: encoded.channels))
            places.append(ByteBuffer(bytes: encoded.places))
            values.append(ByteBuffer(bytes: encoded.values))
        }
        try await connection.query("""
            INSERT INTO sample_chunk (series, batch, start_us, end_us, count, times, channels, places, sample_values)
            SELECT series, \(batchRow), start_us, end_us, count, times, channels, places, sample_values
            FROM unnest(\(series)::bigint[], \(starts)::bigint[], \(ends)::bigint[], \(counts)::integer[],
                        \(times)::bytea[], \(channels)::bytea[], \(places)::bytea[], \(values)::bytea[])
                AS input (series, start_us, end_us, count, times, channels, places, sample_values)
            """, logger: logger)
    }

    /// Migration 2: version 1's sample rows (id = batch row × 2^22 + place) into chunks, one
    /// batch at a time (a batch holds at most 2^22 samples), read through a temporary index on id.
    static func moveRowSamples(on connection: PostgresConnection, logger: Logger) async throws {
        var batchRows: [Int64] = []
        for try await id in try await connection.query(
            "SELECT id FROM batch WHERE sample_count > 0 ORDER BY id", logger: logger
        ).decode(Int64.self) {
            batchRows.append(id)
        }
        var moved = 0
        for batchRow in batchRows {
            let first = firstSampleID(batchRow: batchRow), next = firstSampleID(batchRow: batchRow + 1)
            var chunks: [(series: Int64, chunk: SampleChunk)] = []
            let rows = try await connection.query("""
                SELECT series, id, time_us, channel, value FROM sample WHERE id >= \(first) AND id < \(next)
                ORDER BY series, time_us, id
                """, logger: logger)
            for try await (series, id, time, channel, value) in rows.decode((Int64, Int64, Int64, Int32, Double).self) {
                if chunks.last?.series != series || chunks[chunks.count - 1].chunk.count == SampleChunk.maximumCount {
                    chunks.append((series, SampleChunk()))
                }
                chunks[chunks.count - 1].chunk.times.append(time)
                chunks[chunks.count - 1].chunk.channels.append(channel)
                chunks[chunks.count - 1].chunk.places.append(Int32(id - first))
                chunks[chunks.count - 1].chunk.values.append(value)
                moved += 1
            }
            try await insert(chunks, batchRow: batchRow, connection: connection, logger: logger)
        }
        if moved > 0 { logger.notice("collector schema 2: moved \(moved) samples into chunks") }
    }

    private static func storeEvents(of batch: UploadBatch, tenant: String, connection: PostgresConnection,
                                    logger: Logger) async throws {
        for range in chunks(batch.events.count) {
            let events = batch.events[range]
            let addresses = events.map { batch.string($0.address) }, times = events.map(\.timeMicros)
            let kinds = events.map { batch.string($0.kind) }
            // postgres-nio encodes no optional array elements: a flag array says which are NULL.
            let hasDetail = events.map { $0.detail != nil }, details = events.map { $0.detail.map(batch.string) ?? "" }
            try await connection.query("""
                INSERT INTO event (tenant, address, time_us, kind, detail)
                SELECT \(tenant), address, time_us, kind, CASE WHEN has_detail THEN detail END
                FROM unnest(\(addresses)::text[], \(times)::bigint[], \(kinds)::text[], \(hasDetail)::boolean[],
                            \(details)::text[]) WITH ORDINALITY AS input (address, time_us, kind, has_detail, detail, ordinal)
                ORDER BY ordinal
                """, logger: logger)
        }
    }

    private static func storeMetricRecords(of batch: UploadBatch, tenant: String, connection: PostgresConnection,
                                           logger: Logger) async throws {
        for range in chunks(batch.metricRecords.count) {
            let records = batch.metricRecords[range]
            let kinds = records.map { Int32($0.subjectKind.rawValue) }, subjects = records.map { batch.string($0.subject) }
            let metrics = records.map { batch.string($0.metric) }, units = records.map { batch.string($0.unit) }
            let times = records.map(\.timeMicros), values = records.map(\.value)
            let hasEnd = records.map { $0.endMicros != nil }, ends = records.map { $0.endMicros ?? 0 }
            let hasQuality = records.map { $0.quality != nil }, qualities = records.map { $0.quality ?? 0 }
            try await connection.query("""
                INSERT INTO metric_record (tenant, subject_kind, subject, metric, unit, time_us, end_us, value, quality)
                SELECT \(tenant), subject_kind, subject, metric, unit, time_us, CASE WHEN has_end THEN end_us END, value,
                       CASE WHEN has_quality THEN quality END
                FROM unnest(\(kinds)::integer[], \(subjects)::text[], \(metrics)::text[], \(units)::text[],
                            \(times)::bigint[], \(hasEnd)::boolean[], \(ends)::bigint[], \(values)::float8[],
                            \(hasQuality)::boolean[], \(qualities)::float8[]) WITH ORDINALITY
                    AS input (subject_kind, subject, metric, unit, time_us, has_end, end_us, value, has_quality, quality, ordinal)
                ORDER BY ordinal
                """, logger: logger)
        }
    }

    // MARK: Queries

    /// How long `/healthz` waits for the database.
    static let healthTimeout: Duration = .seconds(5)

    /// `SELECT 1` within ``healthTimeout``: while the server is down the pool keeps the query
    /// waiting for a connection (until its circuit breaker opens, many seconds later), and a load
    /// balancer's probe should hear "not healthy" before it gives up on its own.
    public func check() async throws {
        let client = client, logger = logger
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await client.query("SELECT 1", logger: logger)
                return true
            }
            group.addTask {
                try await Task.sleep(for: Self.healthTimeout)
                return false
            }
            let answered = try await group.next() ?? false
            group.cancelAll()
            guard answered else { throw PostgresStorageError.timedOut(endpoint: endpoint.redacted, after: Self.healthTimeout) }
        }
    }

    public func devices(tenant: String) async throws -> [StoredDevice] {
        let rows = try await client.query("""
            SELECT address, gateway, first_seen_us, last_seen_us, sample_count FROM device
            WHERE tenant = \(tenant) ORDER BY address
            """, logger: logger)
        var devices: [StoredDevice] = []
        for try await (address, gateway, first, last, count) in rows.decode((String, String, Int64, Int64, Int64).self) {
            devices.append(StoredDevice(address: address, gateway: gateway, firstSeenMicros: first, lastSeenMicros: last,
                                        sampleCount: count))
        }
        return devices
    }

    /// A `WHERE` clause built from optional filters, with its `$n` parameters in order.
    struct Filter {
        var clauses: [String] = []
        var bindings = PostgresBindings()

        /// Appends `value` as the next parameter and returns its placeholder.
        mutating func parameter(_ value: some PostgresDynamicTypeEncodable) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }

        mutating func equal(_ column: String, _ value: some PostgresDynamicTypeEncodable) {
            clauses.append("\(column) = \(parameter(value))")
        }

        mutating func time(_ column: String, from: Int64?, to: Int64?) {
            if let from { clauses.append("\(column) >= \(parameter(from))") }
            if let to { clauses.append("\(column) < \(parameter(to))") }
        }

        mutating func after(_ cursor: PageCursor?, time: String, row: String) {
            if let cursor {
                clauses.append("(\(time), \(row)) > (\(parameter(cursor.timeMicros)), \(parameter(cursor.row)))")
            }
        }

        var sql: String { clauses.joined(separator: " AND ") }
    }

    /// Samples in (time, row) order (``SampleChunk/row(batch:place:)``), as
    /// ``SQLiteCollectorStorage`` reads them: the chunks that may hold some, in order of their
    /// first time, fetched ``chunkPage`` at a time and merged, a chunk joining the merge before
    /// anything at or after its first time is emitted; the page stops at `limit`.
    public func samples(_ query: SampleQuery, tenant: String) async throws -> Page<StoredSample> {
        var base = Filter()
        base.equal("series.tenant", tenant)
        if let device = query.device { base.equal("series.address", device) }
        if let quantity = query.quantity { base.equal("series.quantity", quantity) }
        let lower = max(query.fromMicros ?? .min, query.after?.timeMicros ?? .min)
        let upper = query.toMicros ?? .max
        if lower > .min {
            // No chunk is wider than the widest (its span's index answers in O(log n)), so
            // this bounds the start from below as well.
            var widest: Int64 = 0
            for try await span in try await client.query(
                "SELECT coalesce(max(end_us - start_us), 0) FROM sample_chunk", logger: logger
            ).decode(Int64.self) {
                widest = span
            }
            base.clauses.append("sample_chunk.end_us >= \(base.parameter(lower))")
            let (bound, overflow) = lower.subtractingReportingOverflow(widest)
            if !overflow { base.clauses.append("sample_chunk.start_us >= \(base.parameter(bound))") }
        }
        if upper < .max { base.clauses.append("sample_chunk.start_us < \(base.parameter(upper))") }

        struct ChunkRow {
            var start: Int64
            var id: Int64
            var batch: Int64
            var chunk: SampleChunk
            var address: String
            var quantity: String
            var unit: String
        }
        var fetched: [ChunkRow] = [], nextFetched = 0
        var exhausted = false
        var lastChunk: (start: Int64, id: Int64)?
        // The next chunk in (start, id) order, fetching the next page of them when needed.
        func nextChunk() async throws -> ChunkRow? {
            if nextFetched == fetched.count, !exhausted {
                var filter = base
                if let lastChunk {
                    filter.clauses.append("(sample_chunk.start_us, sample_chunk.id) > "
                                          + "(\(filter.parameter(lastChunk.start)), \(filter.parameter(lastChunk.id)))")
                }
                let rows = try await client.query(PostgresQuery(unsafeSQL: """
                    SELECT sample_chunk.start_us, sample_chunk.id, sample_chunk.batch, sample_chunk.count,
                           sample_chunk.times, sample_chunk.channels, sample_chunk.places, sample_chunk.sample_values,
                           series.address, series.quantity, series.unit
                    FROM sample_chunk JOIN series ON series.id = sample_chunk.series
                    WHERE \(filter.sql) ORDER BY sample_chunk.start_us, sample_chunk.id LIMIT \(Self.chunkPage)
                    """, binds: filter.bindings), logger: logger)
                fetched.removeAll(keepingCapacity: true)
                nextFetched = 0
                for try await (start, id, batch, count, times, channels, places, values, address, quantity, unit)
                    in rows.decode((Int64, Int64, Int64, Int32, ByteBuffer, ByteBuffer, ByteBuffer, ByteBuffer,
                                    String, String, String).self)
                {
                    let chunk = try times.withUnsafeReadableBytes { times in
                        try channels.withUnsafeReadableBytes { channels in
                            try places.withUnsafeReadableBytes { places in
                                try values.withUnsafeReadableBytes { values in
                                    try SampleChunk(start: start, count: Int(count), times: times, channels: channels,
                                                    places: places, values: values)
                                }
                            }
                        }
                    }
                    fetched.append(ChunkRow(start: start, id: id, batch: batch, chunk: chunk, address: address,
                                            quantity: quantity, unit: unit))
                }
                exhausted = fetched.count < Self.chunkPage
                if let last = fetched.last { lastChunk = (last.start, last.id) }
            }
            guard nextFetched < fetched.count else { return nil }
            nextFetched += 1
            return fetched[nextFetched - 1]
        }

        var page = SamplePage(SampleMerge(from: query.fromMicros, to: query.toMicros, after: query.after),
                              limit: query.limit)
        while let row = try await nextChunk() {
            if page.emit(before: row.start) { return page.page }
            page.merge.add(row.chunk, batch: row.batch, address: row.address, quantity: row.quantity,
                           unit: row.unit.isEmpty ? nil : row.unit)
        }
        _ = page.emit(before: nil)
        return page.page
    }

    public func events(_ query: EventQuery, tenant: String) async throws -> Page<StoredEvent> {
        var filter = Filter()
        filter.equal("tenant", tenant)
        if let device = query.device { filter.equal("address", device) }
        if let kind = query.kind { filter.equal("kind", kind) }
        filter.time("time_us", from: query.fromMicros, to: query.toMicros)
        filter.after(query.after, time: "time_us", row: "id")
        let limit = filter.parameter(Int64(query.limit) + 1)
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT time_us, id, address, kind, detail FROM event
            WHERE \(filter.sql) ORDER BY time_us, id LIMIT \(limit)
            """, binds: filter.bindings), logger: logger)
        var events: [StoredEvent] = []
        var last = PageCursor(timeMicros: 0, row: 0)
        var more = false
        for try await (time, id, address, kind, detail) in rows.decode((Int64, Int64, String, String, String?).self) {
            guard events.count < query.limit else { more = true; continue }
            events.append(StoredEvent(timeMicros: time, address: address, kind: kind, detail: detail))
            last = PageCursor(timeMicros: time, row: id)
        }
        return Page(rows: events, next: more ? last : nil)
    }

    /// The metric filters, after the parameters `filter` already holds.
    private func metricFilter(_ query: MetricQuery, tenant: String, after filter: Filter = Filter()) -> Filter {
        var filter = filter
        filter.equal("tenant", tenant)
        if let kind = query.subjectKind { filter.equal("subject_kind", Int32(kind.rawValue)) }
        if let subject = query.subject { filter.equal("subject", subject) }
        if let metric = query.metric { filter.equal("metric", metric) }
        filter.time("time_us", from: query.fromMicros, to: query.toMicros)
        return filter
    }

    public func metricRecords(_ query: MetricQuery, tenant: String) async throws -> [StoredMetricRecord] {
        var filter = metricFilter(query, tenant: tenant)
        let limit = filter.parameter(Int64(query.limit))
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT time_us, end_us, subject_kind, subject, metric, value, unit, quality FROM metric_record
            WHERE \(filter.sql) ORDER BY time_us, id LIMIT \(limit)
            """, binds: filter.bindings), logger: logger)
        var records: [StoredMetricRecord] = []
        for try await (time, end, kind, subject, metric, value, unit, quality)
            in rows.decode((Int64, Int64?, Int32, String, String, Double, String, Double?).self)
        {
            records.append(StoredMetricRecord(
                timeMicros: time, endMicros: end, subjectKind: UploadBatch.SubjectKind(rawValue: UInt8(clamping: kind)) ?? .device,
                subject: subject, metric: metric, value: value, unit: unit, quality: quality))
        }
        return records
    }

    public func metricBuckets(_ query: MetricQuery, bucketMicros: Int64, tenant: String) async throws -> [MetricBucket] {
        var filter = Filter()
        let width = filter.parameter(bucketMicros)
        filter = metricFilter(query, tenant: tenant, after: filter)
        let limit = filter.parameter(Int64(query.limit))
        // Buckets are aligned to the Unix epoch: time_us - (time_us mod width), floored for
        // times before 1970 too (% truncates toward zero in PostgreSQL as in SQLite).
        let rows = try await client.query(PostgresQuery(unsafeSQL: """
            SELECT (time_us - (((time_us % \(width)) + \(width)) % \(width))) AS bucket, subject_kind, subject, metric, unit,
                   count(*), min(value), avg(value), max(value)
            FROM metric_record WHERE \(filter.sql)
            GROUP BY bucket, subject_kind, subject, metric, unit
            ORDER BY bucket, subject_kind, subject, metric, unit LIMIT \(limit)
            """, binds: filter.bindings), logger: logger)
        var buckets: [MetricBucket] = []
        for try await (start, kind, subject, metric, unit, count, minimum, mean, maximum)
            in rows.decode((Int64, Int32, String, String, String, Int64, Double, Double, Double).self)
        {
            buckets.append(MetricBucket(
                startMicros: start, endMicros: start + bucketMicros,
                subjectKind: UploadBatch.SubjectKind(rawValue: UInt8(clamping: kind)) ?? .device, subject: subject,
                metric: metric, unit: unit, count: Int(count), minimum: minimum, mean: mean, maximum: maximum))
        }
        return buckets
    }
}

/// Why ``PostgresCollectorStorage/migrate(timeout:)`` could not get the database ready, in words
/// for an operator: the server's own message where it sent one, and never the password.
public enum PostgresStorageError: Error, CustomStringConvertible {
    /// No connection: refused, no such host, TLS refused, login refused.
    case unreachable(endpoint: String, reason: String)
    /// Connected, or still trying, when the time ran out.
    case timedOut(endpoint: String, after: Duration)
    /// Connected, but creating or upgrading the schema failed.
    case schema(endpoint: String, reason: String)

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let reason): "cannot connect to PostgreSQL at \(endpoint): \(reason)"
        case .timedOut(let endpoint, let after): "PostgreSQL at \(endpoint) did not answer within \(after)"
        case .schema(let endpoint, let reason): "PostgreSQL at \(endpoint): cannot create the schema: \(reason)"
        }
    }

    /// What went wrong, from postgres-nio's errors: their `description` is a fixed text on
    /// purpose (so that it is not sent to end users), the details are in their fields.
    static func reason(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError,
           let inner = transaction.beginError ?? transaction.closureError ?? transaction.commitError {
            return reason(inner)
        }
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
