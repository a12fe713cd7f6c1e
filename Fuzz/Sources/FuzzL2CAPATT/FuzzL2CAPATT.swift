// Fuzz target: L2CAP reassembly of ACL fragments (interleaved connections, every
// Packet_Boundary_Flag), then each delivered PDU through the ATT parser (walking every
// list view) and the LE signalling parser.
//
// Input: byte 0 picks the reassembler's bound (bit 0: 68 bytes, else the default 65539).
// Then fragments, each `control, length, bytes...`: control bits 0-1 are the connection
// handle, bits 2-3 the boundary flag, bit 4 resets that connection first; `length` is
// cut to what is left of the input.
import BLEWire
import FuzzSupport

@main
enum L2CAPATTFuzzer {
    static func main() { runLibFuzzer(fuzzOne) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let configuration = input.first else { return 0 }
    let bytes = input.span.bytes
    let count = bytes.byteCount
    var reassembler = L2CAPReassembler(maximumPDUSize: configuration & 1 == 1 ? 68 : L2CAPReassembler.defaultMaximumPDUSize)

    var position = 1
    while position + 2 <= count {
        let control = input[position]
        let length = min(Int(input[position + 1]), count - position - 2)
        let start = position + 2
        position = start + length
        let handle = ConnectionHandle(UInt16(control & 0b11))
        let boundary = ACLPacketBoundary(rawValue: (control >> 2) & 0b11) ?? .continuing
        if control & 0x10 != 0 { reassembler.reset(handle: handle) }
        do throws(WireError) {
            try reassembler.push(handle: handle, boundary: boundary, fragment: bytes.extracting(start..<position),
                                 offset: start) { (frame) throws(WireError) in
                precondition(frame.connectionHandle == handle, "PDU delivered for another connection")
                precondition(frame.payloadOffset >= 4 && frame.payloadOffset + frame.payload.byteCount <= count,
                             "L2CAP payload offset outside the input")
                try parse(frame, within: count)
            }
        } catch {
            checkOffset(error, within: count, "L2CAP push")
        }
        _ = reassembler.isAssembling(handle: handle)
    }
    reassembler.resetAll()
    return 0
}

private func parse(_ frame: borrowing L2CAPFrame, within count: Int) throws(WireError) {
    let channel = frame.channelID
    if channel != .leSignaling {
        do throws(WireError) {
            let pdu = try ATTPDU(parsing: frame.payload, base: frame.payloadOffset)
            walkLists(pdu, frame.payload)
        } catch {
            checkOffset(error, within: count, "ATT parse")
        }
    }
    if channel != .att {
        do throws(WireError) {
            let command = try LESignalingCommand(parsing: frame.payload, base: frame.payloadOffset)
            var writer = ByteWriter()
            command.encode(into: &writer, source: frame.payload)
            if case .connectionParameterUpdateRequest(_, let parameters) = command { _ = parameters.validate() }
        } catch {
            checkOffset(error, within: count, "LE signalling parse")
        }
    }
}

/// Every list was framed whole when its PDU parsed, so walking it over the same bytes
/// must not throw (ATTLists.swift promises this): a throw here is a bug, so it traps.
private func walkLists(_ pdu: ATTPDU, _ bytes: RawSpan) {
    do throws(WireError) {
        switch pdu {
        case .findInformationResponse(let list):
            try list.forEach(in: bytes) { (_, uuid) throws(WireError) in _ = uuid.description }
        case .findByTypeValueResponse(let list):
            try list.forEach(in: bytes) { (_) throws(WireError) in }
        case .readByTypeResponse(let list):
            try list.forEach(in: bytes) { (_, value) throws(WireError) in _ = value.byteCount }
        case .readByGroupTypeResponse(let list):
            try list.forEach(in: bytes) { (_, value) throws(WireError) in _ = value.byteCount }
        case .readMultipleRequest(let set), .readMultipleVariableRequest(let set):
            try set.forEach(in: bytes) { (_) throws(WireError) in }
        case .readMultipleVariableResponse(let list):
            try list.forEach(in: bytes) { (_, value) throws(WireError) in _ = value.byteCount }
        case .multipleHandleValueNotification(let list):
            var seen = 0
            try list.forEach(in: bytes) { (_, _) throws(WireError) in seen += 1 }
            precondition(seen == list.count, "Multiple Handle Value Notification count disagrees with its walk")
        default:
            break
        }
    } catch {
        fatalError("walking a parsed ATT list threw: \(error) (PDU \(pdu))")
    }
    _ = pdu.opcode
}
