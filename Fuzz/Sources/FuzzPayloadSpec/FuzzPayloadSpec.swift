// Fuzz target: the Protocols/ spec interpreter. Every spec of the repository's catalog
// is compiled once; each input picks one and is decoded by it into the JSON sink and the
// sample sink (and once more with field attribution, as `explain` does).
//
// Input: byte 0 selects the spec (modulo the number of specs, in catalog order); the
// rest is the payload, decoded with `base: 1` so error offsets are input offsets.
import BLEWire
import FuzzSupport
import ProtocolSpecs

@main
enum PayloadSpecFuzzer {
    static func main() {
        _ = programs // load before fuzzing starts, so its time and memory are not charged to an input
        runLibFuzzer(fuzzOne)
    }
}

/// The compiled programs of `Protocols/*.yaml`, in a stable order.
private let programs: [PayloadProgram] = {
    do {
        let catalog = try ProtocolCatalog.load(directories: [ProtocolCatalog.repositoryProtocolsDirectory])
        let specs = catalog.specs.sorted { $0.name < $1.name }
        precondition(!specs.isEmpty, "no specs in \(ProtocolCatalog.repositoryProtocolsDirectory)")
        return specs.map(\.program)
    } catch {
        fatalError("cannot load Protocols/: \(error)")
    }
}()

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let program = programs[Int(selector) % programs.count]
    let payload = input.span.bytes.extracting(1..<input.count)
    let count = input.count

    var json = JSONPayloadSink(program: program)
    do throws(WireError) {
        try program.decode(payload, into: &json, base: 1)
        _ = json.finish()
    } catch {
        checkOffset(error, within: count, "JSON sink")
    }

    var samples = PayloadSampleSink(program: program)
    var failingField: Int32 = -1
    do throws(WireError) {
        try program.decode(payload, into: &samples, base: 1, failingField: &failingField)
    } catch {
        checkOffset(error, within: count, "sample sink")
        precondition(failingField >= -1 && Int(failingField) < program.fields.count, "failing field out of range")
    }
    for sample in samples.samples {
        precondition(Int(sample.field) < program.fields.count, "sample names a field the program does not have")
    }
    return 0
}
