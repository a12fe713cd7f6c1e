// The collector's storage paths (issue 13's targets):
//
// - ingest: a gzip upload batch of 100,000 samples (an insole's 8 cells at 100 Hz and a
//   wristband's heart rate, as `quickstart` uploads them) inflated, decoded and stored into
//   SQLite (a file in the temporary folder, WAL), one new batch id per iteration, as
//   `POST /v1/ingest` does after authentication. Custom metric `samples/s` (target
//   1,000,000 on one core: the ingest runs on GRDB's one writer thread).
// - the same ingest into PostgreSQL (target 300,000 samples/s), when GAITWAY_BENCH_POSTGRES
//   names an empty database: `tools/bench_postgres.sh` starts a throwaway PostgreSQL 15
//   cluster (fsync on) on loopback, runs this target with its URL and removes it.
// - query: one device-day of metric records (a stride every 1.1 s over 8 hours of walking:
//   26,182 stride_time records, and 288 five-minute windows of 6 HRV metrics), read back as
//   `GET /v1/metrics?device=&metric=stride_time&from=&to=` (10,000 records, the page's
//   maximum) and as 5-minute buckets of every metric. Target: p99 20 ms. The page also
//   through the reader API: a live collector on loopback, JSON, AsyncHTTPClient.
//
// - drain: an hour of `quickstart`'s samples as the gateway stores them (two insoles'
//   8 cells, 3 acceleration and 3 angular velocity axes at 100 Hz, two wristbands' heart rate
//   and RR: 10,094,400 samples; committed once a second, set-up) uploaded by the gateway's UplinkService to an in-process collector on
//   loopback until the store's backlog is empty. Custom metric `samples/s` over the drain
//   (target: 10 M in 30 s, i.e. 333,000/s).
//
// Run with `make bench` (or `swift package benchmark --target CollectorBenchmarks` in
// Benchmarks/).
import AsyncHTTPClient
import Benchmark
import Collector
import Foundation
import GatewayPipeline
import GatewayStore
import Logging
import ServiceLifecycle
import UploadFormat

let ingestRate = BenchmarkMetric.custom("samples/s", polarity: .prefersLarger, useScalingFactor: false)
let day: Int64 = 1_764_028_800_000_000  // 2025-11-25T00:00:00Z, µs

/// 100,000 samples: 12,500 instants of an insole's 8 cells (100 Hz: 125 s), and a heart rate
/// a second, both starting at `start`.
func quickstartBatch(id: String, start: Int64) throws -> UploadBatch {
    var batch = try UploadBatch(id: id, gatewayID: "bench")
    var time = start
    for step in 0..<12_500 {
        for cell in 0..<8 {
            batch.appendSample(address: "D2:EE:5A:DE:B3:1A", quantity: "plantar_force", unit: "N", channel: Int32(cell),
                               timeMicros: time, value: Double((step * 7 + cell * 13) % 900) / 10)
        }
        if step % 100 == 0 {
            batch.appendSample(address: "C1:4D:AE:E4:8F:BD", quantity: "heart_rate", unit: "bpm", channel: -1,
                               timeMicros: time, value: Double(60 + step % 40))
        }
        time += 10_000
    }
    return batch
}

/// Different gzip bodies (batch ids and times) per iteration, made before the measurement.
func gzipBatches(_ benchmark: Benchmark) throws -> [[UInt8]] {
    try benchmark.scaledIterations.map { index in
        let batch = try quickstartBatch(id: "b\(index)", start: day + Int64(index) * 125_000_000)
        return ContentCoding.gzip.encode(try batch.encoded())
    }
}

/// What `POST /v1/ingest` does after authentication, for each body: inflate, decode, store.
/// Measures the whole loop and records its samples/s.
func measureIngest(of bodies: [[UInt8]], into storage: some CollectorStorage, tenant: String,
                   _ benchmark: Benchmark) async throws {
    var stored = 0
    benchmark.startMeasurement()
    let start = ContinuousClock.now
    for body in bodies {
        let wire = try ContentCoding.gzip.decode(body, limit: CollectorConfiguration.maximumInflatedBytes)
        let batch = try UploadBatch(decoding: wire)
        guard try await storage.ingest(batch, tenant: tenant, receivedMicros: 0) == .stored else {
            fatalError("a new batch id was taken for a duplicate")
        }
        stored += batch.samples.count
    }
    let wall = ContinuousClock.now - start
    benchmark.stopMeasurement()
    let (whole, attoseconds) = wall.components
    benchmark.measurement(ingestRate, Int(Double(stored) / (Double(whole) + Double(attoseconds) * 1e-18)))
}

