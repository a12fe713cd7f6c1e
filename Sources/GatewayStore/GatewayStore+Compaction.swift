import GRDB

extension GatewayStore {
    /// What ``compactSamples(endingBefore:)`` did.
    public struct CompactionReport: Sendable, Equatable {
        /// Sample chunks read and deleted.
        public var chunksRead = 0
        /// Sample chunks written in their place.
        public var chunksWritten = 0
        /// Samples moved (as many as were read: compaction never drops one).
        public var samples = 0
    }

    /// Merges the small sample chunks of each (device, quantity) into chunks of up to
    /// ``maximumChunkCount`` samples, in one transaction.
    ///
    /// A commit writes one chunk per (device, quantity) per commit interval: with the
    /// default 1 s interval a device's quantity gets chunks of a few dozen samples, and
    /// then a chunk's row, its three index entries and its tag bytes cost more than its
    /// samples (60 s of gym-100: 360,933 chunks for 11.7 M samples). Merged, the fixed
    /// cost is spread over thousands of samples and the encodings find long runs.
    ///
    /// Queries return exactly the same rows in the same order: the chunks of a group are
    /// merged in id order and sorted stably by (time, channel), so elements that tie keep
    /// their commit order, and the new chunks take the largest ids of the chunks they
    /// replace, larger than every chunk left untouched before them in the group (only a
    /// leading run of already full chunks is left). Delivered chunks (the uplink's cursor)
    /// are merged only with delivered ones, the others only with undelivered ones, and the
    /// batch in flight not at all: compaction never makes the uplink send a sample twice
    /// or skip one.
    ///
    /// - Parameter endingBefore: only chunks whose last time is below this (gateway µs)
    ///   are merged, so a running gateway leaves the chunks of its latest commits alone;
    ///   nil: all.
    public func compactSamples(endingBefore: Int64? = nil) throws(GatewayStoreError) -> CompactionReport {
        let operation = "compact samples in"
        do {
            return try writer.write { db in try Self.compactSamples(db, endingBefore: endingBefore, path: path) }
        } catch {
            throw .wrapping(error, path: path, operation: operation)
        }
    }

    private static func compactSamples(_ db: Database, endingBefore: Int64?, path: String) throws -> CompactionReport {
        var report = CompactionReport()
        // The uplink's cursor splits the chunks: delivered ones (ids up to it) are merged only
        // with each other, undelivered ones above the batch in flight only with each other,
        // and the batch in flight is left as it is, so a chunk never changes sides
        // (GatewayStore+Uplink.swift).
        let (delivered, pending) = try uplinkState(db)
        let partitions: [(after: Int64, through: Int64)] = [
            (0, delivered.sampleChunk), (pending?.through.sampleChunk ?? delivered.sampleChunk, .max),
        ]
        for partition in partitions where partition.after < partition.through {
            try compactSamples(db, endingBefore: endingBefore, ids: partition, path: path, into: &report)
        }
        return report
    }

