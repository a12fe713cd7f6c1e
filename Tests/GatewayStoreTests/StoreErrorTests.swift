import Foundation
import GRDB
import Testing
@testable import GatewayStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct StoreErrorTests {
    /// Opening `path` must fail with a store error; returns it.
    func openError(_ path: String, options: GatewayStore.Options = .init()) -> GatewayStoreError? {
        do {
            _ = try GatewayStore(path: path, options: options)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [4096, 100, 20])
    func aFileThatIsNotADatabaseIsRefusedByName(size: Int) throws {
        let folder = try TemporaryFolder()
        let path = folder.path("notes.txt")
        let text = String(repeating: "not a database, just some text\n", count: 200).prefix(size)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let error = openError(path)
        #expect(error == .notADatabase(path: path))
        #expect(error?.description == "cannot open \(path): file is not a database (SQLite 26)")
        // The file was not touched.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(text.utf8))
        #expect(openError(path, options: .init(readOnly: true)) == .notADatabase(path: path))
    }

    @Test func aDirectoryIsRefusedWithTheSystemsReason() throws {
        let folder = try TemporaryFolder()
        let error = openError(folder.url.path)
        #expect(error == .cannotOpen(path: folder.url.path, reason: String(cString: strerror(EISDIR)), sqliteCode: nil))
        #expect(error?.description.hasPrefix("cannot open \(folder.url.path): ") == true)
    }

    @Test func aMissingFolderIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("missing/store.db")
        #expect(openError(path) == .cannotOpen(path: path, reason: String(cString: strerror(ENOENT)), sqliteCode: nil))
    }

    @Test func readOnlyNeverCreatesAFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        #expect(openError(path, options: .init(readOnly: true))
                == .cannotOpen(path: path, reason: String(cString: strerror(ENOENT)), sqliteCode: nil))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test(.enabled(if: geteuid() != 0, "root reads any file"))
    func anUnreadableFileIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        try GatewayStore(path: path).close()
        #expect(chmod(path, 0) == 0)
        #expect(openError(path) == .cannotOpen(path: path, reason: String(cString: strerror(EACCES)), sqliteCode: nil))
    }

    @Test func anotherSQLiteDatabaseIsNotAStoreForReading() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("other.db")
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        let error = openError(path, options: .init(readOnly: true))
        guard case .incompatibleSchema(let errorPath, let reason) = error else {
            Issue.record("expected incompatibleSchema, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(reason.contains("not a gaitway store"))
    }

    @Test func aStoreFromANewerGaitwayIsReadableButNotWritable() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        do {
            let store = try GatewayStore(path: path)
            try store.commit(Dataset.batch(Array(Dataset.samples.prefix(3))))
            try store.close()
        }
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999: from the future')")
        }
        guard case .incompatibleSchema(path, let reason) = openError(path) else {
            Issue.record("a newer schema was opened read-write")
            return
        }
        #expect(reason.contains("newer"))
        let reader = try GatewayStore(path: path, options: .init(readOnly: true))
        #expect(try reader.counts().samples == 3)
    }

    @Test func aFullDiskIsTellableAndLeavesNothingHalfWritten() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path, options: .init(maximumSizeBytes: 256 * 1024))
        try store.commit(Dataset.batch(Array(Dataset.samples.prefix(10))))

        var big = StoreBatch()
        for t in 0..<4000 {
            big.appendRaw(gatewayTimeMicros: Int64(t), address: TestAddress.a, source: "notification", uuid: "2A37",
                          bytes: [UInt8](repeating: UInt8(t & 0xFF), count: 200))
        }
        big.appendSample(gatewayTimeMicros: 1, deviceTimeMicros: nil, address: "NEW", quantity: "new", unit: nil, channel: -1, value: 1)
        #expect {
            try store.commit(big)
        } throws: { error in
            guard let error = error as? GatewayStoreError else { return false }
            return error.isDiskFull && error.sqliteCode == 13
                && error.description == "cannot commit a batch to \(path): database or disk is full (SQLite 13)"
        }
        #expect(try store.counts() == StoreCounts(samples: 10, rawPayloads: 0, devices: 3, events: 0))
        // The store keeps working for what fits.
        var small = StoreBatch()
        small.appendSample(gatewayTimeMicros: 1, deviceTimeMicros: nil, address: "NEW", quantity: "new", unit: nil, channel: -1, value: 1)
        try store.commit(small)
        #expect(try store.samples(SampleQuery(address: "NEW")).map(\.value) == [1])
    }

    @Test func aFailedCommitLeavesNothingAndForgetsItsIds() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path)
        try store.commit(Dataset.batch(Array(Dataset.samples.prefix(8))))
        let before = try store.counts()
        let devicesBefore = try store.devices()

        // Another connection installs a trigger that aborts on the chunk of one
        // quantity, so the failure comes after the batch's raw chunk, its new rows in
        // `device` and `quantity`, and a first sample chunk were already inserted.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                CREATE TRIGGER poison BEFORE INSERT ON sample_chunk
                WHEN NEW.quantity_id = (SELECT id FROM quantity WHERE name = 'new_quantity')
                BEGIN SELECT RAISE(ABORT, 'poisoned sample'); END
                """)
        }
        var batch = StoreBatch()
        batch.appendRaw(gatewayTimeMicros: 5, address: "NEW:DEVICE", source: "notification", uuid: "2A37", bytes: [1, 2])
        batch.appendEvent(gatewayTimeMicros: 5, address: "NEW:DEVICE", kind: DeviceEventKind.connected, detail: nil)
        for t in 0..<200 {
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: nil, address: "NEW:DEVICE",
                               quantity: "heart_rate", unit: "bpm", channel: -1, value: Double(t))
            batch.appendSample(gatewayTimeMicros: Int64(t), deviceTimeMicros: nil, address: "NEW:DEVICE",
                               quantity: "new_quantity", unit: "u", channel: -1, value: Double(t))
        }
        #expect {
            try store.commit(batch)
        } throws: { error in
            guard case .sqlite(path, "commit a batch to", 19, _, let message) = error as? GatewayStoreError else { return false }
            return message.contains("poisoned sample")
        }
        #expect(try store.counts() == before)
        #expect(try store.devices() == devicesBefore)
        #expect(try store.quantities().map(\.name) == ["heart_rate", "plantar_force"])

        try DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TRIGGER poison") }
        // Had the store cached the rolled-back ids of NEW:DEVICE and new_quantity, these
        // rows would point at rows that do not exist.
        batch.removeAll()
        batch.appendSample(gatewayTimeMicros: 9, deviceTimeMicros: nil, address: "NEW:DEVICE",
                           quantity: "new_quantity", unit: "u", channel: -1, value: 666)
        try store.commit(batch)
        #expect(try store.samples(SampleQuery(address: "NEW:DEVICE")) == [
            StoredSample(gatewayTimeMicros: 9, deviceTimeMicros: nil, address: "NEW:DEVICE",
                         quantity: "new_quantity", unit: "u", channel: -1, value: 666),
        ])
        #expect(try store.counts().devices == before.devices + 1)
    }

    @Test func rowsThatPointNowhereGiveAnErrorNotACrash() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path)
        try store.commit(Dataset.batch(Array(Dataset.samples.prefix(4))))
        try DatabaseQueue(path: path).write { db in
            // One sample at time 0, channel -1 (zigzag 1), value 1.5, of device 99.
            try db.execute(sql: """
                INSERT INTO sample_chunk (device_id, quantity_id, start_us, end_us, count,
                                          gateway_times, channels, sample_values)
                VALUES (99, 1, 0, 0, 1, X'00', X'01', X'000000000000F83F')
                """)
        }
        #expect {
            try store.forEachSample(SampleQuery()) { _ in }
        } throws: { error in
            guard case .invalidStoredData(path, "query samples from", _) = error as? GatewayStoreError else { return false }
            return true
        }
    }

    @Test func descriptionsNameTheFileAndTheCode() {
        #expect(GatewayStoreError.cannotOpen(path: "/x/y.db", reason: "unable to open database file", sqliteCode: 14).description
                == "cannot open /x/y.db: unable to open database file (SQLite 14)")
        #expect(GatewayStoreError.sqlite(path: "/x/y.db", operation: "commit a batch to", code: 5, extendedCode: 5, message: "database is locked").description
                == "cannot commit a batch to /x/y.db: database is locked (SQLite 5)")
        #expect(GatewayStoreError.sqlite(path: "/x/y.db", operation: "commit a batch to", code: 10, extendedCode: 778, message: "disk I/O error").description
                == "cannot commit a batch to /x/y.db: disk I/O error (SQLite 10, extended 778)")
        #expect(!GatewayStoreError.notADatabase(path: "/x").isDiskFull)
    }
}