func temporaryDatabase(_ name: String) -> String {
    NSTemporaryDirectory() + "gaitway-bench-\(name)-\(getpid()).db"
}

let queryPath = temporaryDatabase("query")

func removeDatabase(_ path: String) {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 30
    )

    Benchmark("collector: ingest a 100k-sample gzip batch into SQLite",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, ingestRate])) { benchmark in
        let path = temporaryDatabase("ingest")
        defer { removeDatabase(path) }
        let storage = try SQLiteCollectorStorage(path: path)
        try await measureIngest(of: try gzipBatches(benchmark), into: storage, tenant: "bench", benchmark)
    }

    if let url = ProcessInfo.processInfo.environment["GAITWAY_BENCH_POSTGRES"] {
        Benchmark("collector: ingest a 100k-sample gzip batch into PostgreSQL",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal, ingestRate])) { benchmark in
            var logger = Logger(label: "bench")
            logger.logLevel = .error
            let storage = try PostgresCollectorStorage(url: url, logger: logger)
            try await storage.migrate()
            // A tenant of its own per run: the database outlives one run of the benchmark.
            let tenant = "bench-\(UInt32.random(in: 0...UInt32.max))"
            let bodies = try gzipBatches(benchmark)
            try await withThrowingTaskGroup(of: Void.self) { pool in
                pool.addTask { await storage.client.run() }
                try await measureIngest(of: bodies, into: storage, tenant: tenant, benchmark)
                pool.cancelAll()
            }
        }
    }

    // The day of records, stored once for both queries (and removed when the process ends).
    let queryStorage: SQLiteCollectorStorage? = {
        removeDatabase(queryPath)
        atexit { removeDatabase(queryPath) }
        guard let storage = try? SQLiteCollectorStorage(path: queryPath) else { return nil }
        var batch = try? UploadBatch(id: "day", gatewayID: "bench")
        var time = day + 8 * 3_600_000_000
        while time < day + 16 * 3_600_000_000 {
            batch?.appendMetricRecord(subjectKind: .device, subject: "D2:EE:5A:DE:B3:1A", metric: "stride_time", unit: "s",
                                      timeMicros: time, endMicros: nil, value: 1.1, quality: 0.9)
            time += 1_100_000
        }
        for window in 0..<288 {
            for metric in ["rmssd", "sdnn", "lf", "hf", "lf_hf", "mean_hr"] {
                batch?.appendMetricRecord(subjectKind: .device, subject: "D2:EE:5A:DE:B3:1A", metric: metric, unit: "ms",
                                          timeMicros: day + Int64(window) * 300_000_000,
                                          endMicros: day + Int64(window + 1) * 300_000_000, value: 40, quality: nil)
            }
        }
        let semaphore = DispatchSemaphore(value: 0)
        let ready = batch
        Task {
            if let ready { _ = try? await storage.ingest(ready, tenant: "bench", receivedMicros: 0) }
            semaphore.signal()
        }
        semaphore.wait()
        return storage
    }()

    Benchmark("collector: one device-day of stride_time records (10,000-record page)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxIterations: 200)) { benchmark in
        guard let storage = queryStorage else { fatalError("no query database") }
        for _ in benchmark.scaledIterations {
            let records = try await storage.metricRecords(
                MetricQuery(subjectKind: .device, subject: "D2:EE:5A:DE:B3:1A", metric: "stride_time",
                            fromMicros: day, toMicros: day + 86_400_000_000, limit: 10_000), tenant: "bench")
            precondition(records.count == 10_000)
            blackHole(records)
        }
    }

    Benchmark("collector: one device-day of every metric in 5-minute buckets",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxIterations: 200)) { benchmark in
        guard let storage = queryStorage else { fatalError("no query database") }
        for _ in benchmark.scaledIterations {
            let buckets = try await storage.metricBuckets(
                MetricQuery(subjectKind: .device, subject: "D2:EE:5A:DE:B3:1A", fromMicros: day,
                            toMicros: day + 86_400_000_000), bucketMicros: 300_000_000, tenant: "bench")
            precondition(buckets.count > 288)
            blackHole(buckets)
        }
    }

    // What a health-service developer waits for: the same page through the reader API, a
    // live collector on loopback (Hummingbird), JSON and all, read with AsyncHTTPClient.
    Benchmark("collector: GET /v1/metrics, one device-day of stride_time (10,000 records, JSON)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(30),
                                   maxIterations: 200)) { benchmark in
        guard let storage = queryStorage else { fatalError("no query database") }
        var tokens = TokenRegistry()
        tokens.add(token: "reader", caller: Caller(tenant: "bench", role: .reader))
        let port = Int.random(in: 20_000..<60_000)
        let collector = try buildApplication(CollectorConfiguration(host: "127.0.0.1", port: port, storage: storage,
                                                                    tokens: tokens))
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let group = ServiceGroup(configuration: .init(services: [.init(service: collector)], logger: logger))
        let from = "2025-11-25T00:00:00Z", to = "2025-11-26T00:00:00Z"
        var request = HTTPClientRequest(
            url: "http://127.0.0.1:\(port)/v1/metrics?device=D2:EE:5A:DE:B3:1A&metric=stride_time&from=\(from)&to=\(to)&limit=10000")
        request.headers.add(name: "Authorization", value: "Bearer reader")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Until the collector listens (and a first request warms the connection).
            while (try? await client.execute(request, timeout: .seconds(5)).status) != .ok {
                try await Task.sleep(for: .milliseconds(20))
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let response = try await client.execute(request, timeout: .seconds(30))
                precondition(response.status == .ok)
                let body = try await response.body.collect(upTo: 64 << 20)
                precondition(body.readableBytes > 10_000 * 50)
                blackHole(body)
            }
            benchmark.stopMeasurement()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await client.shutdown()
    }

    Benchmark("uplink: drain an hour of quickstart to a collector on loopback",
              configuration: .init(metrics: [.wallClock, ingestRate], maxDuration: .seconds(600), maxIterations: 3)) { benchmark in
        let gatewayPath = temporaryDatabase("drain-gateway"), collectorPath = temporaryDatabase("drain-collector")
        defer { removeDatabase(gatewayPath); removeDatabase(collectorPath) }
        let store = try GatewayStore(path: gatewayPath, options: .init(durability: .normal))
        var total = 0
        for second in 0..<3600 {
            var batch = StoreBatch()
            let base = day + Int64(second) * 1_000_000
            for insole in ["D2:EE:5A:DE:B3:1A", "C9:06:E8:87:15:43"] {
                for step in 0..<100 {
                    let time = base + Int64(step) * 10_000
                    for cell in 0..<8 {
                        batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: nil,
                                           address: insole, quantity: "plantar_force", unit: "N", channel: cell,
                                           value: Double((second + step * 7 + cell * 13) % 900) / 10)
                    }
                    for axis in 0..<3 {
                        batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: nil, address: insole,
                                           quantity: "acceleration", unit: "m/s2", channel: axis,
                                           value: Double((step * 3 + axis * 5) % 200) / 10 - 10)
                        batch.appendSample(gatewayTimeMicros: time, deviceTimeMicros: nil, address: insole,
                                           quantity: "angular_velocity", unit: "deg/s", channel: axis,
                                           value: Double((step * 11 + axis * 7) % 5000) / 10 - 250)
                    }
                }
            }
            for band in ["C1:4D:AE:E4:8F:BD", "ED:9C:F4:86:CF:62"] {
                batch.appendSample(gatewayTimeMicros: base, deviceTimeMicros: nil, address: band, quantity: "heart_rate",
                                   unit: "bpm", channel: -1, value: Double(60 + second % 40))
                batch.appendSample(gatewayTimeMicros: base, deviceTimeMicros: nil, address: band, quantity: "rr_interval",
                                   unit: "s", channel: 0, value: 0.85)
            }
            total += batch.sampleCount
            try await store.commit(batch)
        }
        var tokens = TokenRegistry()
        tokens.add(token: "bench", caller: Caller(tenant: "bench", role: .gateway))
        let storage = try SQLiteCollectorStorage(path: collectorPath)
        let port = Int.random(in: 20_000..<60_000)
        let collector = try buildApplication(CollectorConfiguration(host: "127.0.0.1", port: port, storage: storage,
                                                                    tokens: tokens))
        var configuration = UplinkService.Configuration(url: "http://127.0.0.1:\(port)/v1/ingest", token: "bench",
                                                        gateway: "bench")
        configuration.pollInterval = .milliseconds(20)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let uplink = UplinkService(store: store, configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: collector), .init(service: uplink)],
                                                      logger: logger))
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while try !store.uplinkBacklog().isEmpty || store.uplinkState().pending != nil {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let wall = ContinuousClock.now - start
        benchmark.stopMeasurement()
        precondition(uplink.progress.current.deliveredSamples == total, "delivered \(uplink.progress.current.deliveredSamples) of \(total)")
        let (whole, attoseconds) = wall.components
        print("drained \(total) samples in \(wall)")
        benchmark.measurement(ingestRate, Int(Double(total) / (Double(whole) + Double(attoseconds) * 1e-18)))
    }
}
