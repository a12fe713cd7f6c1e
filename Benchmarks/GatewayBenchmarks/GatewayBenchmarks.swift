// The gateway pipeline, from H4 bytes to committed SQLite rows: a `CentralHost` reading
// H4 from its transport (framing, ACL, L2CAP, ATT), `GatewayIngest` decoding each Heart
// Rate Measurement with its Protocols spec into samples (heart rate + one RR interval)
// plus the raw payload, and `GatewayStore` committing them in one transaction per
// iteration (WAL, synchronous=NORMAL, a file in the temporary folder).
//
// Set-up (not measured): one simulated wristband behind the in-process virtual controller
// on simulated time, until the host has discovered it and subscribed. Then the transport
// is switched to a flood of prebuilt notifications on that link's Heart Rate Measurement
// handle, 4,096 per 64 KiB read, and each iteration pushes 100,000 through and commits.
//
// Custom metric: `notifications/s` (to committed rows). Run with `make bench`.
//
// The second benchmark is about storage, not speed: `gym-100` (196 devices) simulated
// offline for 60 s into a capture (set-up), that capture replayed into a new database as
// `gaitway gateway --hci btsnoop:FILE` does, the store closed (WAL checkpointed), and the
// database file's size divided by the samples stored: `bytes/sample ×1000` (target 3,000).
import BLEHost
import BLEWire
import Benchmark
import DeviceSim
import Foundation
import GatewayPipeline
import GatewayStore
import ProtocolSpecs

let benchmarksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let scenarios = benchmarksFolder.appendingPathComponent("Scenarios").path
let throughput = BenchmarkMetric.custom("notifications/s", polarity: .prefersLarger, useScalingFactor: false)
let storedBytes = BenchmarkMetric.custom("bytes/sample ×1000", polarity: .prefersSmaller, useScalingFactor: false)

/// gym-100 for 60 simulated seconds as a btsnoop capture (made once per process).
func gym100Capture(catalog: ProtocolCatalog) throws -> [UInt8] {
    let path = NSTemporaryDirectory() + "gaitway-bench-gym100-\(getpid()).btsnoop"
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard let file = ScenarioLoader.locate("gym-100") else { fatalError("no gym-100 scenario") }
    let scenario = try Scenario.load(file: file, options: .init(catalog: catalog), duration: 60)
    let simulation = try Simulation(scenario: scenario, catalog: catalog)
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try OfflineRun(simulation: simulation, captureFile: handle).run(duration: 60)
    try handle.close()
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// The simulator's transport for set-up, then as many prebuilt notification reads as
/// `floods` says, each returning the same buffer.
final class FloodTransport: HCITransport {
    let setup: VirtualControllerTransport
    var flood: [UInt8] = []
    var floods = 0

    init(setup: VirtualControllerTransport) { self.setup = setup }

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        guard floods > 0 else { return try setup.read(into: buffer, timeout: timeout) }
        floods -= 1
        let count = min(buffer.count, flood.count)
        flood.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) { try setup.write(bytes) }
    func close() { setup.close() }
}

/// H4 ACL packets, each a whole Handle Value Notification (Vol 3, Part F, §3.4.7.1) of a
/// Heart Rate Measurement with flags 0x10 (8-bit rate, one RR interval): 16 bytes each.
func notifications(handle: UInt16, valueHandle: UInt16, count: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count * 16)
    for index in 0..<count {
        let rate = UInt8(60 + index % 90)
        let rr = UInt16(600 + index % 400)
        let att: [UInt8] = [0x1B, UInt8(valueHandle & 0xFF), UInt8(valueHandle >> 8), 0x10, rate,
                            UInt8(rr & 0xFF), UInt8(rr >> 8)]
        bytes += [0x02, UInt8(handle & 0xFF), UInt8(handle >> 8), UInt8(att.count + 4), 0x00,
                  UInt8(att.count), 0x00, 0x04, 0x00] + att
    }
    return bytes
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 30
    )

    Benchmark("pipeline: H4 -> decode -> SQLite commit, heart rate + RR, 100k notifications",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, throughput])) { benchmark in
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: scenarios + "/one-wristband.yaml", options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        let transport = FloodTransport(setup: simulation.virtualControllerTransport(pace: .virtual))
        let path = NSTemporaryDirectory() + "gaitway-bench-\(getpid()).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try GatewayStore(path: path)
        let ingest = GatewayIngest(catalog: catalog, store: store, commitInterval: .infinity)
        let epoch = simulation.epoch
        let host = CentralHost(transport: transport, configuration: CentralConfiguration(wantedServices: [.heartRateService]),
                               clock: { epoch + transport.setup.now })
        host.delegate = ingest
        host.wantsSubscription = { ingest.wantsSubscription($0) }
        var ready = false
        try host.run(until: epoch + 10) {
            ready = host.peers.first.flatMap { host.valueHandle(of: .heartRateMeasurement, connection: $0.handle) } != nil
                && ingest.statistics.values > 2
            return ready
        }
        guard ready, let peer = host.peers.first,
              let valueHandle = host.valueHandle(of: .heartRateMeasurement, connection: peer.handle) else {
            fatalError("the wristband was not discovered and subscribed within 10 simulated seconds")
        }
        transport.flood = notifications(handle: peer.handle.rawValue, valueHandle: valueHandle.rawValue, count: 4096)
        let perIteration = 100_000
        let reads = perIteration / 4096 + 1
        let before = ingest.statistics.values
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        transport.floods = reads
        try host.run { transport.floods == 0 }
        try ingest.commit(at: 0)
        let wall = ContinuousClock.now - start
        benchmark.stopMeasurement()
        let delivered = ingest.statistics.values - before
        precondition(delivered >= perIteration, "only \(delivered) notifications reached the ingest")
        let (whole, attoseconds) = wall.components
        benchmark.measurement(throughput, Int(Double(delivered) / (Double(whole) + Double(attoseconds) * 1e-18)))
    }

    Benchmark("store: gym-100 60 s replayed, bytes per stored sample",
              configuration: .init(metrics: [.wallClock, storedBytes], maxDuration: .seconds(600), maxIterations: 1)) { benchmark in
        let catalog = try ProtocolCatalog.bundled()
        let capture = try gym100Capture(catalog: catalog)
        let path = NSTemporaryDirectory() + "gaitway-bench-store-\(getpid()).db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        benchmark.startMeasurement()
        let store = try GatewayStore(path: path, options: .init(durability: .normal))
        try CaptureReplay(ingest: GatewayIngest(catalog: catalog, store: store)).replay(capture: capture)
        let samples = try store.counts().samples
        try store.close()
        benchmark.stopMeasurement()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        precondition(samples > 1_000_000, "only \(samples) samples stored")
        print("gym-100 60 s: \(samples) samples in \(size) bytes (capture \(capture.count) bytes)")
        benchmark.measurement(storedBytes, size * 1000 / samples)
    }
}
