// A small driver around the benchmarks' decode path, for instruction counts that do not
// depend on what else the machine is doing:
//
//     swift build -c release --product DecodeProfile
//     valgrind --tool=callgrind --toggle-collect='$s13DecodeProfile8profiledyS2iF' \
//         .build/release/DecodeProfile heart-rate 100
//
// (valgrind 3.19 cannot read the DWARF 5 of Swift 6.3 binaries: run it on a copy made with
// `strip --strip-debug`.)
// Arguments: the stream (heart-rate, insole, mixed; default heart-rate) and how many passes
// over its 1000 notifications (default 100). With `--toggle-collect` only `profiled` is
// counted (not building and checking the fixture), so Ir / (passes × 1000) is the
// instruction count per notification.
import BLEWire
import DecodePath

let arguments = CommandLine.arguments.dropFirst()
let which = arguments.first ?? "heart-rate"
let passes = arguments.dropFirst().first.flatMap { Int($0) } ?? 100

let fixture = DecodeFixture.make()
let stream: [UInt8]
let readSize: Int?
switch which {
case "heart-rate": stream = fixture.heartRateStream; readSize = nil
case "insole": stream = fixture.insoleStream; readSize = nil
case "mixed": stream = fixture.mixedStream; readSize = 256
default: fatalError("usage: DecodeProfile [heart-rate|insole|mixed] [passes]")
}

let state = DecodeState()

/// The measured part: `passes` decodes of the stream. Returns the notifications decoded.
@inline(never)
func profiled(_ passes: Int) -> Int {
    var total = 0
    for _ in 0..<passes {
        do throws(WireError) {
            total &+= try decode(stream.span.bytes, readSize: readSize, table: fixture.table,
                                 framer: &state.framer, reassembler: &state.reassembler, sink: &state.sink)
        } catch {
            fatalError("\(which): \(error)")
        }
    }
    return total
}

let clock = ContinuousClock()
let start = clock.now
let total = profiled(passes)
let elapsed = clock.now - start
let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
print("\(which): \(total) notifications, \(state.sink.values) values, sum \(state.sink.sum)")
print("\(nanoseconds / Double(total)) ns per notification (wall clock, noisy on a shared machine)")
