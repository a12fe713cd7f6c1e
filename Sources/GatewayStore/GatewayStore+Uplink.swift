import GRDB

// The uplink's delivery cursor (issue 13): which committed rows the collector has
// acknowledged, and which batch is in flight, kept in the store itself so that an upload
// resumes after a restart or a SIGKILL without a gap or a repeat.
//
// Sample chunks, device events and metric records all have row ids that grow with every
// commit (SQLite gives a new row the largest id plus one), so "delivered" is three ids: every
// row at or below them has reached the collector. A batch is a range of ids above them. It
// is written down (`pending`) before it is sent, and sent again as the same range and the
// same batch id until a 2xx moves the cursor to its end: a batch the collector stored but
// whose answer was lost is then a duplicate there, which it acknowledges and ignores.
//
// Two things could break "ids grow": compaction, which replaces chunks by merged ones, and
// eviction of the newest row of a table (the next insert would take its id again). So
// compaction never merges delivered with undelivered chunks nor touches the batch in flight,
// and gives the merged chunks the largest of the ids it freed (``compactSamples(endingBefore:)``);
// and the quota never evicts the row with a table's largest id (``enforceRetention(_:now:)``).

/// Every row of the store with an id at or below these has been delivered.
public struct UplinkPosition: Sendable, Equatable, CustomStringConvertible {
    public var sampleChunk: Int64
    public var event: Int64
    public var metricRecord: Int64

    public init(sampleChunk: Int64 = 0, event: Int64 = 0, metricRecord: Int64 = 0) {
        self.sampleChunk = sampleChunk
        self.event = event
        self.metricRecord = metricRecord
    }

    public var description: String { "s\(sampleChunk).e\(event).m\(metricRecord)" }
}

/// The rows of one upload batch: ids above `after` and at or below `through`, per table.
public struct UplinkRange: Sendable, Equatable {
    public var after: UplinkPosition
    public var through: UplinkPosition

    public init(after: UplinkPosition, through: UplinkPosition) {
        self.after = after
        self.through = through
    }

    /// The batch id the collector deduplicates on: the gateway's id and the range, so the
    /// same range is always the same id (64 characters of `A-Z a-z 0-9 . _ : -` at most).
    public func batchID(gateway: String) -> String {
        let range = "\(after)-\(through)"
        let prefix = String(gateway.utf8.filter { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D
                || byte == 0x2E || byte == 0x5F
        }.prefix(max(0, 63 - range.utf8.count)).map { Character(Unicode.Scalar($0)) })
        return prefix.isEmpty ? range : "\(prefix):\(range)"
    }
}

/// What is not yet delivered.
public struct UplinkBacklog: Sendable, Equatable {
    /// Samples, device events and metric records above the cursor.
    public var samples = 0
    public var events = 0
    public var metricRecords = 0
    /// The earliest gateway time among them (µs), nil when there are none: the upload lag
    /// is now minus this.
    public var oldestMicros: Int64?

    public init() {}

    public var isEmpty: Bool { samples == 0 && events == 0 && metricRecords == 0 }
}

/// A batch the collector refused for good (a 4xx other than 408 and 429): its range is
/// skipped, and kept here with the reason so that an operator can see what was not sent.
public struct ParkedUpload: Sendable, Equatable {
    public var range: UplinkRange
    public var status: Int
    public var reason: String
    public var parkedAtMicros: Int64
}

extension GatewayStore {
    /// Delivery cursor and in-flight batch (one row), and the batches parked for good.
    static let uplinkMigration = "v3-uplink: delivery cursor, pending and parked upload batches"

