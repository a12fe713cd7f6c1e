import Foundation
import GRDB

extension GatewayStore {
    // MARK: Samples

    /// Calls `body` with every sample matching `query`, in time order (then address,
    /// quantity name, channel, and order of arrival), streaming: chunks are read and
    /// decoded one at a time as the merge needs them, so a query over months of data
    /// holds only the chunks that overlap the current instant, and a `limit` stops the
    /// reading early.
    ///
    /// The whole iteration sees one consistent snapshot of the file, unaffected by
    /// commits made meanwhile. `body` runs on the reading connection: keep it short, and
    /// do not use the store from inside it. An error `body` throws ends the iteration
    /// and is rethrown as is; store failures arrive as ``GatewayStoreError``.
    public func forEachSample(_ query: SampleQuery, _ body: (StoredSample) throws -> Void) throws {
        if let limit = query.limit, limit <= 0 { return }
        if let from = query.from, let to = query.to, from >= to { return }
        let operation = "query samples from"
        try streaming(operation) { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let address = query.address {
                guard let id = try Self.deviceID(address, db: db) else { return }
                conditions.append("device_id = ?")
                arguments += [id]
            }
            if let quantity = query.quantity {
                guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM quantity WHERE name = ?", arguments: [quantity])
                else { return }
                conditions.append("quantity_id = ?")
                arguments += [id]
            }
            try Self.appendOverlap(table: "sample_chunk", from: query.from, to: query.to, db: db,
                                   to: &conditions, &arguments)
            let devices = try Self.deviceAddresses(db)
            let quantities = try Self.quantityNames(db)
            // Chunk ids in order of start (then id: a commit's chunks before the next
            // commit's); the BLOBs are read one chunk at a time by id, so that a sort
            // SQLite may need here handles a few integers per chunk, not the BLOBs.
            var sql = "SELECT id, device_id, quantity_id, start_us, count FROM sample_chunk"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY start_us, id"
            let chunks = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            let columns = try db.cachedStatement(sql: """
                SELECT gateway_times, device_times, channels, sample_values FROM sample_chunk WHERE id = ?
                """)

            func nextChunk() throws -> (stream: SampleChunkStream, start: Int64)? {
                while let row = try chunks.next() {
                    let id: Int64 = try row.decode(atIndex: 0)
                    let deviceID: Int64 = try row.decode(atIndex: 1)
                    let quantityID: Int64 = try row.decode(atIndex: 2)
                    let start: Int64 = try row.decode(atIndex: 3)
                    let count: Int = try row.decode(atIndex: 4)
                    guard let device = devices[deviceID], let quantity = quantities[quantityID] else {
                        throw GatewayStoreError.invalidStoredData(
                            path: path, operation: operation,
                            detail: "a sample chunk refers to device id \(deviceID) or quantity id \(quantityID), which do not exist")
                    }
                    let blobs = try Row.fetchCursor(columns, arguments: [id])
                    guard let blob = try blobs.next() else { continue }
                    do {
                        let stream = try Self.withBlobs(blob, 4) { bytes throws(MalformedChunk) in
                            guard let times = bytes[0], let channels = bytes[2], let values = bytes[3] else {
                                throw MalformedChunk(detail: "a sample chunk lacks a column")
                            }
                            return try SampleChunkStream(
                                chunkID: id, addressRank: device.rank, quantityRank: quantity.rank,
                                address: device.address, quantity: quantity.name, unit: quantity.unit,
                                start: start, count: count, gatewayTimes: times, deviceTimes: bytes[1],
                                channels: channels, values: values, from: query.from, to: query.to)
                        }
                        return (stream, start)
                    } catch {
                        throw GatewayStoreError.invalidStoredData(path: path, operation: operation, detail: error.detail)
                    }
                }
                return nil
            }

            var remaining = query.limit ?? .max
            try Self.merge(next: nextChunk) { stream in
                try Self.callBody(body, stream.current)
                remaining -= 1
                return remaining > 0
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
    /// arrival at the gateway. Streams as ``forEachSample(_:_:)`` does.
    public func forEachRawPayload(
        address: String? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int? = nil,
        _ body: (StoredRawPayload) throws -> Void
    ) throws {
        if let limit, limit <= 0 { return }
        if let from, let to, from >= to { return }
        let operation = "read raw payloads from"
        try streaming(operation) { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let address {
                guard let id = try Self.deviceID(address, db: db) else { return }
                conditions.append("device_id = ?")
                arguments += [id]
            }
            try Self.appendOverlap(table: "raw_chunk", from: from, to: to, db: db, to: &conditions, &arguments)
            let devices = try Self.deviceAddresses(db)
            var kinds: [Int64: (source: String, uuid: String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, source, uuid FROM payload_kind") {
                kinds[try row.decode(atIndex: 0)] = (try row.decode(atIndex: 1), try row.decode(atIndex: 2))
            }
            var sql = "SELECT id, batch, device_id, kind_id, start_us, count FROM raw_chunk"
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql += " ORDER BY start_us, id"
            let chunks = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            let columns = try db.cachedStatement(sql: """
                SELECT gateway_times, arrivals, lengths, bytes FROM raw_chunk WHERE id = ?
                """)

            func nextChunk() throws -> (stream: RawChunkStream, start: Int64)? {
                while let row = try chunks.next() {
                    let id: Int64 = try row.decode(atIndex: 0)
                    let batch: Int64 = try row.decode(atIndex: 1)
                    let deviceID: Int64 = try row.decode(atIndex: 2)
                    let kindID: Int64 = try row.decode(atIndex: 3)
                    let start: Int64 = try row.decode(atIndex: 4)
                    let count: Int = try row.decode(atIndex: 5)
                    guard let device = devices[deviceID], let kind = kinds[kindID] else {
                        throw GatewayStoreError.invalidStoredData(
                            path: path, operation: operation,
                            detail: "a raw chunk refers to device id \(deviceID) or kind id \(kindID), which do not exist")
                    }
                    let blobs = try Row.fetchCursor(columns, arguments: [id])
                    guard let blob = try blobs.next() else { continue }
                    do {
                        let stream = try Self.withBlobs(blob, 4) { bytes throws(MalformedChunk) in
                            guard let times = bytes[0], let arrivals = bytes[1], let lengths = bytes[2] else {
                                throw MalformedChunk(detail: "a raw chunk lacks a column")
                            }
                            return try RawChunkStream(
                                chunkID: id, batch: batch, address: device.address, source: kind.source,
                                uuid: kind.uuid, start: start, count: count, gatewayTimes: times, arrivals: arrivals,
                                lengths: lengths, bytes: bytes[3] ?? UnsafeRawBufferPointer(start: nil, count: 0),
                                from: from, to: to)
                        }
                        return (stream, start)
                    } catch {
                        throw GatewayStoreError.invalidStoredData(path: path, operation: operation, detail: error.detail)
                    }
                }
                return nil
            }

            var remaining = limit ?? .max
            try Self.merge(next: nextChunk) { stream in
                try Self.callBody(body, stream.current)
                remaining -= 1
                return remaining > 0
            }
        }
    }

    // MARK: Devices, quantities, events, counts

    /// Every device the store has heard of, by address.
    ///
    /// - Parameter includingSampleCounts: also count each device's samples, which sums
    ///   the counts of every sample chunk (one row per device, quantity and commit).
    public func devices(includingSampleCounts: Bool = false) throws(GatewayStoreError) -> [StoredDevice] {
        try read("list devices in") { db in
            var counts: [Int64: Int] = [:]
            if includingSampleCounts {
                for row in try Row.fetchAll(db, sql: "SELECT device_id, SUM(count) FROM sample_chunk GROUP BY device_id") {
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
    /// snapshot. Samples and payloads are summed over their chunks; devices and events
    /// are counted row by row (SQLite keeps no row counts).
    public func counts() throws(GatewayStoreError) -> StoreCounts {
        try read("count rows in") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT COALESCE(SUM(count), 0) FROM sample_chunk),
                       (SELECT COALESCE(SUM(count), 0) FROM raw_chunk),
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

    /// id -> address of every device, with the address's position in sorted order;
    /// small, and read once per query so rows carry shared strings instead of
    /// allocating one each, and the merge compares ranks instead of strings.
    private static func deviceAddresses(_ db: Database) throws -> [Int64: (address: String, rank: Int32)] {
        var addresses: [Int64: (address: String, rank: Int32)] = [:]
        for (rank, row) in try Row.fetchAll(db, sql: "SELECT id, address FROM device ORDER BY address").enumerated() {
            addresses[try row.decode(atIndex: 0)] = (try row.decode(atIndex: 1), Int32(truncatingIfNeeded: rank))
        }
        return addresses
    }

    private static func quantityNames(_ db: Database) throws -> [Int64: (name: String, unit: String?, rank: Int32)] {
        var quantities: [Int64: (name: String, unit: String?, rank: Int32)] = [:]
        for (rank, row) in try Row.fetchAll(db, sql: "SELECT id, name, unit FROM quantity ORDER BY name").enumerated() {
            quantities[try row.decode(atIndex: 0)] = (
                try row.decode(atIndex: 1), try row.decode(atIndex: 2), Int32(truncatingIfNeeded: rank))
        }
        return quantities
    }

    /// Conditions selecting the chunks of `table` whose `[start_us, end_us]` overlaps
    /// `from ..< to`. `end_us >= from` alone would make SQLite visit every chunk that
    /// starts before `to`; no chunk is wider than the widest one (read from the span
    /// index in O(log n)), so `start_us >= from - widest` bounds the index range from
    /// below too.
    private static func appendOverlap(
        table: String, from: Int64?, to: Int64?, db: Database,
        to conditions: inout [String], _ arguments: inout StatementArguments
    ) throws {
        if let from {
            let widest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(end_us - start_us) FROM \(table)")) ?? 0
            let (lowest, overflow) = from.subtractingReportingOverflow(max(widest, 0))
            if !overflow {
                conditions.append("start_us >= ?")
                arguments += [lowest]
            }
            conditions.append("end_us >= ?")
            arguments += [from]
        }
        if let to {
            conditions.append("start_us < ?")
            arguments += [to]
        }
    }

    /// Reads a row's first `count` columns as BLOBs (nil for NULL) without copying them.
    static func withBlobs<T>(
        _ row: Row, from first: Int = 0, _ count: Int, _ body: ([UnsafeRawBufferPointer?]) throws(MalformedChunk) -> T
    ) throws(MalformedChunk) -> T {
        var buffers: [UnsafeRawBufferPointer?] = []
        buffers.reserveCapacity(count)
        // Row.withUnsafeData nests; collect the buffers by recursion over the columns.
        func collect(_ index: Int) throws(MalformedChunk) -> T {
            if index == first + count { return try body(buffers) }
            do {
                return try row.withUnsafeData(atIndex: index) { data throws -> T in
                    guard let data else {
                        buffers.append(nil)
                        return try collect(index + 1)
                    }
                    return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> T in
                        buffers.append(bytes)
                        return try collect(index + 1)
                    }
                }
            } catch let error as MalformedChunk {
                throw error
            } catch {
                throw MalformedChunk(detail: "a chunk column is not a BLOB")
            }
        }
        return try collect(first)
    }

    /// Streams the elements of chunks, read in order of `start_us`, in the query's
    /// order: a chunk is added to the merge before anything at or after its start is
    /// emitted, since its elements may come first. `emit` returns false to stop.
    private static func merge<Stream: ChunkStream>(
        next: () throws -> (stream: Stream, start: Int64)?, emit: (Stream) throws -> Bool
    ) throws {
        var merge = ChunkMerge<Stream>()
        var pending = try next()
        while true {
            if let chunk = pending, merge.earliestTime.map({ $0 >= chunk.start }) ?? true {
                merge.add(chunk.stream)
                pending = try next()
                continue
            }
            guard !merge.isEmpty else { return }
            var goOn = true
            try merge.consumeFirst { stream in goOn = try emit(stream) }
            if !goOn { return }
        }
    }
}

/// An error thrown by a caller's closure during a streaming read, kept apart from the
/// store's own failures so it is rethrown unchanged.
private struct CallerError: Error {
    var underlying: any Error
}
