// Fuzz target: the gateway's central host fed a controller's byte stream.
//
// A scripted controller answers the host's start-up commands with success (and zeroed
// return parameters), then hands the host the input as the H4 bytes the controller sends:
// events (advertising reports, connection completes, number of completed packets, ...)
// and ACL data (L2CAP, ATT responses, notifications, LE signalling) in any order and
// shape. The host may connect, discover, subscribe and answer; it must never trap, and its
// writes must stay well-formed H4.
//
// Input: byte 0 chooses how the rest is cut into reads (low 3 bits: the largest read, 1 to
// 4096 bytes; the rest a seed for the read sizes; 0: one read).
import BLEHost
import BLEWire
import FuzzSupport

private let largestRead = [1, 2, 3, 7, 16, 64, 300, 4096]

/// Answers every command at once with Command Complete, Status 0, then replays the stream.
private final class ScriptedController: HCITransport {
    var pending: [UInt8] = []
    var stream: [UInt8]
    var position = 0
    var random: InputRandom
    let largest: Int
    var time = 0.0
    var written = 0

    init(stream: [UInt8], control: UInt8) {
        self.stream = stream
        random = InputRandom(seed: UInt64(control >> 3))
        largest = control == 0 ? Int.max : largestRead[Int(control & 7)]
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        time += 0.01
        if !pending.isEmpty {
            let count = min(buffer.count, pending.count)
            pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            pending.removeFirst(count)
            return count
        }
        guard position < stream.count else { throw .closed }
        let read = largest == Int.max ? stream.count - position : 1 + random.next(below: largest)
        let count = min(read, stream.count - position, buffer.count)
        stream.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: count) }
        position += count
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        written += bytes.count
        var framer = H4Framer(reservedCapacity: 0)
        do throws(WireError) {
            try framer.feed(RawSpan(_unsafeBytes: bytes)) { (type: HCIPacketType, packet: RawSpan) throws(WireError) in
                precondition(type == .command || type == .aclData, "the host wrote a \(type) packet")
                guard type == .command else { return }
                // Command Complete (Vol 4, Part E, §7.7.14): one credit, the opcode, Status 0,
                // then zeros enough for any return parameters the host reads.
                let low = packet.unsafeLoad(fromByteOffset: 0, as: UInt8.self)
                let high = packet.unsafeLoad(fromByteOffset: 1, as: UInt8.self)
                pending += [0x04, 0x0E, 4 + 16, 0x01, low, high, 0x00] + [UInt8](repeating: 0, count: 16)
            }
        } catch {
            preconditionFailure("the host wrote malformed H4: \(error)")
        }
        precondition(framer.bufferedByteCount == 0, "the host wrote a partial packet")
    }

    func close() {}
}

@main
enum CentralHostFuzzer {
    static func main() { runLibFuzzer(fuzzOne) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let control = input.first else { return 0 }
    let controller = ScriptedController(stream: Array(input.dropFirst()), control: control)
    let host = CentralHost(transport: controller,
                           configuration: CentralConfiguration(wantedServices: [BluetoothUUID(0x180D)], connectTimeout: 0.5,
                                                               attTimeout: 1),
                           clock: { controller.time })
    do {
        try host.run(until: 1_000)
    } catch {
        // A transport or start-up failure is a clean stop; only traps are findings.
    }
    precondition(host.peers.count <= 0x0EFF)
    return 0
}
