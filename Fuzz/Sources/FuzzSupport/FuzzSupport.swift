// Shared by every fuzz target: the input copy and the one invariant all of them check.
import BLEWire
import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's input as an array: the only copy a target makes, so every parser below
/// works on spans of it exactly as it would on a capture or a transport read.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// The invariant of the wire stack for malformed input: it is *reported*, as a
/// `WireError` whose offset points into the input (0...count; `count` itself is where a
/// truncated read ran out). Anything else traps, so libFuzzer records the input as a crash.
@inline(never)
public func checkOffset(_ error: WireError, within count: Int, _ context: StaticString = "") {
    guard error.offset >= 0, error.offset <= count else {
        fatalError("WireError offset \(error.offset) outside 0...\(count) (\(context)): \(error)")
    }
    // Rendering the message must not trap either (it formats every reason's values).
    _ = error.description
}

/// A small deterministic generator (xorshift64*) for input-derived choices such as chunk
/// sizes: the same input always replays the same way.
public struct InputRandom {
    var state: UInt64

    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    public mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// A value in 0..<bound (bound > 0).
    public mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Iterates AD structures and calls every typed accessor on each, as a scanner would.
/// Errors are checked against `count` and swallowed: the caller goes on with the next report.
public func walkAdvertisingData(_ data: RawSpan, base: Int, within count: Int) {
    var iterator = ADStructureIterator(data, base: base)
    while true {
        let structure: ADStructure?
        do {
            structure = try iterator.next()
        } catch {
            checkOffset(error, within: count, "AD iterator")
            break
        }
        guard let structure else { break }
        do { _ = try structure.flags() } catch { checkOffset(error, within: count, "AD flags") }
        do { _ = try structure.txPowerLevel() } catch { checkOffset(error, within: count, "AD tx power") }
        do { _ = try structure.appearance() } catch { checkOffset(error, within: count, "AD appearance") }
        do { _ = try structure.advertisingInterval() } catch { checkOffset(error, within: count, "AD interval") }
        do { _ = try structure.leRole() } catch { checkOffset(error, within: count, "AD LE role") }
        do {
            try structure.forEachUUID { uuid throws(WireError) in _ = uuid.description }
            _ = try structure.uuidCount()
        } catch { checkOffset(error, within: count, "AD UUIDs") }
        do { _ = try structure.serviceData().uuid } catch { checkOffset(error, within: count, "AD service data") }
        do { _ = try structure.manufacturerData().companyID } catch { checkOffset(error, within: count, "AD manufacturer") }
        do { _ = try structure.localNameString() } catch { checkOffset(error, within: count, "AD local name") }
    }
    // The whole-buffer helpers walk the structures again, each on its own.
    let ad = AdvertisingData(data, base: base)
    do { _ = try ad.validate() } catch { checkOffset(error, within: count, "AD validate") }
    do { _ = try ad.flags() } catch { checkOffset(error, within: count, "AD flags()") }
    do { _ = try ad.localNameString() } catch { checkOffset(error, within: count, "AD localName()") }
    do { _ = try ad.manufacturerData()?.companyID } catch { checkOffset(error, within: count, "AD manufacturerData()") }
    do { _ = try ad.serviceData(for: BluetoothUUID(UInt16(0xFCD2)))?.uuid } catch { checkOffset(error, within: count, "AD serviceData(for:)") }
    do { try ad.forEachServiceUUID { uuid throws(WireError) in _ = uuid } } catch { checkOffset(error, within: count, "AD service UUIDs") }
}

/// What libFuzzer calls with each input.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer with the process's arguments and `callback`, then exits with its status.
public func runLibFuzzer(_ callback: FuzzCallback) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv, callback)
    exit(status)
}
