extension HCIEvent {
    /// HCI_Command_Complete (Core Specification v5.4, Vol 4, Part E, §7.7.14): the answer to
    /// most commands, with the command's return parameters.
    ///
    /// ```
    /// +-------------------------+----------------+----------------------------------+
    /// | Num_HCI_Command_Packets | Command_Opcode | Return_Parameters (rest)         |
    /// |           (1)           |      (2)       | Status (1) + command-specific    |
    /// +-------------------------+----------------+----------------------------------+
    /// ```
    /// The return parameters stay in the packet: `returnParameters` is their range, and
    /// `decode(_:in:base:)` reads them as one of the `HCICommandReturnParameters` layouts.
    public struct CommandComplete: Equatable, Sendable {
        public static let code: UInt8 = 0x0E

        /// Commands the host may now send (flow-control credits).
        public var numHCICommandPackets: UInt8
        public var opcode: HCIOpcode
        /// The first return parameter, Status for every command that has return parameters
        /// (0x00 success, else an error code of Vol 1, Part F). `nil` when there are none, as
        /// for the credit-only opcode 0x0000.
        public var status: UInt8?
        /// Where the return parameters (Status included) lie within the event packet.
        public var returnParameters: Range<Int>

        public init(numHCICommandPackets: UInt8, opcode: HCIOpcode, status: UInt8?, returnParameters: Range<Int>) {
            self.numHCICommandPackets = numHCICommandPackets
            self.opcode = opcode
            self.status = status
            self.returnParameters = returnParameters
        }

        /// Reads the parameters; `cursor` spans the whole event packet, so ranges are relative to it.
        init(parsing cursor: inout ByteCursor) throws(WireError) {
            numHCICommandPackets = try cursor.readUInt8("Num_HCI_Command_Packets")
            opcode = HCIOpcode(rawValue: try cursor.readUInt16("Command_Opcode"))
            let start = cursor.position
            status = cursor.isAtEnd ? nil : try cursor.readUInt8("Status")
            _ = cursor.readRest()
            returnParameters = start..<cursor.position
        }

        /// Reads the return parameters as `R`, checking that `R` answers this opcode.
        ///
        /// Check `status` first: after an error a controller may send the Status alone, and
        /// decoding then throws `.truncated`.
        public func decode<R: HCICommandReturnParameters>(_ type: R.Type, in packet: RawSpan, base: Int = 0) throws(WireError) -> R {
            guard R.answers(opcode) else {
                throw WireError(.hci, .invalidValue(field: "Command_Opcode", value: Int(opcode.rawValue)), at: base &+ 3)
            }
            var outer = ByteCursor(packet, layer: .hci, base: base)
            try outer.skip(returnParameters.lowerBound, "Command Complete header")
            var cursor = try outer.readCursor(returnParameters.count, "Return_Parameters")
            _ = try cursor.readUInt8("Status")
            let value = try R(parsing: &cursor, opcode: opcode)
            try cursor.expectEnd()
            return value
        }

        /// Appends a Command Complete event packet with raw return parameters (Status first).
        public static func encode(numHCICommandPackets: UInt8 = 1, opcode: HCIOpcode,
                                  returnParameters: some Collection<UInt8>, into writer: inout ByteWriter) {
            writer.writeEvent(code: code) { writer in
                writer.write(numHCICommandPackets)
                writer.write(opcode.rawValue)
                writer.write(contentsOf: returnParameters)
            }
        }

        /// Appends a Command Complete event packet carrying only a Status (e.g. for HCI_Reset,
        /// or an error).
        public static func encode(numHCICommandPackets: UInt8 = 1, opcode: HCIOpcode, status: UInt8,
                                  into writer: inout ByteWriter) {
            encode(numHCICommandPackets: numHCICommandPackets, opcode: opcode, returnParameters: CollectionOfOne(status),
                   into: &writer)
        }

        /// Appends a Command Complete event packet answering `returning.opcode` with success
        /// (or `status`) and the typed return parameters.
        public static func encode(numHCICommandPackets: UInt8 = 1, status: UInt8 = 0x00,
                                  returning parameters: some HCICommandReturnParameters, into writer: inout ByteWriter) {
            writer.writeEvent(code: code) { writer in
                writer.write(numHCICommandPackets)
                writer.write(parameters.opcode.rawValue)
                writer.write(status)
                parameters.encode(into: &writer)
            }
        }
    }

    /// HCI_Command_Status (Core Specification v5.4, Vol 4, Part E, §7.7.15): the controller
    /// accepted (status 0x00) or refused a command whose outcome comes later in another event.
    ///
    /// ```
    /// +--------+-------------------------+----------------+
    /// | Status | Num_HCI_Command_Packets | Command_Opcode |
    /// |  (1)   |           (1)           |      (2)       |
    /// +--------+-------------------------+----------------+
    /// ```
    public struct CommandStatus: Equatable, Sendable {
        public static let code: UInt8 = 0x0F
        public static let parameterSize = 4

        public var status: UInt8
        public var numHCICommandPackets: UInt8
        public var opcode: HCIOpcode

        public init(status: UInt8, numHCICommandPackets: UInt8 = 1, opcode: HCIOpcode) {
            self.status = status
            self.numHCICommandPackets = numHCICommandPackets
            self.opcode = opcode
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            status = try cursor.readUInt8("Status")
            numHCICommandPackets = try cursor.readUInt8("Num_HCI_Command_Packets")
            opcode = HCIOpcode(rawValue: try cursor.readUInt16("Command_Opcode"))
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeEvent(code: Self.code) { writer in
                writer.write(status)
                writer.write(numHCICommandPackets)
                writer.write(opcode.rawValue)
            }
        }
    }
}
