// swift-tools-version: 6.2
// libFuzzer targets for Gaitway's parsers, kept out of the main package because every
// module here is built with `-sanitize=fuzzer`. Run with `make fuzz` (Fuzz/run.sh).
import Foundation
import PackageDescription

// The root package's identity is its folder's name, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let gaitway = root.lastPathComponent

let lifetimes: [SwiftSetting] = [.enableExperimentalFeature("Lifetimes")]

/// One executable per fuzz target. Its `@main` hands the process to libFuzzer
/// (`LLVMFuzzerRunDriver`, linked in by `-sanitize=fuzzer`): SwiftPM renames an
/// executable's `main` on Linux, so libFuzzer's own `main` cannot be used.
func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: gaitway) },
        swiftSettings: lifetimes
    )
}

let package = Package(
    name: "GaitwayFuzz",
    platforms: [.macOS(.v26)],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CLibFuzzer", .product(name: "BLEWire", package: gaitway)],
            swiftSettings: lifetimes
        ),
        fuzzTarget("FuzzH4HCI", ["BLEWire"]),
        fuzzTarget("FuzzL2CAPATT", ["BLEWire"]),
        fuzzTarget("FuzzPayloadSpec", ["BLEWire", "ProtocolSpecs"]),
        fuzzTarget("FuzzBTSnoopAD", ["BLEWire"]),
        fuzzTarget("FuzzCentralHost", ["BLEWire", "BLEHost"]),
        fuzzTarget("FuzzUploadBatch", ["UploadFormat"]),
    ]
)
