// swift-tools-version: 6.2
// libFuzzer targets for Gaitway's parsers, kept out of the main package because every
// module here is built with `-sanitize=fuzzer`. Run with `make fuzz` (Fuzz/run.sh).
import Foundation
import PackageDescription

// The root package's identity is its folder's name, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let gaitway = root.lastPathComponent

let lifetimes: [SwiftSetting] = [.enableExperimentalFeature("Lifetimes")]

/// One executable per fuzz target. No `main`: libFuzzer's runtime, linked in by
/// `-sanitize=fuzzer`, provides it and calls `LLVMFuzzerTestOneInput`.
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
        .target(name: "FuzzSupport", dependencies: [.product(name: "BLEWire", package: gaitway)], swiftSettings: lifetimes),
        fuzzTarget("FuzzH4HCI", ["BLEWire"]),
        fuzzTarget("FuzzL2CAPATT", ["BLEWire"]),
        fuzzTarget("FuzzPayloadSpec", ["BLEWire", "ProtocolSpecs"]),
        fuzzTarget("FuzzBTSnoopAD", ["BLEWire"]),
    ]
)
