import Foundation
import GRDB

extension GatewayStore {
    static let commitOperation = "commit a batch to"

    // MARK: Writing

    /// Writes everything in `batch` in one transaction: all of it, or nothing.
    ///
    /// Devices, quantities and payload kinds seen for the first time get their rows
    /// here; their ids are then cached, so a steady-state commit only inserts. Each
    /// device's `last_seen_us` moves to the latest time the batch has for it.
    ///
    /// The batch is not consumed: on success call ``StoreBatch/removeAll()``; on failure
    /// nothing was written, and the caller can keep the batch and retry (after
    /// ``GatewayStoreError/isDiskFull``, once space is freed).
    public func commit(_ batch: StoreBatch) throws(GatewayStoreError) {
        guard !batch.isEmpty else { return }
        let known = knownIDs.withLock { $0 }
        var learnt = KnownIDs()
        do {
            try writer.write { db in
                try Self.insert(batch, into: db, known: known, learnt: &learnt)
            }
        } catch {
            throw .wrapping(error, path: path, operation: Self.commitOperation)
        }
        if !learnt.isEmpty {
            knownIDs.withLock { $0.merge(learnt) }
        }
    }

    /// ``commit(_:)`` without blocking the caller's thread: the transaction runs on GRDB's
    /// writer queue (its fsync too) while the task is suspended, so a store service on the
    /// cooperative pool never stalls other tasks. Same all-or-nothing contract.
    public func commit(_ batch: StoreBatch) async throws(GatewayStoreError) {
        guard !batch.isEmpty else { return }
        let known = knownIDs.withLock { $0 }
        // A Result rather than `catch` here: typed-throws `catch` clauses in async code
        // crash the Swift 6.3 compiler.
        switch await Self.write(batch, known: known, to: writer, path: path) {
        case .success(let learnt):
            if !learnt.isEmpty { knownIDs.withLock { $0.merge(learnt) } }
        case .failure(let error):
            throw error
        }
    }

    private static func write(
        _ batch: StoreBatch, known: KnownIDs, to writer: any DatabaseWriter, path: String
    ) async -> Result<KnownIDs, GatewayStoreError> {
        do {
            let learnt = try await writer.write { db in
                var learnt = KnownIDs()
                try Self.insert(batch, into: db, known: known, learnt: &learnt)
                return learnt
            }
            return .success(learnt)
        } catch {
            return .failure(.wrapping(error, path: path, operation: commitOperation))
        }
    }

    /// Quarantines a device at `time` (gateway µs) right away, recording a
    /// ``DeviceEventKind/quarantined`` event with `reason` as its detail.
    ///
    /// Equivalent to committing a batch holding only that event; the pipeline can as
    /// well append the event to its current batch. A device stays quarantined (its
    /// `quarantined_at_us` keeps the first time) until a ``DeviceEventKind/released``
    /// event.
    public func markQuarantined(address: String, at time: Int64, reason: String? = nil) throws(GatewayStoreError) {
        var batch = StoreBatch()
        batch.appendEvent(gatewayTimeMicros: time, address: address, kind: DeviceEventKind.quarantined, detail: reason)
        try commit(batch)
    }

    // MARK: Transaction body

    private static func insert(
        _ batch: StoreBatch, into db: Database, known: KnownIDs, learnt: inout KnownIDs
    ) throws {
        let deviceIDs = try resolveDevices(batch, db: db, known: known, learnt: &learnt)
        let quantityIDs = try resolveQuantities(batch, db: db, known: known, learnt: &learnt)
        let kindIDs = try resolvePayloadKinds(batch, db: db, known: known, learnt: &learnt)

        if !batch.raws.isEmpty {
            try insertRawChunks(batch, into: db, deviceIDs: deviceIDs, kindIDs: kindIDs)
        }
        if !batch.samples.isEmpty {
            try insertSampleChunks(batch, into: db, deviceIDs: deviceIDs, quantityIDs: quantityIDs)
        }

        if !batch.events.isEmpty {
            let insertEvent = try db.cachedStatement(sql: """
                INSERT INTO device_event (gateway_time_us, device_id, kind, detail) VALUES (?, ?, ?, ?)
                """)
            for event in batch.events {
                let deviceID = deviceIDs[Int(event.device)]
                try insertEvent.execute(arguments: [event.gatewayTime, deviceID, event.kind, event.detail])
                switch event.kind {
                case DeviceEventKind.quarantined:
                    try db.cachedStatement(sql: """
                        UPDATE device SET quarantined_at_us = COALESCE(quarantined_at_us, ?) WHERE id = ?
                        """).execute(arguments: [event.gatewayTime, deviceID])
                case DeviceEventKind.released:
                    try db.cachedStatement(sql: "UPDATE device SET quarantined_at_us = NULL WHERE id = ?")
                        .execute(arguments: [deviceID])
                default:
                    break
                }
            }
        }

        if !batch.metricRecords.isEmpty {
            try insertMetricRecords(batch, into: db, deviceIDs: deviceIDs)
        }

        if !batch.deviceNames.isEmpty {
            let statement = try db.cachedStatement(sql: "UPDATE device SET name = ? WHERE id = ?")
            for (device, name) in batch.deviceNames {
                try statement.execute(arguments: [name, deviceIDs[Int(device)]])
            }
        }
    }

