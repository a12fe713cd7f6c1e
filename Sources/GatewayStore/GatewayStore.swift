import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway's durable buffer: raw BLE payloads as they arrived, the samples decoded
/// from them, and what happened to each device, in one SQLite file.
///
/// `gaitway gateway` fills a ``StoreBatch`` in memory and hands it to ``commit(_:)``
/// once per commit interval; `gaitway query` reads with ``forEachSample(_:_:)``,
/// ``forEachRawPayload(address:from:to:limit:_:)``, ``devices(includingSampleCounts:)``
/// and ``events(address:)``.
///
/// ## Files and durability
///
/// A file store is a GRDB `DatabasePool` in WAL mode: one writer and concurrent
/// readers, so queries never block ingestion, and another process (`gaitway query`)
/// may read the same file while the gateway writes. The file is created with mode 0600
/// (health data; SQLite gives its `-wal` and `-shm` files the same mode); an existing
/// file keeps its mode. What a commit survives is set by ``Options/durability``: by
/// default every commit is flushed to the disk, so power loss loses at most the batch
/// not yet committed, i.e. one commit interval.
///
/// ## Threads
///
/// A store may be shared between threads: commits are serialized by GRDB's writer
/// queue, reads run on a pool of reader connections.
///
/// ## Schema
///
/// Migrations are named and only appended, starting with "v1-chunks"
/// (`grdb_migrations` lists those applied). Strings that repeat (addresses, quantity
/// names, payload UUIDs) live once in a small table and rows refer to them by integer
/// id. Times are integers in µs since the Unix epoch (`*_us`): exact, compact, and
/// cheap to compare in indexes.
///
/// Samples and raw payloads are stored **columnar, in chunks**: a commit groups its
/// batch's samples by (device, quantity) and writes each group as one `sample_chunk`
/// row whose columns are BLOBs holding all of the group's times, channels and values;
/// raw payloads likewise by (device, payload kind) into `raw_chunk`. A steady-state
/// commit thus inserts a few rows per device whatever its rate (an insole notification
/// carries 60-110 samples), instead of one row and three index entries per sample.
///
/// ```sql
/// device(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, name TEXT,
///        first_seen_us INTEGER, last_seen_us INTEGER,  -- any payload, sample or event
///        quarantined_at_us INTEGER)       -- NULL: not quarantined
/// quantity(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT)
/// payload_kind(id INTEGER PRIMARY KEY,
///              source TEXT NOT NULL,      -- notification|indication|read|advertisement
///              uuid TEXT NOT NULL,        -- characteristic or service-data UUID, or manufacturer 0xNNNN
///              UNIQUE(source, uuid))
/// sample_chunk(id INTEGER PRIMARY KEY,    -- later commits have larger ids
///              device_id INTEGER NOT NULL, quantity_id INTEGER NOT NULL,
///              start_us INTEGER NOT NULL, end_us INTEGER NOT NULL,  -- first and last gateway time
///              count INTEGER NOT NULL,    -- samples in the chunk, 1...4096
///              gateway_times BLOB NOT NULL,  -- format byte 2, then an integer column from start_us
///              device_times BLOB,         -- NULL when no sample has one; else a flag byte
///                                         -- (0 all present, 1 presence bitmap follows),
///                                         -- then an integer column (from 0) of the present ones
///              channels BLOB NOT NULL,    -- integer column: cell index, n-th RR; -1 scalar
///              sample_values BLOB NOT NULL)  -- value column
///   INDEX sample_chunk_by_device_quantity_start(device_id, quantity_id, start_us)
///   INDEX sample_chunk_by_start(start_us)
///   INDEX sample_chunk_by_span(end_us - start_us)
/// raw_chunk(id INTEGER PRIMARY KEY,
///           batch INTEGER NOT NULL,       -- id of the first raw_chunk of the same commit
///           device_id INTEGER NOT NULL, kind_id INTEGER NOT NULL,  -- payload_kind.id
///           start_us INTEGER NOT NULL, end_us INTEGER NOT NULL, count INTEGER NOT NULL,
///           gateway_times BLOB NOT NULL,  -- as in sample_chunk
///           arrivals BLOB NOT NULL,       -- integer column: position of each payload in its
///                                         -- commit's batch, the order of arrival
///           lengths BLOB NOT NULL,        -- integer column: byte count of each payload
///           bytes BLOB NOT NULL)          -- the payloads back to back, exactly as received
///   INDEX raw_chunk_by_device_start(device_id, start_us)
///   INDEX raw_chunk_by_start(start_us)
///   INDEX raw_chunk_by_span(end_us - start_us)
/// device_event(id INTEGER PRIMARY KEY, gateway_time_us INTEGER NOT NULL,
///              device_id INTEGER NOT NULL,
///              kind TEXT NOT NULL,        -- connected|disconnected|quarantined|released|reboot|...
///              detail TEXT)
///   INDEX device_event_by_device_time(device_id, gateway_time_us)
/// metric(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,   -- stride_time, rmssd, ...
///        unit TEXT NOT NULL)                                    -- UCUM: s, ms, /min, %, ...
/// wearer(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)   -- as the gateway config names them
/// metric_record(id INTEGER PRIMARY KEY, metric_id INTEGER NOT NULL,
///               time_us INTEGER NOT NULL,    -- the event (a stride's initial contact) or window start
///               end_us INTEGER,              -- the window's end; NULL for an instant
///               device_id INTEGER, wearer_id INTEGER,   -- exactly one of them
///               value REAL NOT NULL, quality REAL)      -- quality 0...1 or NULL
///   INDEX metric_record_by_metric_time(metric_id, time_us)
///   INDEX metric_record_by_time(time_us)
/// ```
///
/// Within a chunk, elements are sorted at commit: samples by time, then channel, then
/// arrival; payloads by time, then arrival. A group larger than 4096 elements (a long
/// commit interval) becomes several chunks.
///
/// **Column encodings** (chunk format 2; `ChunkColumns.swift` has the details). Varints
/// are unsigned LEB128, signed numbers zigzag-mapped first (0, -1, 1, -2 -> 0, 1, 2, 3);
/// all differences use wrapping arithmetic, so every Int64 round-trips. An *integer
/// column* is a tag byte (bits 0-1: 0 the values, 1 differences from the previous value,
/// 2 differences of differences; bit 2: residuals as (value, run length - 1) pairs instead
/// of one by one; bit 3: differences within each channel) followed by zigzag-varint
/// residuals; the commit writes whichever of these is smallest for the chunk. A *value
/// column* is a tag byte: 1 then a byte `k` and an integer column of `n` (per channel
/// allowed) when every value is exactly `Double(n) / 10^k` for one `k` in 0...9 (decoded
/// BLE fields are integers times a power-of-ten resolution); else 0 and little-endian
/// Float64 bit patterns, 8 bytes each (NaN payloads, -0.0, infinities kept bit for bit).
/// So a steady stream's times and channels cost a few bytes per notification, not per
/// sample, and a sample's value about one or two bytes.
///
/// Format 1 chunks, written before format 2, stay readable: their `gateway_times` begins
/// with the byte 0 (the first difference from `start_us`), times and arrivals are plain
/// varint differences, channels zigzag varints, values always Float64.
///
/// **Reading** selects the chunks whose `[start_us, end_us]` overlaps the query's range
/// (and match its device and quantity), in order of `start_us`, decodes them one at a
/// time and merges them with a min-heap: chunks of different commits may overlap in
/// time (a device clock fit can place samples before the previous commit's end), so an
/// element is emitted only once its time is below the start of every chunk not yet
/// read. Rows come out in the promised order (time, then address, quantity name,
/// channel, then arrival, which is chunk id and position) and a `limit` stops the
/// reading early. `end_us >= from` alone would visit every chunk that starts before
/// the range; the span index gives the widest chunk in O(log n), which bounds
/// `start_us` from below as well. Counts are sums of `count`.
///
/// The (source, uuid) pair of a raw payload is interned in `payload_kind` rather than
/// repeated as text: a 128-bit UUID as text is 36 bytes, more than most payloads.
/// There are no foreign-key constraints: every id a row carries was created in the same
/// transaction or read from its table. Rows of `device`, `quantity` and `payload_kind`
/// are never deleted, which is what lets the store cache their ids. A quantity's name
/// is its identity: its unit is recorded the first time one is given and not changed
/// after. NaN values are refused by ``StoreBatch`` (see its `rejectedSampleCount`), so
/// that the store never holds a number a consumer cannot compare.
public final class GatewayStore: Sendable {
    /// The database file (`:memory:` for ``inMemory(options:)``).
    public let path: String
    /// The options the store was opened with.
    public let options: Options
    let writer: any DatabaseWriter

