import Foundation
import GRDB

// Metric records: what the gateway computes from samples (a stride's time, a 5-minute
// RMSSD, a sleep epoch), one row each in `metric_record`, of a device or of a wearer
// (a person wearing a pair of insoles and a wristband).

/// Whose a metric record is.
public enum MetricSubject: Sendable, Hashable {
    /// One device: per-foot stride records, a wristband's heart rate variability.
    case device(address: String)
    /// A wearer, by the name the gateway configuration gives: records that need both feet
    /// (double support, symmetry) or several devices.
    case wearer(name: String)
}

/// A metric record waiting for commit: scalars only, strings replaced by batch keys.
struct PendingMetricRecord: Sendable {
    var time: Int64
    /// Meaningful only when `hasEnd`.
    var end: Int64
    var hasEnd: Bool
    /// A device (address key) or a wearer (wearer key), as `isWearer` says.
    var subject: Int32
    var isWearer: Bool
    var metric: Int32
    var value: Double
    /// NaN when the record has no quality.
    var quality: Double
}

extension StoreBatch {
    /// Appends a metric record.
    ///
    /// - Parameters:
    ///   - timeMicros: the event's time (a stride's initial contact) or the window's start,
    ///     gateway µs since the Unix epoch.
    ///   - endMicros: the window's end; nil for an instant.
    ///   - subject: the device or wearer the record is of.
    ///   - metric: its name (`stride_time`, `rmssd`); `unit`, a UCUM code, is stored with
    ///     the name the first time the store sees it.
    ///   - value: the value; a NaN or infinite value is not stored and counts in
    ///     ``rejectedSampleCount``.
    ///   - quality: 0...1, or nil when the metric has no measure of it.
    public mutating func appendMetricRecord(
        timeMicros: Int64, endMicros: Int64?, subject: MetricSubject,
        metric: String, unit: String, value: Double, quality: Double?
    ) {
        guard value.isFinite else {
            rejectedSampleCount += 1
            return
        }
        let subjectKey: Int32
        let isWearer: Bool
        switch subject {
        case .device(let address):
            subjectKey = internDevice(address)
            isWearer = false
        case .wearer(let name):
            subjectKey = wearers.intern(name).key
            isWearer = true
        }
        let (metricKey, isNew) = metrics.intern(metric)
        if isNew { metricUnits.append(unit) }
        metricRecords.append(PendingMetricRecord(
            time: timeMicros, end: endMicros ?? 0, hasEnd: endMicros != nil,
            subject: subjectKey, isWearer: isWearer, metric: metricKey, value: value,
            quality: quality.map { $0.isFinite ? $0 : .nan } ?? .nan))
    }

    /// Number of metric records appended.
    public var metricRecordCount: Int { metricRecords.count }
}

/// Which records ``GatewayStore/metricRecords(_:)`` returns. Nil fields do not filter.
public struct MetricRecordQuery: Sendable, Equatable {
    /// Only this metric (`stride_time`).
    public var metric: String?
    /// Only records of this device (its address, as stored).
    public var address: String?
    /// Only records of this wearer.
    public var wearer: String?
    /// Only records whose time is at or after this (gateway µs, inclusive) ...
    public var from: Int64?
    /// ... and before this (exclusive).
    public var to: Int64?
    /// At most this many, the earliest first.
    public var limit: Int?

