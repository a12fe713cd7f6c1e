import Testing
@testable import BLEWire

@Suite struct L2CAPSignalingTests {
    /// Parses `hex`, checks the result, and checks that encoding gives the bytes back.
    @discardableResult
    private func roundTrip(_ hex: String, _ expected: LESignalingCommand) throws -> LESignalingCommand {
        let bytes = [UInt8](hex: hex)!
        let command = try LESignalingCommand(parsing: bytes.span.bytes)
        #expect(command == expected)
        var writer = ByteWriter()
        command.encode(into: &writer, source: bytes.span.bytes)
        #expect(writer.bytes == bytes)
        return command
    }

    // Vectors below: bytes(...) of the named Bumble 0.0.236 class (bumble/l2cap.py).

    @Test func connectionParameterUpdateRequest() throws {
        // L2CAP_Connection_Parameter_Update_Request(identifier=1, interval_min=6,
        //   interval_max=12, latency=0, timeout=400)
        let parameters = ConnectionParameters(intervalMin: 6, intervalMax: 12, peripheralLatency: 0, timeoutMultiplier: 400)
        try roundTrip("1201080006000c0000009001", .connectionParameterUpdateRequest(identifier: 1, parameters: parameters))
        #expect(parameters.validate() == nil)
        #expect(parameters.intervalMinSeconds == 0.0075)
        #expect(parameters.intervalMaxSeconds == 0.015)
        #expect(parameters.supervisionTimeoutSeconds == 4.0)
    }

    @Test func connectionParameterUpdateResponse() throws {
        // L2CAP_Connection_Parameter_Update_Response(identifier=1, result=0) and (2, result=1)
        try roundTrip("130102000000", .connectionParameterUpdateResponse(identifier: 1, result: .accepted))
        let rejected = try roundTrip("130202000100", .connectionParameterUpdateResponse(identifier: 2, result: .rejected))
        #expect(rejected.code == 0x13 && rejected.identifier == 2)
    }

    @Test func commandRejectAndDisconnection() throws {
        // L2CAP_Command_Reject(identifier=3, reason=0, data=b'')
        try roundTrip("010302000000", .commandReject(identifier: 3, reason: .commandNotUnderstood))
        // L2CAP_Disconnection_Request/Response(identifier=4, destination_cid=0x40, source_cid=0x41)
        try roundTrip("0604040040004100", .disconnectionRequest(identifier: 4, destinationCID: 0x40, sourceCID: 0x41))
        try roundTrip("0704040040004100", .disconnectionResponse(identifier: 4, destinationCID: 0x40, sourceCID: 0x41))
        // Reasons 1 and 2 carry data (Vol 3, Part A, §4.1, Table 4.4).
        try roundTrip("01050400 0100 1700", .commandReject(identifier: 5, reason: .signalingMTUExceeded(actualMTU: 23)))
        try roundTrip("01060600 0200 4000 4100", .commandReject(identifier: 6, reason: .invalidCID(localCID: 0x40, remoteCID: 0x41)))
    }

    @Test func unknownCodesAreKept() throws {
        // LE Flow Control Credit (0x16): CID 0x0040, 5 credits; not decoded here.
        let command = try roundTrip("16070400 4000 0500", .other(code: 0x16, identifier: 7, data: 4..<8))
        #expect(command.code == 0x16)
    }

    @Test func malformedCommands() {
        #expect(throws: WireError(.l2cap, .lengthMismatch(field: "signalling length", declared: 8, actual: 7), at: 12)) {
            _ = try parseHex(LESignalingCommand.self, "1201080006000c00000090", base: 10)
        }
        #expect(throws: WireError(.l2cap, .truncated(field: "result", needed: 2, available: 1), at: 4)) {
            _ = try parseHex(LESignalingCommand.self, "1301010000")
        }
        #expect(throws: WireError(.l2cap, .trailingBytes(count: 1), at: 6)) {
            _ = try parseHex(LESignalingCommand.self, "13010300000000")
        }
        #expect(throws: WireError(.l2cap, .truncated(field: "signalling code", needed: 1, available: 0), at: 0)) {
            _ = try parseBytes(LESignalingCommand.self, [])
        }
        // Every prefix of a valid command fails cleanly.
        let bytes = [UInt8](hex: "1201080006000c0000009001")!
        for count in 0..<bytes.count {
            #expect(throws: WireError.self) { _ = try parseBytes(LESignalingCommand.self, Array(bytes[0..<count])) }
        }
    }

    @Test func parameterValidation() {
        func check(_ min: UInt16, _ max: UInt16, _ latency: UInt16, _ timeout: UInt16) -> ConnectionParameters.Violation? {
            ConnectionParameters(intervalMin: min, intervalMax: max, peripheralLatency: latency, timeoutMultiplier: timeout).validate()
        }
        #expect(check(6, 3200, 0, 3200) == nil)
        #expect(check(5, 12, 0, 400) == .intervalMin)
        #expect(check(6, 3201, 0, 400) == .intervalMax)
        #expect(check(24, 12, 0, 400) == .intervalOrder)
        #expect(check(6, 12, 500, 3200) == .peripheralLatency)
        #expect(check(6, 12, 499, 3200) == nil)
        #expect(check(6, 12, 0, 9) == .timeoutMultiplier)
        #expect(check(6, 12, 0, 3201) == .timeoutMultiplier)
        // 100 ms timeout with a 40 ms interval and latency 1: 100 <= 2 x 40 x 2 = 160.
        #expect(check(32, 32, 1, 10) == .timeoutTooShortForLatency)
        // Exactly equal is not enough (the spec asks for "larger than").
        #expect(check(40, 40, 0, 10) == .timeoutTooShortForLatency)  // 100 ms == 1 x 50 ms x 2
        #expect(check(39, 39, 0, 10) == nil)
    }

    @Test func signallingRidesInABasicFrame() throws {
        // The whole C-frame: L2CAP header (length 12, CID 5) + the request above.
        let frame = [UInt8](hex: "0c000500 1201080006000c0000009001")!
        let header = try L2CAPBasicHeader(parsing: frame.span.bytes)
        #expect(header.channelID == .leSignaling)
        let command = try LESignalingCommand(parsing: frame.span.bytes.extracting(header.payload), base: header.payload.lowerBound)
        #expect(command.code == LESignalingCommand.Code.connectionParameterUpdateRequest)
    }
}
