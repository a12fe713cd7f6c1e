import Foundation
import GRDB

extension GatewayStore {
    // MARK: Samples

    /// Calls `body` with every sample matching `query`, in time order (then address,
    /// quantity name, channel, and order of arrival), streaming: rows are read from a
    /// cursor one at a time, so a query over months of data needs no memory for it.
    ///
    /// The whole iteration sees one consistent snapshot of the file, unaffected by
    /// commits made meanwhile. `body` runs on the reading connection: keep it short, and
    /// do not use the store from inside it. An error `body` throws ends the iteration
    /// and is rethrown as is; store failures arrive as ``GatewayStoreError``.
    public func forEachSample(_ query: SampleQuery, _ body: (StoredSample) throws -> Void) throws {
        if let limit = query.limit, limit <= 0 { return }
        try streaming("query samples from") { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let address = query.address {
                guard let id = try Self.deviceID(address, db: db) else { return }
                conditions.append("s.device_id = ?")
                arguments += [id]
            }
            if let quantity = query.quantity {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM quantity WHERE name = ?", arguments: [quantity])
                else { return }
                conditions.append("s.quantity_id = ?")
                arguments += [id]
            }
            Self.appendTimeRange(column: "s.gateway_time_us", from: query.from, to: query.to, to: &conditions, &arguments)
            let addresses = try Self.deviceAddresses(db)
            let quantities = try Self.quantityNames(db)
            // The joins only serve the tie-breaking order. LEFT JOIN keeps `sample` the
            // outer loop, walking one of its time-ordered indexes, and keeps a row whose
            // device or quantity is missing, so that damage is reported, not hidden.
            var sql = """
                SELECT s.gateway_time_us, s.device_time_us, s.device_id, s.quantity_id, s.channel, s.value
                FROM sample s LEFT JOIN device d ON d.id = s.device_id LEFT JOIN quantity q ON q.id = s.quantity_id
                """
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY s.gateway_time_us, d.address, q.name, s.channel, s.rowid"
            if let limit = query.limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                let deviceID: Int64 = try row.decode(atIndex: 2)
                let quantityID: Int64 = try row.decode(atIndex: 3)
                guard let address = addresses[deviceID], let quantity = quantities[quantityID] else {
                    throw GatewayStoreError.invalidStoredData(
                        path: path, operation: "query samples from",
                        detail: "a sample refers to device id \(deviceID) or quantity id \(quantityID), which do not exist")
                }
                let sample = StoredSample(
                    gatewayTimeMicros: try row.decode(atIndex: 0),
                    deviceTimeMicros: try row.decode(atIndex: 1),
                    address: address,
                    quantity: quantity.name,
                    unit: quantity.unit,
                    channel: try row.decode(atIndex: 4),
                    value: try row.decode(atIndex: 5))
                try Self.callBody(body, sample)
            }
        }
    }

    /// The samples matching `query`, collected in an array, in the order of
    /// ``forEachSample(_:_:)``. For large ranges prefer that streaming form.
    public func samples(_ query: SampleQuery) throws(GatewayStoreError) -> [StoredSample] {
        var samples: [StoredSample] = []
        do {
            try forEachSample(query) { samples.append($0) }
        } catch let error as GatewayStoreError {
            throw error
        } catch {
            // `body` above cannot throw: anything else is a store failure.
            throw .wrapping(error, path: path, operation: "query samples from")
        }
        return samples
    }

    // MARK: Raw payloads

    /// Calls `body` with every raw payload of `address` (all devices when nil) received
    /// in `from ..< to` (gateway µs; nil: unbounded), in order of arrival time, then of
    /// storage. Streams as ``forEachSample(_:_:)`` does.
    public func forEachRawPayload(
        address: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int? = nil,
        _ body: (StoredRawPayload) throws -> Void
    ) throws {
        if let limit, limit <= 0 { return }
        try streaming("read raw payloads from") { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let address {
                guard let id = try Self.deviceID(address, db: db) else { return }
                conditions.append("device_id = ?")
                arguments += [id]
            }
            Self.appendTimeRange(column: "gateway_time_us", from: from, to: to, to: &conditions, &arguments)
            let addresses = try Self.deviceAddresses(db)
            var kinds: [Int64: (source: String, uuid: String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, source, uuid FROM payload_kind") {
                kinds[try row.decode(atIndex: 0)] = (try row.decode(atIndex: 1), try row.decode(atIndex: 2))
            }
            var sql = "SELECT gateway_time_us, device_id, kind_id, bytes FROM raw_payload"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY gateway_time_us, id"
            if let limit {
                sql += " LIMIT ?"
                arguments += [limit]
            }
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                let deviceID: Int64 = try row.decode(atIndex: 1)
                let kindID: Int64 = try row.decode(atIndex: 2)
                guard let address = addresses[deviceID], let kind = kinds[kindID] else {
                    throw GatewayStoreError.invalidStoredData(
                        path: path, operation: "read raw payloads from",
                        detail: "a payload refers to device id \(deviceID) or kind id \(kindID), which do not exist")
                }
                let bytes = try row.withUnsafeData(atIndex: 3) { data in data.map { [UInt8]($0) } ?? [] }
                let payload = StoredRawPayload(
                    gatewayTimeMicros: try row.decode(atIndex: 0), address: address,
                    source: kind.source, uuid: kind.uuid, bytes: bytes)
                try Self.callBody(body, payload)
            }
        }
    }

    // MARK: Devices, quantities, events, counts

    /// Every device the store has heard of, by address.
    ///
    /// - Parameter includingSampleCounts: also count each device's samples, which reads
    ///   the whole sample index (seconds on months of data).
    public func devices(includingSampleCounts: Bool = false) throws(GatewayStoreError) -> [StoredDevice] {
        try read("list devices in") { db in
            var counts: [Int64: Int] = [:]
            if includingSampleCounts {
                for row in try Row.fetchAll(db, sql: "SELECT device_id, COUNT(*) FROM sample GROUP BY device_id") {
                    counts[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
                }
            }
            return try Row.fetchAll(db, sql: """
                SELECT id, address, name, first_seen_us, last_seen_us, quarantined_at_us FROM device ORDER BY address
                """).map { row in
                let id: Int64 = try row.decode(atIndex: 0)
                return StoredDevice(
                    address: try row.decode(atIndex: 1),
                    name: try row.decode(atIndex: 2),
                    firstSeenMicros: try row.decode(atIndex: 3),
                    lastSeenMicros: try row.decode(atIndex: 4),
                    quarantinedAtMicros: try row.decode(atIndex: 5),
                    sampleCount: includingSampleCounts ? counts[id, default: 0] : nil)
            }
        }
    }

    /// Every quantity the store has samples of (or had), by name.
    public func quantities() throws(GatewayStoreError) -> [StoredQuantity] {
        try read("list quantities in") { db in
            try Row.fetchAll(db, sql: "SELECT name, unit FROM quantity ORDER BY name").map { row in
                StoredQuantity(name: try row.decode(atIndex: 0), unit: try row.decode(atIndex: 1))
            }
        }
    }

    /// The events of `address` (all devices when nil), in time order, then order of
    /// storage.
    public func events(address: String? = nil) throws(GatewayStoreError) -> [StoredEvent] {
        try read("list events in") { db in
            var sql = """
                SELECT e.gateway_time_us, d.address, e.kind, e.detail
                FROM device_event e JOIN device d ON d.id = e.device_id
                """
            var arguments = StatementArguments()
            if let address {
                sql += " WHERE d.address = ?"
                arguments += [address]
            }
            sql += " ORDER BY e.gateway_time_us, e.id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                StoredEvent(
                    gatewayTimeMicros: try row.decode(atIndex: 0), address: try row.decode(atIndex: 1),
                    kind: try row.decode(atIndex: 2), detail: try row.decode(atIndex: 3))
            }
        }
    }

    /// How many samples, raw payloads, devices and events the store holds, from one
    /// snapshot. Counting reads whole tables (SQLite keeps no row counts).
    public func counts() throws(GatewayStoreError) -> StoreCounts {
        try read("count rows in") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM sample), (SELECT COUNT(*) FROM raw_payload),
                       (SELECT COUNT(*) FROM device), (SELECT COUNT(*) FROM device_event)
                """)
            guard let row else { return StoreCounts(samples: 0, rawPayloads: 0, devices: 0, events: 0) }
            return StoreCounts(
                samples: try row.decode(atIndex: 0), rawPayloads: try row.decode(atIndex: 1),
                devices: try row.decode(atIndex: 2), events: try row.decode(atIndex: 3))
        }
    }

    // MARK: Helpers

    /// Runs a read transaction, turning failures into ``GatewayStoreError``.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(GatewayStoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw .wrapping(error, path: path, operation: operation)
        }
    }

    /// Runs a read transaction whose caller-supplied body may throw its own errors,
    /// which must reach the caller unwrapped.
    private func streaming(_ operation: String, _ body: (Database) throws -> Void) throws {
        do {
            try writer.read(body)
        } catch let error as CallerError {
            throw error.underlying
        } catch {
            throw GatewayStoreError.wrapping(error, path: path, operation: operation)
        }
    }

    /// Calls a caller's closure, marking what it throws as the caller's.
    private static func callBody<Value>(_ body: (Value) throws -> Void, _ value: Value) throws {
        do {
            try body(value)
        } catch {
            throw CallerError(underlying: error)
        }
    }

    private static func deviceID(_ address: String, db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM device WHERE address = ?", arguments: [address])
    }

    /// id -> address of every device; small, and read once per query so rows carry
    /// shared strings instead of allocating one each.
    private static func deviceAddresses(_ db: Database) throws -> [Int64: String] {
        var addresses: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, address FROM device") {
            addresses[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1)
        }
        return addresses
    }

    private static func quantityNames(_ db: Database) throws -> [Int64: (name: String, unit: String?)] {
        var quantities: [Int64: (name: String, unit: String?)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name, unit FROM quantity") {
            quantities[try row.decode(atIndex: 0)] = (try row.decode(atIndex: 1), try row.decode(atIndex: 2))
        }
        return quantities
    }

    private static func appendTimeRange(
        column: String, from: Int64?, to: Int64?, to conditions: inout [String], _ arguments: inout StatementArguments
    ) {
        if let from {
            conditions.append("\(column) >= ?")
            arguments += [from]
        }
        if let to {
            conditions.append("\(column) < ?")
            arguments += [to]
        }
    }
}

/// An error thrown by a caller's closure during a streaming read, kept apart from the
/// store's own failures so it is rethrown unchanged.
private struct CallerError: Error {
    var underlying: any Error
}
