// Fuzz target: H4 framing of a byte stream split into input-chosen reads, then every
// framed packet through the HCI command, event and ACL header parsers.
//
// Input: byte 0 chooses how the rest (the H4 stream) is cut into reads: its low 3 bits
// the largest read (1 to 4096 bytes), the rest a seed for the read sizes; 0 means one read.
import BLEWire
import FuzzSupport

private let largestRead = [1, 2, 3, 7, 16, 64, 300, 4096]

@main
enum H4HCIFuzzer {
    static func main() { runLibFuzzer(fuzzOne) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let control = input.first else { return 0 }
    let stream = input.span.bytes.extracting(1..<input.count)
    let count = stream.byteCount

    var framer = H4Framer(reservedCapacity: 0)
    var random = InputRandom(seed: UInt64(control >> 3))
    var position = 0
    var packets = 0
    while position < count {
        let read = control == 0 ? count : 1 + random.next(below: largestRead[Int(control & 7)])
        let end = min(position + read, count)
        do throws(WireError) {
            try framer.feed(stream.extracting(position..<end)) { (type, packet, offset) throws(WireError) in
                packets += 1
                // Offsets are stream offsets: the packet must lie inside what was fed so far.
                precondition(offset >= 0 && offset + packet.byteCount <= end, "H4 packet outside the stream")
                do throws(WireError) {
                    try parse(type, packet, base: offset, within: count)
                } catch {
                    checkOffset(error, within: count, "HCI packet")
                    throw error // the framer reports the first one after the read
                }
            }
        } catch {
            checkOffset(error, within: count, "H4 feed")
        }
        position = end
    }
    precondition(framer.streamOffset == count, "the framer must consume every byte fed")
    precondition(framer.discardedByteCount <= count)
    return 0
}

private func parse(_ type: HCIPacketType, _ packet: RawSpan, base: Int, within count: Int) throws(WireError) {
    switch type {
    case .command:
        let command = try HCICommand(parsing: packet, base: base)
        var writer = ByteWriter()
        command.encode(into: &writer)
    case .event:
        let event = try HCIEvent(parsing: packet, base: base)
        var writer = ByteWriter()
        event.encode(into: &writer, copyingFrom: packet)
        walk(event, packet, base: base, within: count)
    case .aclData:
        let header = try ACLDataHeader(parsing: packet, base: base)
        precondition(header.payload.upperBound <= packet.byteCount, "ACL payload range outside the packet")
        _ = packet.extracting(header.payload)
    case .synchronousData, .isoData:
        break
    }
}

/// Walks what an event refers to by range. The parse framed those ranges whole, so
/// walking them over the same packet must not throw: a throw here is a bug, and traps.
/// (Return parameters are checked only on `decode`, so those may throw.)
private func walk(_ event: HCIEvent, _ packet: RawSpan, base: Int, within count: Int) {
    do throws(WireError) {
        try walkRanges(event, packet, base: base, within: count)
    } catch {
        fatalError("walking a parsed HCI event threw: \(error) (event \(event))")
    }
}

private func walkRanges(_ event: HCIEvent, _ packet: RawSpan, base: Int, within count: Int) throws(WireError) {
    switch event {
    case .commandComplete(let complete):
        precondition(complete.returnParameters.upperBound <= packet.byteCount)
        do { _ = try complete.decode(LocalVersionInformation.self, in: packet, base: base) } catch { checkOffset(error, within: count) }
        do { _ = try complete.decode(LocalSupportedFeatures.self, in: packet, base: base) } catch { checkOffset(error, within: count) }
        do { _ = try complete.decode(LELocalSupportedFeatures.self, in: packet, base: base) } catch { checkOffset(error, within: count) }
        do { _ = try complete.decode(LocalBDAddress.self, in: packet, base: base) } catch { checkOffset(error, within: count) }
        do { _ = try complete.decode(BufferSize.self, in: packet, base: base) } catch { checkOffset(error, within: count) }
        do { _ = try complete.decode(LEBufferSize.self, in: packet, base: base) } catch { checkOffset(error, within: count) }
    case .numberOfCompletedPackets(let completed):
        try completed.forEach(in: packet, base: base) { (_, _) throws(WireError) in }
    case .leAdvertisingReport(let reports):
        try reports.forEach(in: packet, base: base) { (report, data) throws(WireError) in
            walkAdvertisingData(data, base: base + report.data.lowerBound, within: count)
        }
    case .leExtendedAdvertisingReport(let reports):
        try reports.forEach(in: packet, base: base) { (report, data) throws(WireError) in
            walkAdvertisingData(data, base: base + report.data.lowerBound, within: count)
        }
    default:
        break
    }
}
