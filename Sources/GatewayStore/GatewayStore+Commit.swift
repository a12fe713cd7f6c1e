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
            // An empty payload is legal in ATT, but empty Data binds as NULL (it has no
            // base address), which the column refuses: COALESCE makes it an empty BLOB.
            var insert = try MultiRowInsert(
                db, table: "raw_payload", columns: ["gateway_time_us", "device_id", "kind_id", "bytes"],
                placeholders: ["?", "?", "?", "COALESCE(?, X'')"])
            try batch.rawBytes.withUnsafeBufferPointer { bytes in
                for raw in batch.raws {
                    insert.add(raw.gatewayTime.databaseValue)
                    insert.add(deviceIDs[Int(raw.device)].databaseValue)
                    insert.add(kindIDs[Int(raw.kind)].databaseValue)
                    // Data holds up to 14 bytes inline: short payloads cost no allocation.
                    insert.add(Data(UnsafeBufferPointer(rebasing: bytes[raw.byteRange])).databaseValue)
                    try insert.endRow()
                }
            }
            try insert.finish()
        }

        if !batch.samples.isEmpty {
            var insert = try MultiRowInsert(
                db, table: "sample",
                columns: ["gateway_time_us", "device_time_us", "device_id", "quantity_id", "channel", "value"])
            for sample in batch.samples {
                insert.add(sample.gatewayTime.databaseValue)
                insert.add(sample.hasDeviceTime ? sample.deviceTime.databaseValue : .null)
                insert.add(deviceIDs[Int(sample.device)].databaseValue)
                insert.add(quantityIDs[Int(sample.quantity)].databaseValue)
                insert.add(sample.channel.databaseValue)
                insert.add(sample.value.databaseValue)
                try insert.endRow()
            }
            try insert.finish()
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

        if !batch.deviceNames.isEmpty {
            let statement = try db.cachedStatement(sql: "UPDATE device SET name = ? WHERE id = ?")
            for (device, name) in batch.deviceNames {
                try statement.execute(arguments: [name, deviceIDs[Int(device)]])
            }
        }
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
