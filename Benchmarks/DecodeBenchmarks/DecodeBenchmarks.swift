// The decode path from H4 bytes to typed samples, measured per notification (or per packet /
// event for the single-layer benchmarks): `scalingFactor` is the number of units one
// iteration processes, so the reported throughput is units per second and
// `mallocCountTotal` is mallocs per unit. Run with `make bench` (see ../README.md).
import Benchmark
import BLEWire
import DecodePath

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        scalingFactor: .kilo, // = unitsPerIteration
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )
    precondition(BenchmarkScalingFactor.kilo.rawValue == unitsPerIteration)
    let fixture = DecodeFixture.make()

    decodeBenchmark("H4 -> samples: heart rate notifications", fixture, stream: fixture.heartRateStream, readSize: nil)
    decodeBenchmark("H4 -> samples: insole notifications", fixture, stream: fixture.insoleStream, readSize: nil)
    decodeBenchmark("H4 -> samples: heart rate + insole, 256-byte reads", fixture, stream: fixture.mixedStream, readSize: 256)

    let framerState = StateBox(H4Framer())
    Benchmark("H4 framer alone: ACL packets") { benchmark in
        var packets = 0
        let stream = fixture.heartRateStream.span.bytes
        do throws(WireError) {
            try framerState.value.feed(stream) { (_, packet) throws(WireError) in
                packets &+= packet.byteCount
            }
        } catch {
            fatalError("framer: \(error)")
        }
        blackHole(packets)
    }

    Benchmark("HCI LE Advertising Report: parse + AD structures") { benchmark in
        let event = fixture.advertisingReportEvent.span.bytes
        var checksum = 0
        for _ in benchmark.scaledIterations {
            do throws(WireError) {
                checksum &+= try walkAdvertisingReport(event)
            } catch {
                fatalError("advertising report: \(error)")
            }
        }
        blackHole(checksum)
    }
}

func decodeBenchmark(_ name: String, _ fixture: DecodeFixture, stream: [UInt8], readSize: Int?) {
    let state = DecodeState()
    let expected = fixture.notificationCount
    Benchmark(name) { _ in
        let notifications: Int
        do throws(WireError) {
            notifications = try decode(stream.span.bytes, readSize: readSize, table: fixture.table,
                                       framer: &state.framer, reassembler: &state.reassembler,
                                       sink: &state.sink)
        } catch {
            fatalError("\(name): \(error)")
        }
        precondition(notifications == expected)
        blackHole(state.sink.sum)
    }
}

