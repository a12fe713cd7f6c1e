import GRDB

/// The store's SQLite schema and its migrations; the tables are described for readers in
/// ``GatewayStore``'s documentation ("Schema"), the SQL below is the source of truth.
///
/// Migrations are named and only ever appended: a released migration is never edited,
/// because gateways in the field have already applied it. A new column or index is a
/// new migration at the end of ``migrator``, and the schema section of ``GatewayStore``
/// is updated with it.
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