    /// Database ids of devices, quantities and payload kinds already stored, so a
    /// steady-state commit does no lookups. Filled only after a transaction commits:
    /// ids created by a rolled-back transaction must never be reused.
    let knownIDs = Mutex(KnownIDs())

    /// The operation named in errors raised while opening.
    static let openOperation = "open"

    // MARK: Opening

    /// Opens the store at `path`, creating the file (mode 0600) and its tables when
    /// missing, and applying any migration added since the file was last opened.
    ///
    /// - Throws: ``GatewayStoreError/cannotOpen(path:reason:sqliteCode:)`` when the file
    ///   cannot be created or opened, ``GatewayStoreError/notADatabase(path:)`` when it is
    ///   not SQLite, ``GatewayStoreError/incompatibleSchema(path:reason:)`` when a newer
    ///   gaitway wrote it (or, read-only, when it is not a current store).
    public convenience init(path: String, options: Options = Options()) throws(GatewayStoreError) {
        if options.readOnly {
            try Self.checkReadable(path)
        } else {
            try Self.createIfMissing(path)
        }
        var configuration = Self.configuration(options)
        configuration.readonly = options.readOnly
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if !options.readOnly && options.durability == .full {
                // After the pool's own WAL setup, which sets NORMAL on the writer.
                try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
        } catch {
            throw .wrapping(error, path: path, operation: Self.openOperation)
        }
        try self.init(path: path, options: options, writer: pool)
    }

