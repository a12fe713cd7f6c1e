// The simulator's offline run without the command line around it, for instruction counts
// that do not depend on what else the machine is doing:
//
//     cd Benchmarks
//     swift build -c release -Xswiftc -enforce-exclusivity=unchecked --product OfflineProfile
//     strip --strip-debug -o /tmp/op .build/release/OfflineProfile
//     valgrind --tool=callgrind --toggle-collect='$s14OfflineProfile8profiled_7secondsy9DeviceSim0A3RunC_SdtKF' /tmp/op \
//         Scenarios/one-insole.yaml 600 /tmp/one-insole.btsnoop
//
// Why not callgrind on `gaitway sim`: the command line is an async main (the gateway is a
// service group), and Debian 12's valgrind 3.19 dies in the first `rt_sigsuspend` that
// libdispatch's main queue makes on a constant signal mask (valgrind writes into the mask).
// With `--toggle-collect` only `profiled` (the OfflineRun, capture writes included) is counted,
// not loading the specs and the scenario. Arguments: scenario file, simulated seconds
// (default 600), capture path (default: none).
import DeviceSim
import Foundation
import ProtocolSpecs

let arguments = Array(CommandLine.arguments.dropFirst())
guard let file = arguments.first else {
    FileHandle.standardError.write(Data("usage: OfflineProfile SCENARIO.yaml [SECONDS [CAPTURE]]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 1 ? Double(arguments[1]) ?? 600 : 600
let catalog = try ProtocolCatalog.bundled()
let scenario = try Scenario.load(file: file, options: .init(catalog: catalog), duration: seconds)
let simulation = try Simulation(scenario: scenario, catalog: catalog)
var capture: FileHandle?
if arguments.count > 2 {
    FileManager.default.createFile(atPath: arguments[2], contents: nil)
    capture = try FileHandle(forWritingTo: URL(fileURLWithPath: arguments[2]))
}

/// The measured part.
@inline(never)
func profiled(_ run: OfflineRun, seconds: Double) throws {
    try run.run(duration: seconds)
}

let start = ContinuousClock.now
try profiled(OfflineRun(simulation: simulation, captureFile: capture), seconds: seconds)
try capture?.close()
print("\(file): \(seconds) s simulated in \(ContinuousClock.now - start) (wall clock, noisy on a shared machine)")
