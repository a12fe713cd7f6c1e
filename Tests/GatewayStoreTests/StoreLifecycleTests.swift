import Foundation
import Testing
@testable import GatewayStore

/// The async commit and what a clean close leaves on disk.
@Suite struct StoreLifecycleTests {
    @Test func asyncCommitWritesWhatTheSyncOneWould() async throws {
        let folder = try TemporaryFolder()
        let store = try GatewayStore(path: folder.path("async.db"))
        let samples = Dataset.samples
        try await store.commit(Dataset.batch(samples))
        try await store.commit(StoreBatch())
        #expect(try store.samples(SampleQuery()) == ChunkLayoutTests.referenceOrdered(samples))
        // Ids learnt by the async commit are cached: a second commit reuses the device rows.
        try await store.commit(Dataset.batch(samples))
        #expect(try store.devices().count == TestAddress.all.count)
        #expect(try store.samples(SampleQuery()).count == 2 * samples.count)
    }

    @Test func anAsyncCommitFailureIsTyped() async throws {
        let folder = try TemporaryFolder()
        let path = folder.path("ro.db")
        try GatewayStore(path: path).close()
        let store = try GatewayStore(path: path, options: .init(readOnly: true))
        await #expect(throws: GatewayStoreError.self) {
            try await store.commit(Dataset.batch(Dataset.samples))
        }
    }

    /// After close, the `.db` file copied alone holds every row.
    @Test func aCleanCloseLeavesEverythingInTheDatabaseFile() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store.db")
        let store = try GatewayStore(path: path)
        try store.commit(Dataset.batch(Dataset.samples))
        let expected = try store.samples(SampleQuery())
        // While open, the commit sits in the log.
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        try store.close()
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)

        let copy = folder.path("copy.db")
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let reopened = try GatewayStore(path: copy, options: .init(readOnly: true))
        #expect(try reopened.samples(SampleQuery()) == expected)
        #expect(expected.count == Dataset.samples.count)
    }
}