    /// A store that lives in memory only, for tests and for tools that need no file.
    /// ``Options/readOnly`` and ``Options/durability`` do not apply.
    public static func inMemory(options: Options = Options()) throws(GatewayStoreError) -> GatewayStore {
        let path = ":memory:"
        var options = options
        options.readOnly = false
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration(options))
        } catch {
            throw .wrapping(error, path: path, operation: openOperation)
        }
        return try GatewayStore(path: path, options: options, writer: queue)
    }

    private init(path: String, options: Options, writer: any DatabaseWriter) throws(GatewayStoreError) {
        self.path = path
        self.options = options
        self.writer = writer
        try prepareSchema()
    }

    /// Checkpoints the write-ahead log into the database file, then closes the
    /// connections. Later calls fail.
    ///
    /// After a clean close the `.db` file alone holds everything (the `-wal` file is
    /// truncated to zero bytes, SQLite deletes it and `-shm` as the last connection
    /// closes), so it can be copied or moved on its own. Without close (a crash, kill -9)
    /// committed data sits in `-wal` until the next open replays it: while a store is
    /// open, `-wal` and `-shm` are part of the database. A read-only store checkpoints
    /// nothing. Deinitialization closes too, without the checkpoint guarantee.
    public func close() throws(GatewayStoreError) {
        do {
            if let pool = writer as? DatabasePool {
                if !options.readOnly {
                    // TRUNCATE: wait for readers, copy every frame back, empty the log.
                    try pool.writeWithoutTransaction { db in
                        try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                    }
                }
                try pool.close()
            } else if let queue = writer as? DatabaseQueue {
                try queue.close()
            }
        } catch {
            throw .wrapping(error, path: path, operation: "close")
        }
    }

    // MARK: Opening helpers

    private static func configuration(_ options: Options) -> Configuration {
        var configuration = Configuration()
        configuration.label = "GatewayStore"
        configuration.busyMode = .timeout(options.busyTimeoutSeconds)
        if let maximumSizeBytes = options.maximumSizeBytes {
            configuration.prepareDatabase { db in
                let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                let pages = max(1, maximumSizeBytes / max(pageSize, 1))
                // Per connection; only the writer's matters. SQLite keeps the current
                // size if the cap is below it, so an existing larger file stays readable.
                _ = try Int64.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
            }
        }
        return configuration
    }

    /// Creates the file with mode 0600 before SQLite opens it, since SQLite would create
    /// it with 0644 minus the umask.
    private static func createIfMissing(_ path: String) throws(GatewayStoreError) {
        try openAndClose(path, flags: O_RDWR | O_CREAT)
    }

    /// A read-only store must not create anything; say plainly when the file is missing
    /// or unreadable instead of SQLite's generic "unable to open database file".
    private static func checkReadable(_ path: String) throws(GatewayStoreError) {
        try openAndClose(path, flags: O_RDONLY)
    }

    /// Applies missing migrations (read-write), or checks they were applied (read-only).
    private func prepareSchema() throws(GatewayStoreError) {
        let migrator = StoreSchema.migrator
        do {
            let (applied, superseded) = try writer.read { db in
                (try migrator.appliedIdentifiers(db), try migrator.hasBeenSuperseded(db))
            }
            if options.readOnly {
                let missing = migrator.migrations.filter { !applied.contains($0) }
                guard missing.isEmpty else {
                    let reason = applied.isEmpty
                        ? "not a gaitway store (no store schema)"
                        : "written by an older gaitway; open it read-write once to upgrade it"
                    throw GatewayStoreError.incompatibleSchema(path: path, reason: reason)
                }
                // A newer schema only adds to what this version reads: reading is safe.
            } else {
                guard !superseded else {
                    // Writing with an older schema's rules could break invariants that
                    // the newer version relies on; refuse rather than guess.
                    throw GatewayStoreError.incompatibleSchema(
                        path: path, reason: "written by a newer gaitway (unknown migrations); upgrade gaitway")
                }
                try migrator.migrate(writer)
            }
        } catch {
            throw .wrapping(error, path: path, operation: "migrate")
        }
    }
}

