// swift-tools-version: 6.2
// package-benchmark suites for Gaitway, kept out of the main package so that `make test`
// does not build the benchmark harness. Run with `make bench`.
import Foundation
import PackageDescription

// The root package's identity is its folder's name, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let gaitway = root.lastPathComponent

let package = Package(
    name: "GaitwayBenchmarks",
    platforms: [.macOS(.v26)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The decode path and its fixture, shared by the benchmarks and the profiling driver.
        .target(
            name: "DecodePath",
            dependencies: [
                .product(name: "BLEWire", package: gaitway),
                .product(name: "ProtocolSpecs", package: gaitway),
            ],
            path: "DecodePath",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")]
        ),
        .executableTarget(
            name: "DecodeBenchmarks",
            dependencies: [
                "DecodePath",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BLEWire", package: gaitway),
            ],
            path: "DecodeBenchmarks",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The firmware simulator offline: × real time per device kind, devices per core.
        .executableTarget(
            name: "SimulatorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DeviceSim", package: gaitway),
                .product(name: "ProtocolSpecs", package: gaitway),
            ],
            path: "SimulatorBenchmarks",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The gateway pipeline: H4 bytes -> central host -> ingest -> committed SQLite rows.
        .executableTarget(
            name: "GatewayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BLEHost", package: gaitway),
                .product(name: "BLEWire", package: gaitway),
                .product(name: "DeviceSim", package: gaitway),
                .product(name: "GatewayPipeline", package: gaitway),
                .product(name: "GatewayStore", package: gaitway),
                .product(name: "ProtocolSpecs", package: gaitway),
            ],
            path: "GatewayBenchmarks",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The metrics per unit of input (insole frame, RR interval) and their allocations.
        .executableTarget(
            name: "MetricBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WearMetrics", package: gaitway),
            ],
            path: "MetricBenchmarks",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The collector's ingest into SQLite and its metric queries.
        .executableTarget(
            name: "CollectorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Collector", package: gaitway),
                .product(name: "UploadFormat", package: gaitway),
                .product(name: "GatewayPipeline", package: gaitway),
                .product(name: "GatewayStore", package: gaitway),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "CollectorBenchmarks",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // `valgrind --tool=callgrind` / `perf` driver: runs the decode path without the harness.
        // Not directly in this folder: the benchmark plugin runs every executable target
        // whose folder sits directly in a folder named Benchmarks.
        .executableTarget(
            name: "DecodeProfile",
            dependencies: ["DecodePath", .product(name: "BLEWire", package: gaitway)],
            path: "Tools/DecodeProfile",
            swiftSettings: [.enableExperimentalFeature("Lifetimes")]
        ),
        // The simulator's offline run alone, for callgrind (Tools/OfflineProfile/main.swift).
        .executableTarget(
            name: "OfflineProfile",
            dependencies: [
                .product(name: "DeviceSim", package: gaitway),
                .product(name: "ProtocolSpecs", package: gaitway),
            ],
            path: "Tools/OfflineProfile"
        ),
    ]
)
