extension GatewayStore {
    /// How a store file is opened.
    public struct Options: Sendable, Equatable {
        /// What a committed batch survives.
        ///
        /// Both settings survive a crash of the process (kill -9): a commit is in the
        /// operating system's hands once ``GatewayStore/commit(_:)`` returns. They differ
        /// on power loss or a kernel crash. Neither ever leaves a damaged file: SQLite's
        /// write-ahead log replays or discards whole transactions.
        public enum Durability: Sendable, Equatable {
            /// `PRAGMA synchronous = FULL`: the write-ahead log is flushed to the disk
            /// (fsync) at every commit. Power loss loses only what was not committed yet:
            /// the batch still in memory, i.e. at most one commit interval. Costs one
            /// fsync per commit, which is why the gateway commits in batches.
            case full
            /// `PRAGMA synchronous = NORMAL`: the log is flushed only before each
            /// checkpoint (by default every ~1000 pages, about 4 MB of log). Power loss
            /// can roll back every commit since the last checkpoint, not just the last
            /// interval. For tests, benchmarks, and data that can be regenerated.
            case normal
        }

        /// See ``Durability``; ``Durability/full`` by default because the gateway
        /// promises that only the current commit interval can be lost.
        public var durability: Durability = .full

        /// Opens without writing anything: for `gaitway query` next to a running
        /// gateway. The file must exist and have the current schema; ``GatewayStore/commit(_:)``
        /// then fails.
        public var readOnly = false

        /// A cap on the database file's size in bytes (rounded down to whole pages), so
        /// a long outage of the uplink cannot fill the board's disk; commits beyond it
        /// fail with ``GatewayStoreError/diskFull(path:operation:)`` as a full disk would.
        /// Nil: no cap but the disk.
        public var maximumSizeBytes: Int64?

        /// How long an operation waits for another process holding the database's
        /// write lock (or finishing a checkpoint) before it fails with "database is
        /// locked" (SQLite 5).
        public var busyTimeoutSeconds: Double = 5

        /// The defaults: read-write, ``Durability/full``, no size cap, 5 s busy timeout.
        public init() {}

        /// Options with the given settings; the rest as in ``init()``.
        public init(durability: Durability = .full, readOnly: Bool = false, maximumSizeBytes: Int64? = nil) {
            self.durability = durability
            self.readOnly = readOnly
            self.maximumSizeBytes = maximumSizeBytes
        }
    }
}
