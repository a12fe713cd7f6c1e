// swift-tools-version: 6.2
import PackageDescription

// Non-escapable parsing cursors over `RawSpan` need lifetime annotations (`@_lifetime`).
let lifetimes: [SwiftSetting] = [.enableExperimentalFeature("Lifetimes")]

// No unsafeFlags here: packages that depend on ours could not build it. The simulator's
// release build turns off run-time exclusivity checks from the command line instead (the
// Makefile's `build` and `bench`: -Xswiftc -enforce-exclusivity=unchecked; Benchmarks/README.md).

let package = Package(
    name: "Gaitway",
    platforms: [.macOS(.v26)],
    products: [
        .executable(name: "gaitway", targets: ["Gaitway"]),
        .library(name: "BLEWire", targets: ["BLEWire"]),
        .library(name: "ProtocolSpecs", targets: ["ProtocolSpecs"]),
        .library(name: "Dissector", targets: ["Dissector"]),
        .library(name: "BLEHost", targets: ["BLEHost"]),
        .library(name: "DeviceSim", targets: ["DeviceSim"]),
        .library(name: "WearMetrics", targets: ["WearMetrics"]),
        .library(name: "GatewayStore", targets: ["GatewayStore"]),
        .library(name: "GatewayPipeline", targets: ["GatewayPipeline"]),
        .library(name: "UploadFormat", targets: ["UploadFormat"]),
        .library(name: "Collector", targets: ["Collector"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Zero-copy codecs: depends on nothing but the standard library.
        .target(name: "BLEWire", swiftSettings: lifetimes),
        // Protocols/*.yaml -> validated, compiled layouts run by BLEWire's interpreter.
        .target(name: "ProtocolSpecs", dependencies: ["BLEWire", "Yams"], swiftSettings: lifetimes),
        // libbluetooth (Debian libbluetooth-dev): the BlueZ socket structures and constants.
        .systemLibrary(name: "CBlueZ", pkgConfig: "bluez", providers: [.apt(["libbluetooth-dev"])]),
        // HCI host stack: transports (POSIX sockets, serial, BlueZ), central and peripheral roles.
        .target(name: "BLEHost", dependencies: ["BLEWire", "CBlueZ"], swiftSettings: lifetimes),
        // Device physiology and firmware models, scenarios, virtual controller (issue 3).
        // GNU sincos for the gait model (Swift's Glibc does not import it).
        .target(name: "CSinCos"),
        .target(name: "DeviceSim", dependencies: ["BLEWire", "BLEHost", "ProtocolSpecs", "CSinCos"],
                swiftSettings: lifetimes),
        // Stateful capture decoding (connections, GATT discovery, handle -> UUID), as tshark does.
        .target(name: "Dissector", dependencies: ["BLEWire", "ProtocolSpecs"], swiftSettings: lifetimes),
        // Streaming wearable metrics and device clock alignment: nothing of ours but numbers.
        .target(name: "WearMetrics", exclude: ["Gait/README.md", "Gait/IMU/README.md", "Cardio/README.md"], swiftSettings: lifetimes),
        // SQLite (GRDB on the system libsqlite3): raw payloads and decoded samples.
        .target(
            name: "GatewayStore",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: lifetimes
        ),
        // zlib (Debian zlib1g-dev): deflate/gzip for upload batches.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The upload batch wire format that the gateway's uplink writes and the collector reads:
        // the only thing the two share (ARCHITECTURE.md), so it depends on nothing else of ours.
        .target(name: "UploadFormat", dependencies: ["CZlib"], swiftSettings: lifetimes),
        // The collector: HTTP ingest of upload batches, the reader and FHIR APIs, its OpenAPI
        // document (Hummingbird 2), tenants and tokens, SQLite (GRDB) or PostgreSQL (postgres-nio) storage.
        .target(
            name: "Collector",
            dependencies: [
                "UploadFormat", "Yams",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: lifetimes
        ),
        // The gateway as services: BLE ingest on its own thread -> typed ingest stages (decode,
        // device clock fit, fan-out) -> store commits; knows nothing of the simulator.
        .target(
            name: "GatewayPipeline",
            dependencies: [
                "BLEWire", "BLEHost", "ProtocolSpecs", "WearMetrics", "GatewayStore", "Dissector", "UploadFormat",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: lifetimes
        ),
        .executableTarget(
            name: "Gaitway",
            dependencies: [
                "BLEWire", "ProtocolSpecs", "Dissector", "BLEHost", "DeviceSim", "GatewayPipeline", "GatewayStore",
                "WearMetrics", "Collector", .product(name: "ArgumentParser", package: "swift-argument-parser"), "Yams",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: lifetimes
        ),
        // What the test targets share (as Hummingbird's HummingbirdTesting): the Bumble harness,
        // child processes, free loopback ports, the reference tools and the seeded generator.
        .target(name: "GaitwayTestSupport", dependencies: ["BLEHost"], path: "Tests/GaitwayTestSupport",
                swiftSettings: lifetimes),
        .testTarget(name: "BLEWireTests", dependencies: ["BLEWire", "GaitwayTestSupport"], swiftSettings: lifetimes),
        .testTarget(name: "ProtocolSpecsTests", dependencies: ["ProtocolSpecs", "GaitwayTestSupport"],
                    swiftSettings: lifetimes),
        .testTarget(name: "BLEHostTests", dependencies: ["BLEHost", "GaitwayTestSupport"], swiftSettings: lifetimes),
        .testTarget(name: "DeviceSimTests", dependencies: ["DeviceSim", "Dissector", "WearMetrics", "GaitwayTestSupport"],
                    swiftSettings: lifetimes),
        .testTarget(name: "WearMetricsTests", dependencies: ["WearMetrics", "GaitwayTestSupport"], swiftSettings: lifetimes),
        .testTarget(name: "GatewayStoreTests", dependencies: ["GatewayStore", "GaitwayTestSupport"],
                    swiftSettings: lifetimes),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "GatewayPipeline", "DeviceSim", "Dissector", "BLEHost", "GatewayStore", "WearMetrics", "GaitwayTestSupport",
                "Collector", "UploadFormat",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: lifetimes
        ),
        .testTarget(
            name: "DissectorTests",
            dependencies: ["Dissector", "GaitwayTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: lifetimes
        ),
        .testTarget(name: "UploadFormatTests", dependencies: ["UploadFormat", "GaitwayTestSupport"],
                    swiftSettings: lifetimes),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "Collector", "UploadFormat", "GaitwayTestSupport", "BLEHost",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: lifetimes
        ),
        // The `gaitway` command line as users meet it: the built executable's exit status,
        // messages and files (an executable target cannot be imported), and the time parser.
        .testTarget(name: "GaitwayCLITests", dependencies: ["Dissector", "GatewayStore", "UploadFormat", "GaitwayTestSupport"],
                    swiftSettings: lifetimes),
    ]
)
