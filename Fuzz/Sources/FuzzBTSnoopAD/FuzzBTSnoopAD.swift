// Fuzz target: the btsnoop reader over a whole file, each HCI event record parsed, and
// the AD structures of every advertising report iterated with every typed accessor.
//
// Input: a btsnoop file. An input without the btsnoop header is taken as raw AD data
// instead, so the AD iterator is also fuzzed without the framing around it.
import BLEWire
import FuzzSupport

@main
enum BTSnoopADFuzzer {
    static func main() { runLibFuzzer(fuzzOne) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let file = input.span.bytes
    let count = file.byteCount

    guard BTSnoopHeader.hasIdentificationPattern(file) else {
        walkAdvertisingData(file, base: 0, within: count)
        return 0
    }
    var reader: BTSnoopReader
    do throws(WireError) {
        reader = try BTSnoopReader(file: file)
    } catch {
        checkOffset(error, within: count, "btsnoop header")
        return 0
    }
    var records = 0
    do throws(WireError) {
        try reader.forEach(in: file) { (record, packet) throws(WireError) in
            records += 1
            precondition(record.offset >= 16 && record.endOffset <= count, "btsnoop record outside the file")
            precondition(record.packet.lowerBound >= record.offset && record.packet.upperBound <= record.endOffset,
                         "btsnoop packet outside its record")
            _ = record.unixTime
            guard record.packetType == .event else { return }
            parseEvent(packet, base: record.packet.lowerBound, within: count)
        }
    } catch {
        checkOffset(error, within: count, "btsnoop record")
    }
    precondition(records == reader.recordCount, "record count disagrees with the records delivered")
    return 0
}

private func parseEvent(_ packet: RawSpan, base: Int, within count: Int) {
    let event: HCIEvent
    do throws(WireError) {
        event = try HCIEvent(parsing: packet, base: base)
    } catch {
        checkOffset(error, within: count, "HCI event")
        return
    }
    // The reports were framed whole by the parse: walking them must not throw.
    do throws(WireError) {
        switch event {
        case .leAdvertisingReport(let reports):
            try reports.forEach(in: packet, base: base) { (report, data) throws(WireError) in
                _ = report.knownAddressType
                walkAdvertisingData(data, base: base + report.data.lowerBound, within: count)
            }
        case .leExtendedAdvertisingReport(let reports):
            try reports.forEach(in: packet, base: base) { (report, data) throws(WireError) in
                _ = report.dataStatus
                walkAdvertisingData(data, base: base + report.data.lowerBound, within: count)
            }
        default:
            break
        }
    } catch {
        fatalError("walking parsed advertising reports threw: \(error)")
    }
}
