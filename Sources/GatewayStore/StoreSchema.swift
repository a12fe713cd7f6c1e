import GRDB

/// The store's SQLite schema and its migrations; the tables are described for readers in
/// ``GatewayStore``'s documentation ("Schema"), the SQL below is the source of truth.
///
/// Migrations are named and only ever appended: a released migration is never edited,
/// because gateways in the field have already applied it. A new column or index is a
/// new migration at the end of ``migrator``, and the schema section of ``GatewayStore``
/// is updated with it. (The row-per-sample layout that preceded the chunks was never
/// released, so it was replaced rather than migrated.)
enum StoreSchema {
    /// Identifier of the first migration; later ones are appended after it.
    static let initialMigration = "v1-chunks: devices, quantities, payload kinds, sample and raw chunks, events"
    /// Metric records (gait, heart, activity) of devices and wearers.
    static let metricsMigration = "v2-metrics: metrics, wearers, metric records"

    /// All migrations, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(initialMigration) { db in
            // In the chunk tables the small columns come first and the BLOBs last:
            // SQLite reads a record's columns in order, so filtering on the first ones
            // never loads the overflow pages of the large ones.
            try db.execute(sql: """
                CREATE TABLE device (
                    id INTEGER PRIMARY KEY,
                    address TEXT NOT NULL UNIQUE,
                    name TEXT,
                    first_seen_us INTEGER,
                    last_seen_us INTEGER,
                    quarantined_at_us INTEGER
                );
                CREATE TABLE quantity (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    unit TEXT
                );
                CREATE TABLE payload_kind (
                    id INTEGER PRIMARY KEY,
                    source TEXT NOT NULL,
                    uuid TEXT NOT NULL,
                    UNIQUE (source, uuid)
                );
                CREATE TABLE raw_chunk (
                    id INTEGER PRIMARY KEY,
                    batch INTEGER NOT NULL,
                    device_id INTEGER NOT NULL,
                    kind_id INTEGER NOT NULL,
                    start_us INTEGER NOT NULL,
                    end_us INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    gateway_times BLOB NOT NULL,
                    arrivals BLOB NOT NULL,
                    lengths BLOB NOT NULL,
                    bytes BLOB NOT NULL
                );
                CREATE INDEX raw_chunk_by_device_start ON raw_chunk(device_id, start_us);
                CREATE INDEX raw_chunk_by_start ON raw_chunk(start_us);
                CREATE INDEX raw_chunk_by_span ON raw_chunk(end_us - start_us);
                CREATE TABLE sample_chunk (
                    id INTEGER PRIMARY KEY,
                    device_id INTEGER NOT NULL,
                    quantity_id INTEGER NOT NULL,
                    start_us INTEGER NOT NULL,
                    end_us INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    gateway_times BLOB NOT NULL,
                    device_times BLOB,
                    channels BLOB NOT NULL,
                    sample_values BLOB NOT NULL
                );
                CREATE INDEX sample_chunk_by_device_quantity_start ON sample_chunk(device_id, quantity_id, start_us);
                CREATE INDEX sample_chunk_by_start ON sample_chunk(start_us);
                CREATE INDEX sample_chunk_by_span ON sample_chunk(end_us - start_us);
                CREATE TABLE device_event (
                    id INTEGER PRIMARY KEY,
                    gateway_time_us INTEGER NOT NULL,
                    device_id INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX device_event_by_device_time ON device_event(device_id, gateway_time_us);
                """)
        }
        migrator.registerMigration(metricsMigration) { db in
            // One row per record: a stride, a 5-min HRV window, a sleep epoch. Tens of
            // records per device and minute at most, so rows (not chunks) are small enough,
            // and the uplink can follow them by id. Exactly one of device_id, wearer_id.
            try db.execute(sql: """
                CREATE TABLE metric (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    unit TEXT NOT NULL
                );
                CREATE TABLE wearer (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                CREATE TABLE metric_record (
                    id INTEGER PRIMARY KEY,
                    metric_id INTEGER NOT NULL,
                    time_us INTEGER NOT NULL,
                    end_us INTEGER,
                    device_id INTEGER,
                    wearer_id INTEGER,
                    value REAL NOT NULL,
                    quality REAL,
                    CHECK ((device_id IS NULL) != (wearer_id IS NULL))
                );
                CREATE INDEX metric_record_by_metric_time ON metric_record(metric_id, time_us);
                CREATE INDEX metric_record_by_time ON metric_record(time_us);
                """)
        }
        // The uplink's delivery cursor and parked batches (GatewayStore+Uplink.swift).
        migrator.registerMigration(GatewayStore.uplinkMigration) { db in try GatewayStore.migrateUplink(db) }
        return migrator
    }
}