    public init(metric: String? = nil, address: String? = nil, wearer: String? = nil,
                from: Int64? = nil, to: Int64? = nil, limit: Int? = nil) {
        self.metric = metric
        self.address = address
        self.wearer = wearer
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// A stored metric record, as ``GatewayStore/metricRecords(_:)`` returns it.
public struct StoredMetricRecord: Sendable, Equatable {
    public var timeMicros: Int64
    public var endMicros: Int64?
    public var subject: MetricSubject
    public var metric: String
    public var unit: String
    public var value: Double
    public var quality: Double?
}

/// A metric the store has records of, with how many.
public struct StoredMetric: Sendable, Equatable {
    public var name: String
    public var unit: String
    public var recordCount: Int
}

extension GatewayStore {
    /// Inserts the batch's metric records, creating metric and wearer rows first seen.
    static func insertMetricRecords(_ batch: StoreBatch, into db: Database, deviceIDs: [Int64]) throws {
        // A handful of metrics and wearers per batch: looked up each commit, not cached.
        // (The first unit given for a metric stays: units are fixed where metrics are defined.)
        let metricIDs = try zip(batch.metrics.strings, batch.metricUnits).map { name, unit in
            try rowID(sql: "INSERT INTO metric (name, unit) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET name = name RETURNING id",
                      arguments: [name, unit], db: db)
        }
        let wearerIDs = try batch.wearers.strings.map { name in
            try rowID(sql: "INSERT INTO wearer (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = name RETURNING id",
                      arguments: [name], db: db)
        }
        let insert = try db.cachedStatement(sql: """
            INSERT INTO metric_record (metric_id, time_us, end_us, device_id, wearer_id, value, quality)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for record in batch.metricRecords {
            let subject = Int(record.subject)
            try insert.execute(arguments: [
                metricIDs[Int(record.metric)], record.time, record.hasEnd ? record.end : nil,
                record.isWearer ? nil : deviceIDs[subject], record.isWearer ? wearerIDs[subject] : nil,
                record.value, record.quality.isNaN ? nil : record.quality,
            ])
        }
    }

    /// The id an upsert `... RETURNING id` gives (the existing row's, or the new one's).
    private static func rowID(sql: String, arguments: StatementArguments, db: Database) throws -> Int64 {
        guard let id = try Int64.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else {
            throw DatabaseError(resultCode: .SQLITE_INTERNAL, message: "no id returned by \(sql)")
        }
        return id
    }

    /// The records matching `query`, in order of time, then subject (devices by address, then
    /// wearers by name), then storage.
    public func metricRecords(_ query: MetricRecordQuery) throws(GatewayStoreError) -> [StoredMetricRecord] {
        if let limit = query.limit, limit <= 0 { return [] }
        return try read("query metric records from") { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let metric = query.metric {
                conditions.append("m.name = ?")
                arguments += [metric]
            }
            if let address = query.address {
                conditions.append("d.address = ?")
                arguments += [address]
            }
            if let wearer = query.wearer {
                conditions.append("w.name = ?")
                arguments += [wearer]
            }
            if let from = query.from {
                conditions.append("r.time_us >= ?")
                arguments += [from]
            }
            if let to = query.to {
                conditions.append("r.time_us < ?")
                arguments += [to]
            }
            var sql = """
                SELECT r.time_us, r.end_us, d.address, w.name, m.name, m.unit, r.value, r.quality
                FROM metric_record r JOIN metric m ON m.id = r.metric_id
                LEFT JOIN device d ON d.id = r.device_id LEFT JOIN wearer w ON w.id = r.wearer_id
                """
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY r.time_us, r.wearer_id IS NOT NULL, d.address, w.name, r.id"
            if let limit = query.limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let address: String? = try row.decode(atIndex: 2)
                let wearer: String? = try row.decode(atIndex: 3)
                return StoredMetricRecord(
                    timeMicros: try row.decode(atIndex: 0), endMicros: try row.decode(atIndex: 1),
                    subject: address.map { .device(address: $0) } ?? .wearer(name: wearer ?? ""),
                    metric: try row.decode(atIndex: 4), unit: try row.decode(atIndex: 5),
                    value: try row.decode(atIndex: 6), quality: try row.decode(atIndex: 7))
            }
        }
    }

    /// Every metric the store has records of (or had), by name, with its record count.
    public func metrics() throws(GatewayStoreError) -> [StoredMetric] {
        try read("list metrics in") { db in
            try Row.fetchAll(db, sql: """
                SELECT m.name, m.unit, (SELECT COUNT(*) FROM metric_record r WHERE r.metric_id = m.id)
                FROM metric m ORDER BY m.name
                """).map { row in
                StoredMetric(name: try row.decode(atIndex: 0), unit: try row.decode(atIndex: 1),
                             recordCount: try row.decode(atIndex: 2))
            }
        }
    }

    /// Every wearer the store has records of, by name.
    public func wearers() throws(GatewayStoreError) -> [String] {
        try read("list wearers in") { db in
            try String.fetchAll(db, sql: "SELECT name FROM wearer ORDER BY name")
        }
    }
}