    static func migrateUplink(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE uplink (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                delivered_sample_chunk INTEGER NOT NULL,
                delivered_event INTEGER NOT NULL,
                delivered_metric_record INTEGER NOT NULL,
                pending_sample_chunk INTEGER,
                pending_event INTEGER,
                pending_metric_record INTEGER
            );
            INSERT INTO uplink VALUES (1, 0, 0, 0, NULL, NULL, NULL);
            CREATE TABLE uplink_parked (
                id INTEGER PRIMARY KEY,
                after_sample_chunk INTEGER NOT NULL, after_event INTEGER NOT NULL, after_metric_record INTEGER NOT NULL,
                through_sample_chunk INTEGER NOT NULL, through_event INTEGER NOT NULL,
                through_metric_record INTEGER NOT NULL,
                status INTEGER NOT NULL,
                reason TEXT NOT NULL,
                parked_at_us INTEGER NOT NULL
            );
            """)
    }

    /// Where delivery stands: what the collector has acknowledged, and the batch in flight.
    public func uplinkState() throws(GatewayStoreError) -> (delivered: UplinkPosition, pending: UplinkRange?) {
        try read("read the upload cursor of") { db in try Self.uplinkState(db) }
    }

    static func uplinkState(_ db: Database) throws -> (delivered: UplinkPosition, pending: UplinkRange?) {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT delivered_sample_chunk, delivered_event, delivered_metric_record,
                   pending_sample_chunk, pending_event, pending_metric_record FROM uplink WHERE id = 1
            """) else { return (UplinkPosition(), nil) }
        let delivered = UplinkPosition(sampleChunk: row[0], event: row[1], metricRecord: row[2])
        let pendingChunk: Int64? = row[3], pendingEvent: Int64? = row[4], pendingRecord: Int64? = row[5]
        guard let pendingChunk, let pendingEvent, let pendingRecord else { return (delivered, nil) }
        return (delivered, UplinkRange(after: delivered, through: UplinkPosition(
            sampleChunk: pendingChunk, event: pendingEvent, metricRecord: pendingRecord)))
    }

    /// The batch to send next: the one in flight if there is one (sent again exactly), else
    /// a new range above the cursor, written down as in flight before it is returned; nil
    /// when everything committed is delivered.
    ///
    /// - Parameters:
    ///   - maximumSamples: a new range takes whole sample chunks until it holds at least one
    ///     and adding the next would pass this many samples;
    ///   - maximumRows: and at most this many device events and this many metric records.
    public func nextUplinkRange(maximumSamples: Int, maximumRows: Int) throws(GatewayStoreError) -> UplinkRange? {
        do {
            return try writer.write { db in
                let (delivered, pending) = try Self.uplinkState(db)
                if let pending { return pending }
                var through = delivered
                var samples = 0
                // A cursor, not an array: the walk stops at the first chunk that does not fit.
                let chunks = try Row.fetchCursor(db, sql: """
                    SELECT id, count FROM sample_chunk WHERE id > ? ORDER BY id LIMIT ?
                    """, arguments: [delivered.sampleChunk, max(1, maximumSamples)])
                while let row = try chunks.next() {
                    let count: Int = row[1]
                    if samples > 0 && samples + count > maximumSamples { break }
                    samples += count
                    through.sampleChunk = row[0]
                }
                through.event = try Self.idThrough(table: "device_event", after: delivered.event, limit: maximumRows, db)
                through.metricRecord = try Self.idThrough(table: "metric_record", after: delivered.metricRecord,
                                                          limit: maximumRows, db)
                guard through != delivered else { return nil }
                try db.execute(sql: """
                    UPDATE uplink SET pending_sample_chunk = ?, pending_event = ?, pending_metric_record = ? WHERE id = 1
                    """, arguments: [through.sampleChunk, through.event, through.metricRecord])
                return UplinkRange(after: delivered, through: through)
            }
        } catch {
            throw .wrapping(error, path: path, operation: "choose the next upload batch in")
        }
    }

    /// The id of the `limit`-th row above `after` (or the last one), `after` when none.
    private static func idThrough(table: String, after: Int64, limit: Int, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: """
            SELECT MAX(id) FROM (SELECT id FROM \(table) WHERE id > ? ORDER BY id LIMIT ?)
            """, arguments: [after, max(1, limit)]) ?? after
    }

    /// Calls the closures with every sample, device event and metric record of `range`,
    /// from one snapshot: samples chunk by chunk in id order (in each, by time, then
    /// channel), events and records in id order. Rows evicted since the range was chosen
    /// are simply absent.
    public func forEachUplinkRow(
        in range: UplinkRange, sample: (StoredSample) -> Void, event: (StoredEvent) -> Void,
        metricRecord: (StoredMetricRecord) -> Void
    ) throws(GatewayStoreError) {
        let operation = "read an upload batch from"
        let path = path
        try read(operation) { db in
            var devices: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, address FROM device") { devices[row[0]] = row[1] }
            var quantities: [Int64: (name: String, unit: String?)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name, unit FROM quantity") { quantities[row[0]] = (row[1], row[2]) }
            func invalid(_ detail: String) -> GatewayStoreError {
                .invalidStoredData(path: path, operation: operation, detail: detail)
            }

            let chunks = try Row.fetchCursor(db, sql: """
                SELECT id, device_id, quantity_id, start_us, count, gateway_times, device_times, channels, sample_values
                FROM sample_chunk WHERE id > ? AND id <= ? ORDER BY id
                """, arguments: [range.after.sampleChunk, range.through.sampleChunk])
            while let row = try chunks.next() {
                let id: Int64 = row[0], deviceID: Int64 = row[1], quantityID: Int64 = row[2]
                let start: Int64 = row[3], count: Int = row[4]
                guard let address = devices[deviceID], let quantity = quantities[quantityID] else {
                    throw invalid("sample chunk \(id) refers to device id \(deviceID) or quantity id \(quantityID), which do not exist")
                }
                let stream: SampleChunkStream
                do {
                    stream = try Self.withBlobs(row, from: 5, 4) { bytes throws(MalformedChunk) in
                        guard let times = bytes[0], let channels = bytes[2], let values = bytes[3] else {
                            throw MalformedChunk(detail: "a sample chunk lacks a column")
                        }
                        return try SampleChunkStream(
                            chunkID: id, addressRank: 0, quantityRank: 0, address: address, quantity: quantity.name,
                            unit: quantity.unit, start: start, count: count, gatewayTimes: times,
                            deviceTimes: bytes[1], channels: channels, values: values, from: nil, to: nil)
                    }
                } catch let error as MalformedChunk {
                    throw invalid(error.detail)
                }
                for index in 0..<count {
                    let deviceTime = stream.deviceTimes.flatMap { times in
                        (stream.hasDeviceTime?[index] ?? true) ? times[index] : nil
                    }
                    sample(StoredSample(
                        gatewayTimeMicros: stream.gatewayTimes[index], deviceTimeMicros: deviceTime, address: address,
                        quantity: quantity.name, unit: quantity.unit, channel: stream.channels[index],
                        value: stream.values[index]))
                }
            }

            let events = try Row.fetchCursor(db, sql: """
                SELECT e.gateway_time_us, d.address, e.kind, e.detail
                FROM device_event e JOIN device d ON d.id = e.device_id WHERE e.id > ? AND e.id <= ? ORDER BY e.id
                """, arguments: [range.after.event, range.through.event])
            while let row = try events.next() {
                event(StoredEvent(gatewayTimeMicros: row[0], address: row[1], kind: row[2], detail: row[3]))
            }

            let records = try Row.fetchCursor(db, sql: """
                SELECT r.time_us, r.end_us, d.address, w.name, m.name, m.unit, r.value, r.quality
                FROM metric_record r JOIN metric m ON m.id = r.metric_id
                LEFT JOIN device d ON d.id = r.device_id LEFT JOIN wearer w ON w.id = r.wearer_id
                WHERE r.id > ? AND r.id <= ? ORDER BY r.id
                """, arguments: [range.after.metricRecord, range.through.metricRecord])
            while let row = try records.next() {
                let address: String? = row[2], wearer: String? = row[3]
                metricRecord(StoredMetricRecord(
                    timeMicros: row[0], endMicros: row[1],
                    subject: address.map { .device(address: $0) } ?? .wearer(name: wearer ?? ""),
                    metric: row[4], unit: row[5], value: row[6], quality: row[7]))
            }
        }
    }

    /// The collector acknowledged `range` (a 2xx): the cursor moves to its end and nothing
    /// is in flight. A range that is not the one in flight (a stale caller) changes nothing.
    public func markUplinkDelivered(_ range: UplinkRange) throws(GatewayStoreError) {
        try finishUplink(range, operation: "record an upload as delivered in") { _ in }
    }

    /// The collector refused `range` for good: it is kept in `uplink_parked` with `status`
    /// and `reason`, and the cursor moves past it, as for a delivered batch.
    public func parkUplinkBatch(_ range: UplinkRange, status: Int, reason: String,
                                at time: Int64) throws(GatewayStoreError) {
        try finishUplink(range, operation: "park an upload batch in") { db in
            try db.execute(sql: """
                INSERT INTO uplink_parked (after_sample_chunk, after_event, after_metric_record, through_sample_chunk,
                                           through_event, through_metric_record, status, reason, parked_at_us)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [range.after.sampleChunk, range.after.event, range.after.metricRecord,
                                 range.through.sampleChunk, range.through.event, range.through.metricRecord,
                                 status, reason, time])
        }
    }

    /// The collector refused `range` as too large (HTTP 413): it is no longer the batch in
    /// flight, so that ``nextUplinkRange(maximumSamples:maximumRows:)`` chooses a smaller one
    /// from the same place. Only for an answer that proves the collector stored none of it:
    /// the smaller batches have other ids, so a copy it had stored would be stored again.
    public func abandonUplinkRange(_ range: UplinkRange) throws(GatewayStoreError) {
        do {
            try writer.write { db in
                guard try Self.uplinkState(db).pending == range else { return }
                try db.execute(sql: """
                    UPDATE uplink SET pending_sample_chunk = NULL, pending_event = NULL, pending_metric_record = NULL
                    WHERE id = 1
                    """)
            }
        } catch {
            throw .wrapping(error, path: path, operation: "give up an upload batch in")
        }
    }

    private func finishUplink(_ range: UplinkRange, operation: String,
                              _ record: (Database) throws -> Void) throws(GatewayStoreError) {
        do {
            try writer.write { db in
                guard try Self.uplinkState(db).pending == range else { return }
                try record(db)
                try db.execute(sql: """
                    UPDATE uplink SET delivered_sample_chunk = ?, delivered_event = ?, delivered_metric_record = ?,
                                      pending_sample_chunk = NULL, pending_event = NULL, pending_metric_record = NULL
                    WHERE id = 1
                    """, arguments: [range.through.sampleChunk, range.through.event, range.through.metricRecord])
            }
        } catch {
            throw .wrapping(error, path: path, operation: operation)
        }
    }

    /// The batches parked for good, the latest first.
    public func parkedUploads() throws(GatewayStoreError) -> [ParkedUpload] {
        try read("list parked uploads in") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM uplink_parked ORDER BY id DESC").map { row in
                ParkedUpload(
                    range: UplinkRange(
                        after: UplinkPosition(sampleChunk: row["after_sample_chunk"], event: row["after_event"],
                                              metricRecord: row["after_metric_record"]),
                        through: UplinkPosition(sampleChunk: row["through_sample_chunk"], event: row["through_event"],
                                                metricRecord: row["through_metric_record"])),
                    status: row["status"], reason: row["reason"], parkedAtMicros: row["parked_at_us"])
            }
        }
    }

    /// What is above the cursor: counts and the oldest gateway time, from one snapshot.
    public func uplinkBacklog() throws(GatewayStoreError) -> UplinkBacklog {
        try read("measure the upload backlog of") { db in
            let delivered = try Self.uplinkState(db).delivered
            var backlog = UplinkBacklog()
            let samples = try Row.fetchOne(db, sql: """
                SELECT COALESCE(SUM(count), 0), MIN(start_us) FROM sample_chunk WHERE id > ?
                """, arguments: [delivered.sampleChunk])
            let events = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(gateway_time_us) FROM device_event WHERE id > ?",
                                          arguments: [delivered.event])
            let records = try Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(time_us) FROM metric_record WHERE id > ?",
                                           arguments: [delivered.metricRecord])
            backlog.samples = samples?[0] ?? 0
            backlog.events = events?[0] ?? 0
            backlog.metricRecords = records?[0] ?? 0
            backlog.oldestMicros = [samples?[1], events?[1], records?[1]].compactMap { (value: Int64?) in value }.min()
            return backlog
        }
    }
}
