import GRDB

/// The store's SQLite schema and its migrations.
///
/// Migrations are named and only ever appended: a released migration is never edited,
/// because gateways in the field have already applied it. A new column or index is a
/// new migration at the end of ``migrator``.
///
/// ## Tables (schema "v1")
///
/// Strings that repeat on every row (addresses, quantity names, payload UUIDs) live once
/// in a small table and rows refer to them by integer id, so a sample row is six
/// numbers. Times are integers in µs since the Unix epoch (`*_us`): exact, compact, and
/// cheap to compare in indexes.
///
/// ```sql
/// device(id INTEGER PRIMARY KEY, address TEXT NOT NULL UNIQUE, name TEXT,
///        first_seen_us INTEGER, last_seen_us INTEGER,
///        quarantined_at_us INTEGER)       -- NULL: not quarantined
/// quantity(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, unit TEXT)
/// payload_kind(id INTEGER PRIMARY KEY, source TEXT NOT NULL,  -- notification|indication|read|advertisement
///              uuid TEXT NOT NULL,        -- characteristic or service-data UUID, or manufacturer 0xNNNN
///              UNIQUE(source, uuid))
/// raw_payload(id INTEGER PRIMARY KEY,     -- arrival order
///             gateway_time_us INTEGER NOT NULL, device_id INTEGER NOT NULL,
///             kind_id INTEGER NOT NULL,   -- payload_kind.id
///             bytes BLOB NOT NULL)        -- exactly as received, for re-decoding and export
///   INDEX raw_payload_by_device_time(device_id, gateway_time_us)
///   INDEX raw_payload_by_time(gateway_time_us)
/// sample(gateway_time_us INTEGER NOT NULL,
///        device_time_us INTEGER,          -- NULL when the device sends no clock
///        device_id INTEGER NOT NULL, quantity_id INTEGER NOT NULL,
///        channel INTEGER NOT NULL DEFAULT -1,  -- cell index, n-th RR; -1 scalar
///        value REAL NOT NULL)
///   INDEX sample_by_device_quantity_time(device_id, quantity_id, gateway_time_us)
///   INDEX sample_by_quantity_time(quantity_id, gateway_time_us)
///   INDEX sample_by_time(gateway_time_us)
/// device_event(id INTEGER PRIMARY KEY, gateway_time_us INTEGER NOT NULL,
///              device_id INTEGER NOT NULL,
///              kind TEXT NOT NULL,        -- connected|disconnected|quarantined|released|reboot|...
///              detail TEXT)
///   INDEX device_event_by_device_time(device_id, gateway_time_us)
/// ```
///
/// There are no foreign-key constraints: every id a row carries was created in the same
/// transaction or read from the table, and an enforced key would cost a lookup per
/// inserted sample. Rows of `device`, `quantity` and `payload_kind` are never deleted,
/// which is what lets ``GatewayStore`` cache their ids.
enum StoreSchema {
    /// Identifier of the first migration; later ones are appended after it.
    static let initialMigration = "v1: devices, quantities, raw payloads, samples, events"

    /// All migrations, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(initialMigration) { db in
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
                CREATE TABLE raw_payload (
                    id INTEGER PRIMARY KEY,
                    gateway_time_us INTEGER NOT NULL,
                    device_id INTEGER NOT NULL,
                    kind_id INTEGER NOT NULL,
                    bytes BLOB NOT NULL
                );
                CREATE INDEX raw_payload_by_device_time ON raw_payload(device_id, gateway_time_us);
                CREATE INDEX raw_payload_by_time ON raw_payload(gateway_time_us);
                CREATE TABLE sample (
                    gateway_time_us INTEGER NOT NULL,
                    device_time_us INTEGER,
                    device_id INTEGER NOT NULL,
                    quantity_id INTEGER NOT NULL,
                    channel INTEGER NOT NULL DEFAULT -1,
                    value REAL NOT NULL
                );
                CREATE INDEX sample_by_device_quantity_time ON sample(device_id, quantity_id, gateway_time_us);
                CREATE INDEX sample_by_quantity_time ON sample(quantity_id, gateway_time_us);
                CREATE INDEX sample_by_time ON sample(gateway_time_us);
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
        return migrator
    }
}