    // MARK: Chunks

    /// Most elements in one chunk row. A group larger than this (a long commit interval)
    /// becomes several rows, so a query that needs one sample decodes at most this many,
    /// and a chunk's columns stay a few tens of kilobytes.
    static let maximumChunkCount = 4096

    /// One `sample_chunk` row per (device, quantity) of the batch (more for groups above
    /// ``maximumChunkCount``), its samples sorted by time, then channel, then arrival.
    private static func insertSampleChunks(
        _ batch: StoreBatch, into db: Database, deviceIDs: [Int64], quantityIDs: [Int64]
    ) throws {
        try batch.samples.withUnsafeBufferPointer { samples in
            var groups = RowGroups(
                rowCount: samples.count, firstKeyCount: batch.addresses.count,
                first: { samples[$0].device }, second: { samples[$0].quantity })
            groups.sortEachGroup { lhs, rhs in
                let (left, right) = (samples[lhs], samples[rhs])
                return left.gatewayTime < right.gatewayTime
                    || (left.gatewayTime == right.gatewayTime && left.channel < right.channel)
            }
            let statement = try db.cachedStatement(sql: """
                INSERT INTO sample_chunk (device_id, quantity_id, start_us, end_us, count,
                                          gateway_times, device_times, channels, sample_values)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try groups.order.withUnsafeBufferPointer { order in
                for group in 0..<groups.count {
                    let deviceID = deviceIDs[Int(groups.firstKeys[group])]
                    let quantityID = quantityIDs[Int(groups.secondKeys[group])]
                    for piece in pieces(of: groups.rows(of: group)) {
                        try insertSampleChunk(
                            UnsafeBufferPointer(rebasing: order[piece]), of: samples,
                            deviceID: deviceID, quantityID: quantityID, with: statement)
                    }
                }
            }
        }
    }

    /// Encodes `rows` of `samples` (sorted) as one chunk and inserts it with `statement`
    /// (the INSERT of ``insertSampleChunks(_:into:deviceIDs:quantityIDs:)``, or compaction's,
    /// which also binds the chunk's `id`).
    static func insertSampleChunk(
        _ rows: UnsafeBufferPointer<Int32>, of samples: UnsafeBufferPointer<PendingSample>,
        deviceID: Int64, quantityID: Int64, id: Int64? = nil, with statement: Statement
    ) throws {
        let chunk = encodeSamples(rows, of: samples)
        var arguments = [
            deviceID.databaseValue, quantityID.databaseValue,
            chunk.start.databaseValue, chunk.end.databaseValue, rows.count.databaseValue,
            chunk.gatewayTimes.databaseValue, chunk.deviceTimes?.databaseValue ?? .null,
            chunk.channels.databaseValue, chunk.values.databaseValue,
        ]
        if let id { arguments.append(id.databaseValue) }
        statement.setUncheckedArguments(StatementArguments(arguments))
        try statement.execute()
    }

    /// One `raw_chunk` row per (device, payload kind) of the batch (more for groups above
    /// ``maximumChunkCount``), its payloads sorted by time, then arrival.
    private static func insertRawChunks(
        _ batch: StoreBatch, into db: Database, deviceIDs: [Int64], kindIDs: [Int64]
    ) throws {
        // The commit's number: the id of its first chunk, larger than any earlier one.
        let batchNumber = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM raw_chunk")) ?? 1
        var nextID = batchNumber
        try batch.raws.withUnsafeBufferPointer { raws in
            var groups = RowGroups(
                rowCount: raws.count, firstKeyCount: batch.addresses.count,
                first: { raws[$0].device }, second: { raws[$0].kind })
            groups.sortEachGroup { lhs, rhs in raws[lhs].gatewayTime < raws[rhs].gatewayTime }
            // An empty BLOB (every payload of the chunk empty) binds as NULL, since empty
            // Data has no base address, which the column refuses: COALESCE restores it.
            let statement = try db.cachedStatement(sql: """
                INSERT INTO raw_chunk (id, batch, device_id, kind_id, start_us, end_us, count,
                                       gateway_times, arrivals, lengths, bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, X''))
                """)
            try batch.rawBytes.withUnsafeBufferPointer { bytes in
                try groups.order.withUnsafeBufferPointer { order in
                    for group in 0..<groups.count {
                        let deviceID = deviceIDs[Int(groups.firstKeys[group])]
                        let kindID = kindIDs[Int(groups.secondKeys[group])]
                        for piece in pieces(of: groups.rows(of: group)) {
                            let rows = UnsafeBufferPointer(rebasing: order[piece])
                            let chunk = encodeRaws(rows, of: raws, bytes: bytes)
                            statement.setUncheckedArguments(StatementArguments([
                                nextID.databaseValue, batchNumber.databaseValue,
                                deviceID.databaseValue, kindID.databaseValue,
                                chunk.start.databaseValue, chunk.end.databaseValue, rows.count.databaseValue,
                                chunk.gatewayTimes.databaseValue, chunk.arrivals.databaseValue,
                                chunk.lengths.databaseValue, chunk.bytes.databaseValue,
                            ]))
                            try statement.execute()
                            nextID += 1
                        }
                    }
                }
            }
        }
    }

    /// `rows` cut into consecutive pieces of at most ``maximumChunkCount``.
    private static func pieces(of rows: Range<Int>) -> LazyMapSequence<StrideTo<Int>, Range<Int>> {
        stride(from: rows.lowerBound, to: rows.upperBound, by: maximumChunkCount).lazy.map { start in
            start..<min(start + maximumChunkCount, rows.upperBound)
        }
    }

    /// Encodes samples already sorted by time in chunk format 2 (``ChunkFormat``): the
    /// first time is `start`, the last `end`.
    private static func encodeSamples(
        _ rows: UnsafeBufferPointer<Int32>, of samples: UnsafeBufferPointer<PendingSample>
    ) -> (start: Int64, end: Int64, gatewayTimes: Data, deviceTimes: Data?, channels: Data, values: Data) {
        let count = rows.count
        let start = samples[Int(rows[0])].gatewayTime
        let end = samples[Int(rows[count - 1])].gatewayTime
        let gatewayTimes = encodeTimes(rows.map { samples[Int($0)].gatewayTime }, start: start)
        var present = 0
        for row in rows where samples[Int(row)].hasDeviceTime { present += 1 }
        var deviceTimes: Data?
        if present > 0 {
            // Flag byte: 0 every sample has a device time; 1 a presence bitmap follows
            // (bit i of byte i/8 set when sample i has one). Then the present times as an
            // integer column from 0.
            let bitmapBytes = present == count ? 0 : (count + 7) / 8
            var bytes: [UInt8] = [bitmapBytes == 0 ? 0 : 1]
            if bitmapBytes > 0 {
                var byte: UInt8 = 0
                for index in 0..<count {
                    if samples[Int(rows[index])].hasDeviceTime { byte |= 1 << UInt8(index & 7) }
                    if index & 7 == 7 || index == count - 1 {
                        bytes.append(byte)
                        byte = 0
                    }
                }
            }
            var times: [Int64] = []
            times.reserveCapacity(present)
            for row in rows where samples[Int(row)].hasDeviceTime { times.append(samples[Int(row)].deviceTime) }
            bytes += IntegerColumn.encode(times, base: 0, channels: nil)
            deviceTimes = Data(bytes)
        }
        let channelNumbers = rows.map { samples[Int($0)].channel }
        let channels = Data(IntegerColumn.encode(channelNumbers.map { Int64($0) }, base: 0, channels: nil))
        let values = Data(ValueColumn.encode(rows.map { samples[Int($0)].value }, channels: channelNumbers))
        return (start, end, gatewayTimes, deviceTimes, channels, values)
    }

    /// Encodes raw payloads already sorted by time in chunk format 2.
    private static func encodeRaws(
        _ rows: UnsafeBufferPointer<Int32>, of raws: UnsafeBufferPointer<PendingRaw>, bytes: UnsafeBufferPointer<UInt8>
    ) -> (start: Int64, end: Int64, gatewayTimes: Data, arrivals: Data, lengths: Data, bytes: Data) {
        let count = rows.count
        let start = raws[Int(rows[0])].gatewayTime
        let end = raws[Int(rows[count - 1])].gatewayTime
        let gatewayTimes = encodeTimes(rows.map { raws[Int($0)].gatewayTime }, start: start)
        // Position in the batch (differences usually 1 within a device's stream).
        let arrivals = Data(IntegerColumn.encode(rows.map { Int64($0) }, base: 0, channels: nil))
        var total = 0
        for row in rows { total += raws[Int(row)].byteRange.count }
        let lengths = Data(IntegerColumn.encode(rows.map { Int64(raws[Int($0)].byteRange.count) }, base: 0, channels: nil))
        let payloads = ChunkCodec.data(capacity: total) { writer in
            for row in rows { writer.bytes(UnsafeBufferPointer(rebasing: bytes[raws[Int(row)].byteRange])) }
        }
        return (start, end, gatewayTimes, arrivals, lengths, payloads)
    }

    /// Times sorted ascending: the format tag, then an integer column from `start`.
    private static func encodeTimes(_ times: [Int64], start: Int64) -> Data {
        Data([ChunkFormat.compact] + IntegerColumn.encode(times, base: start, channels: nil))
    }

    /// Database id of every device of the batch (index = the batch's address key),
    /// inserting unknown ones and moving each device's first/last-seen times.
    private static func resolveDevices(
        _ batch: StoreBatch, db: Database, known: KnownIDs, learnt: inout KnownIDs
    ) throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(batch.addresses.count)
        for (key, address) in batch.addresses.strings.enumerated() {
            let seen = batch.hasSeenTime(device: key)
            let first: Int64? = seen ? batch.deviceFirstSeen[key] : nil
            let last: Int64? = seen ? batch.deviceLastSeen[key] : nil
            var id = known.devices[address]
            if id == nil {
                id = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT id FROM device WHERE address = ?"), arguments: [address])
            }
            if let id {
                if let first, let last {
                    // MAX/MIN of two arguments are NULL if either is: hence COALESCE.
                    try db.cachedStatement(sql: """
                        UPDATE device SET first_seen_us = MIN(COALESCE(first_seen_us, ?1), ?1),
                                          last_seen_us = MAX(COALESCE(last_seen_us, ?2), ?2)
                        WHERE id = ?3
                        """).execute(arguments: [first, last, id])
                }
                ids.append(id)
                if known.devices[address] == nil { learnt.devices[address] = id }
            } else {
                try db.cachedStatement(sql: """
                    INSERT INTO device (address, first_seen_us, last_seen_us) VALUES (?, ?, ?)
                    """).execute(arguments: [address, first, last])
                let id = db.lastInsertedRowID
                ids.append(id)
                learnt.devices[address] = id
            }
        }
        return ids
    }

    /// Database id of every quantity of the batch (index = the batch's quantity key);
    /// a quantity first stored without a unit gets the first unit given later.
    private static func resolveQuantities(
        _ batch: StoreBatch, db: Database, known: KnownIDs, learnt: inout KnownIDs
    ) throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(batch.quantities.count)
        for (key, name) in batch.quantities.strings.enumerated() {
            let unit = batch.quantityUnits[key]
            if let cached = known.quantities[name], cached.hasUnit || unit == nil {
                ids.append(cached.id)
                continue
            }
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, unit FROM quantity WHERE name = ?"), arguments: [name])
            if let row {
                let id: Int64 = try row.decode(atIndex: 0)
                var hasUnit = try row.decode(String?.self, atIndex: 1) != nil
                if !hasUnit, let unit {
                    try db.cachedStatement(sql: "UPDATE quantity SET unit = ? WHERE id = ?")
                        .execute(arguments: [unit, id])
                    hasUnit = true
                }
                ids.append(id)
                learnt.quantities[name] = (id, hasUnit)
            } else {
                try db.cachedStatement(sql: "INSERT INTO quantity (name, unit) VALUES (?, ?)")
                    .execute(arguments: [name, unit])
                let id = db.lastInsertedRowID
                ids.append(id)
                learnt.quantities[name] = (id, unit != nil)
            }
        }
        return ids
    }

    /// Database id of every (source, uuid) pair of the batch's raw payloads.
    private static func resolvePayloadKinds(
        _ batch: StoreBatch, db: Database, known: KnownIDs, learnt: inout KnownIDs
    ) throws -> [Int64] {
        var ids: [Int64] = []
        ids.reserveCapacity(batch.payloadKinds.count)
        for (key, combined) in batch.payloadKinds.strings.enumerated() {
            if let id = known.payloadKinds[combined] {
                ids.append(id)
                continue
            }
            let (source, uuid) = batch.payloadKindParts[key]
            if let id = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM payload_kind WHERE source = ? AND uuid = ?"),
                arguments: [source, uuid])
            {
                ids.append(id)
                learnt.payloadKinds[combined] = id
            } else {
                try db.cachedStatement(sql: "INSERT INTO payload_kind (source, uuid) VALUES (?, ?)")
                    .execute(arguments: [source, uuid])
                let id = db.lastInsertedRowID
                ids.append(id)
                learnt.payloadKinds[combined] = id
            }
        }
        return ids
    }
}
