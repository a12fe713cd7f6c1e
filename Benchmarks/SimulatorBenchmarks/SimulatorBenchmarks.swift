// The firmware simulator, measured as `gaitway sim` runs it offline: scenario -> Simulation
// -> OfflineRun (as if a host had connected to every device and subscribed to everything;
// no capture file). Building the scenario and the simulation is not measured
// (`startMeasurement` after it); connecting, discovery and every notification are.
//
// Two custom metrics carry the figures the issue asks for (wall clock is reported too):
// - `x real time`: simulated seconds per wall-clock second for one device kind;
// - `devices per core`: how many devices one core keeps in real time, N devices /
//   (wall seconds per simulated second).
// Run with `make bench` (see ../README.md).
import Benchmark
import DeviceSim
import Foundation
import ProtocolSpecs

/// Benchmarks/Scenarios and the root package's Simulators, found from this file.
let benchmarksFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let scenarios = benchmarksFolder.appendingPathComponent("Scenarios").path
let simulators = benchmarksFolder.deletingLastPathComponent().appendingPathComponent("Simulators").path

let realTime = BenchmarkMetric.custom("x real time", polarity: .prefersLarger, useScalingFactor: false)
let devicesPerCore = BenchmarkMetric.custom("devices per core (real time)", polarity: .prefersLarger,
                                            useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 20
    )
    let catalog: ProtocolCatalog
    do {
        catalog = try ProtocolCatalog.bundled()
    } catch {
        fatalError("bundled specs: \(error)")
    }

    // (a) Offline generation of one device, then of one device kind (an insole pair is two
    // devices), 60 simulated seconds per iteration.
    offline("offline: one insole (8 cells + IMU, 100 Hz), 60 s", catalog,
            file: scenarios + "/one-insole.yaml", seconds: 60)
    offline("offline: one insole pair (8 cells + IMU, 100 Hz), 60 s", catalog,
            file: scenarios + "/one-insole-pair.yaml", seconds: 60)
    offline("offline: one wristband (HR, PLX, temperature, PPG 25 Hz), 60 s", catalog,
            file: scenarios + "/one-wristband.yaml", seconds: 60)
    offline("offline: quickstart (4 devices), 60 s", catalog,
            file: simulators + "/quickstart.yaml", seconds: 60)

    // (b) N devices advanced together: wall time of 30 simulated seconds (long enough that
    // connecting and discovering 100 devices at t = 0 weighs little).
    fleet("real time: gym-100, 100 devices", catalog, file: simulators + "/gym-100.yaml", devices: 100)
    fleet("real time: quickstart people, 100 devices", catalog, file: simulators + "/quickstart.yaml", devices: 100)
}

/// A fresh simulation of `file` (scaled to `devices` when given) and its offline run.
func makeRun(_ catalog: ProtocolCatalog, file: String, devices: Int?) -> OfflineRun {
    do {
        let scenario = try Scenario.load(file: file, options: .init(catalog: catalog), devices: devices)
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        return OfflineRun(simulation: simulation, captureFile: nil)
    } catch {
        fatalError("\(file): \(error)")
    }
}

func offline(_ name: String, _ catalog: ProtocolCatalog, file: String, seconds: Double) {
    Benchmark(name, configuration: .init(metrics: [.wallClock, .mallocCountTotal, realTime])) { benchmark in
        let run = makeRun(catalog, file: file, devices: nil)
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        do {
            try run.run(duration: seconds)
        } catch {
            fatalError("\(name): \(error)")
        }
        let wall = ContinuousClock.now - start
        benchmark.stopMeasurement()
        precondition(run.notificationCount > 0, "\(name): nothing was sent")
        blackHole(run.notificationCount)
        benchmark.measurement(realTime, Int((seconds / wall.seconds).rounded()))
    }
}

func fleet(_ name: String, _ catalog: ProtocolCatalog, file: String, devices: Int, seconds: Double = 30) {
    Benchmark(name, configuration: .init(metrics: [.wallClock, .mallocCountTotal, devicesPerCore], maxIterations: 8)) { benchmark in
        let run = makeRun(catalog, file: file, devices: devices)
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        do {
            try run.run(duration: seconds)
        } catch {
            fatalError("\(name): \(error)")
        }
        let wall = ContinuousClock.now - start
        benchmark.stopMeasurement()
        precondition(run.notificationCount > 0, "\(name): nothing was sent")
        blackHole(run.notificationCount)
        benchmark.measurement(devicesPerCore, Int((Double(devices) * seconds / wall.seconds).rounded()))
    }
}

extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