    private static func compactSamples(
        _ db: Database, endingBefore: Int64?, ids: (after: Int64, through: Int64), path: String,
        into report: inout CompactionReport
    ) throws {
        let bound = endingBefore ?? .max
        let groups = try Row.fetchAll(db, sql: """
            SELECT device_id, quantity_id FROM sample_chunk WHERE end_us < ? AND count < ? AND id > ? AND id <= ?
            GROUP BY device_id, quantity_id HAVING COUNT(*) > 1
            """, arguments: [bound, maximumChunkCount, ids.after, ids.through])
        let select = try db.cachedStatement(sql: """
            SELECT id, start_us, count, gateway_times, device_times, channels, sample_values FROM sample_chunk
            WHERE device_id = ? AND quantity_id = ? AND end_us < ? AND id > ? AND id <= ? ORDER BY id
            """)
        let delete = try db.cachedStatement(sql: "DELETE FROM sample_chunk WHERE id = ?")
        // Merged chunks take the largest of the ids they free, in order: ids stay on their
        // side of the uplink cursor, and the table's largest id never goes down.
        let insert = try db.cachedStatement(sql: """
            INSERT INTO sample_chunk (device_id, quantity_id, start_us, end_us, count,
                                      gateway_times, device_times, channels, sample_values, id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let firstLater = try db.cachedStatement(sql: """
            SELECT MIN(start_us) FROM sample_chunk WHERE device_id = ? AND quantity_id = ? AND end_us >= ?
                AND id > ? AND id <= ?
            """)
        for group in groups {
            let deviceID: Int64 = group[0]
            let quantityID: Int64 = group[1]
            // Chunks left alone (ending at or after the bound) keep their ids, which are lower
            // than the merged chunks' new ones: a merged sample at the same time as one of
            // theirs would then come after it. So only chunks that end before every chunk left
            // alone starts are merged, and no tie can cross the two. Lowering the bound leaves
            // more chunks alone, so it is lowered until it stays.
            var groupBound = bound
            while let later = try Int64.fetchOne(firstLater, arguments: [deviceID, quantityID, groupBound, ids.after, ids.through]),
                  later < groupBound {
                groupBound = later
            }
            var pending: [PendingSample] = []
            var merged: [Int64] = []
            var sawSmall = false
            let rows = try Row.fetchCursor(select, arguments: [deviceID, quantityID, groupBound, ids.after, ids.through])
            while let row = try rows.next() {
                let count: Int = row[2]
                // A leading run of full chunks stays: nothing before it moves past it.
                if !sawSmall && count >= maximumChunkCount { continue }
                sawSmall = true
                let id: Int64 = row[0]
                let start: Int64 = row[1]
                let chunk: SampleChunkStream
                do {
                    chunk = try withBlobs(row, from: 3, 4) { bytes throws(MalformedChunk) in
                        guard let times = bytes[0], let channels = bytes[2], let values = bytes[3] else {
                            throw MalformedChunk(detail: "a sample chunk lacks a column")
                        }
                        return try SampleChunkStream(
                            chunkID: id, addressRank: 0, quantityRank: 0, address: "", quantity: "", unit: nil,
                            start: start, count: count, gatewayTimes: times, deviceTimes: bytes[1],
                            channels: channels, values: values, from: nil, to: nil)
                    }
                } catch {
                    throw GatewayStoreError.invalidStoredData(path: path, operation: "compact samples in", detail: error.detail)
                }
                for index in 0..<count {
                    let deviceTime = chunk.deviceTimes.flatMap { times in
                        (chunk.hasDeviceTime?[index] ?? true) ? times[index] : nil
                    }
                    pending.append(PendingSample(
                        gatewayTime: chunk.gatewayTimes[index], deviceTime: deviceTime ?? 0,
                        hasDeviceTime: deviceTime != nil, device: 0, quantity: 0,
                        channel: chunk.channels[index], value: chunk.values[index]))
                }
                merged.append(id)
            }
            guard merged.count > 1 else { continue }
            for id in merged { try delete.execute(arguments: [id]) }
            // Stable: ties keep their order of chunk id, then position.
            var order = Array(0..<Int32(pending.count))
            order.sort { lhs, rhs in
                let (left, right) = (pending[Int(lhs)], pending[Int(rhs)])
                if left.gatewayTime != right.gatewayTime { return left.gatewayTime < right.gatewayTime }
                if left.channel != right.channel { return left.channel < right.channel }
                return lhs < rhs
            }
            let pieces = Array(stride(from: 0, to: order.count, by: maximumChunkCount))
            var reused = merged.sorted().suffix(pieces.count).makeIterator()
            try pending.withUnsafeBufferPointer { samples in
                try order.withUnsafeBufferPointer { order in
                    for piece in pieces {
                        let rows = UnsafeBufferPointer(rebasing: order[piece..<min(piece + maximumChunkCount, order.count)])
                        try insertSampleChunk(rows, of: samples, deviceID: deviceID, quantityID: quantityID,
                                              id: reused.next(), with: insert)
                        report.chunksWritten += 1
                    }
                }
            }
            report.chunksRead += merged.count
            report.samples += pending.count
        }
    }
}
