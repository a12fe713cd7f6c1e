extension HCIEvent {
    /// HCI_Number_Of_Completed_Packets (Core Specification v5.4, Vol 4, Part E, §7.7.19):
    /// ACL buffer credits returned to the host, per connection.
    ///
    /// ```
    /// +-----------------+-----------------------------------------------------+
    /// | Num_Handles (1) | entry[i]: Connection_Handle (2), Num_Completed (2)  |
    /// +-----------------+-----------------------------------------------------+
    /// ```
    /// Entries are interleaved per handle (as controllers send them and BlueZ, Zephyr and
    /// Bumble read them). They stay in the packet: `entries` is their range and `forEach`
    /// walks them without allocating.
    public struct NumberOfCompletedPackets: Equatable, Sendable {
        public static let code: UInt8 = 0x13
        public static let entrySize = 4

        /// Num_Handles.
        public var count: Int
        /// Where the entries lie within the event packet.
        public var entries: Range<Int>

        public init(count: Int, entries: Range<Int>) {
            self.count = count
            self.entries = entries
        }

        /// Reads the parameters; `cursor` spans the whole event packet.
        init(parsing cursor: inout ByteCursor) throws(WireError) {
            count = Int(try cursor.readUInt8("Num_Handles"))
            let start = cursor.position
            try cursor.skip(count &* Self.entrySize, "Num_Handles entries")
            entries = start..<cursor.position
        }

        /// Calls `body` with each (connection handle, completed packets) pair.
        /// `packet` is the event packet this value was parsed from.
        public func forEach(in packet: RawSpan, base: Int = 0,
                            _ body: (_ connectionHandle: ConnectionHandle, _ completedPackets: UInt16) throws(WireError) -> Void) throws(WireError) {
            var cursor = try HCIEvent.cursor(over: entries, in: packet, base: base, "Number_Of_Completed_Packets entries")
            for _ in 0..<count {
                let handle = try cursor.readConnectionHandle()
                let completed = try cursor.readUInt16("Num_Completed_Packets")
                try body(handle, completed)
            }
        }

        /// Appends an event packet with these (handle, completed) pairs (at most 63 fit).
        public static func encode(_ pairs: [(connectionHandle: ConnectionHandle, completedPackets: UInt16)],
                                  into writer: inout ByteWriter) {
            writer.writeEvent(code: code) { writer in
                writer.write(UInt8(truncatingIfNeeded: pairs.count))
                for pair in pairs {
                    writer.write(pair.connectionHandle)
                    writer.write(pair.completedPackets)
                }
            }
        }
    }
}