/// Opens `path` with `flags` (creating it 0600 if `O_CREAT` is among them) and closes
/// it again, turning a refusal of the operating system into a clear error.
private func openAndClose(_ path: String, flags: Int32) throws(GatewayStoreError) {
    let descriptor = open(path, flags | O_CLOEXEC, mode_t(0o600))
    guard descriptor >= 0 else {
        let reason = String(cString: strerror(errno))
        throw .cannotOpen(path: path, reason: reason, sqliteCode: nil)
    }
    _ = close(descriptor)
}

/// Ids of rows the store has committed, by their natural key.
struct KnownIDs: Sendable {
    var devices: [String: Int64] = [:]
    /// Quantity name -> (id, whether the stored unit is known to be non-NULL).
    var quantities: [String: (id: Int64, hasUnit: Bool)] = [:]
    /// "source\u{0}uuid" -> id.
    var payloadKinds: [String: Int64] = [:]

    /// Beyond this many devices the cache starts over: a gateway hearing many passing
    /// devices (rotating random addresses) must not grow without bound. A miss costs
    /// only one indexed lookup.
    static let maximumDevices = 20_000

    var isEmpty: Bool { devices.isEmpty && quantities.isEmpty && payloadKinds.isEmpty }

    mutating func merge(_ other: KnownIDs) {
        if devices.count + other.devices.count > Self.maximumDevices { devices.removeAll() }
        devices.merge(other.devices) { _, new in new }
        quantities.merge(other.quantities) { _, new in new }
        payloadKinds.merge(other.payloadKinds) { _, new in new }
    }
}
