// The metrics' cost per unit of input, as the gateway's metric stage pays it on the BLE thread:
//
// - `insole frame`: one 100 Hz frame (8 cells) of one foot through `WearerGait` (event
//   detection, stride and CoP metrics, two-foot pairing, bouts), a walk of both feet with
//   strides of 1.1 s; each iteration is 100,000 frames (500 s of one wearer's two insoles).
//   Target (issue 11): 1 µs per frame or less, no allocation per frame in steady state.
// - `RR interval`: one interval through `HRVWindow` (5-minute windows: artefact correction,
//   time, Poincaré and frequency indices at each window's end); each iteration is 100,000
//   intervals (about 23 hours at 72 bpm). A wristband sends about 1.2 a second.
// - `wristband second`: one second of a band as the gateway's metric stage gets it live: a
//   heart rate into `HeartRateLoad` (a full profile: energy, zones, TRIMP, days, recovery), its
//   RR intervals into `HRVWindow`, an SpO2 value into `OxygenDesaturationWindow` and, every
//   30 s, a skin temperature into `SkinTemperatureWindow`; each iteration is 100,000 seconds
//   (28 hours) of rest and hour-long runs, with the 100,000 RR intervals of the benchmark
//   above (the first 23 hours). Target (issue 12): 2 µs per band second or less.
// - `wrist accelerometer second`: 50 samples of 3 axes (a second of gaitway-motion) through
//   `ActivityCounts`, `WristStepDetector`, `SleepNight` (the day's arm angles and epochs) and,
//   per minute, `SleepWakeStream`, as the metric stage runs them; each iteration is 100,000
//   seconds of a walking arm (27.8 hours: one night analysed at noon, its allocations counted).
//
// Set-up (not measured): the frames and intervals are made once. Records go to a reused array.
// Custom metric: `ns/unit` (wall clock of the iteration / units). Run with `make bench`.
import Benchmark
import Foundation
import WearMetrics

let nanosecondsPerUnit = BenchmarkMetric.custom("ns/unit", polarity: .prefersSmaller, useScalingFactor: false)
let units = 100_000

/// `elapsed` over `count` units, whole nanoseconds.
func nanoseconds(_ elapsed: Duration, per count: Int) -> Int {
    Int(elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000) / count
}

/// A walk of both feet at 100 Hz: stance 0.68 s of a two-humped force curve, stride 1.1 s, the
/// right foot half a stride behind; 8 cells sharing the force heel to toe as the stance goes on.
func walkFrames() -> [(foot: FootSide, time: Double, total: Double, cells: InlineArray<8, Double>)] {
    var frames: [(foot: FootSide, time: Double, total: Double, cells: InlineArray<8, Double>)] = []
    frames.reserveCapacity(units)
    let stride = 1.1, stance = 0.68
    for n in 0..<(units / 2) {
        let time = Double(n) / 100
        for (foot, offset) in [(FootSide.left, 0.0), (.right, stride / 2)] {
            let phase = (time + offset).truncatingRemainder(dividingBy: stride)
            var total = 5.0
            var cells = InlineArray<8, Double>(repeating: 0.6)
            if phase < stance {
                let x = phase / stance
                total = 700 * (sin(.pi * x) + 0.25 * sin(3 * .pi * x)) + 5
                for cell in 0..<8 {
                    let centre = Double(cell) / 7  // heel (0) to toe (7)
                    let weight = max(0, 1 - abs(centre - x) * 2)
                    cells[cell] = total * weight / 4
                }
            }
            frames.append((foot, time, total, cells))
        }
    }
    return frames
}

/// RR intervals around 830 ms with a respiratory and a Mayer-wave line.
func rrIntervals() -> [Double] {
    var time = 0.0
    return (0..<units).map { n in
        let rr = 830 + 30 * sin(2 * .pi * 0.1 * time) + 20 * sin(2 * .pi * 0.25 * time) + Double(n % 7)
        time += rr / 1000
        return rr
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, nanosecondsPerUnit],
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 20
    )

    let layout = InsoleCellLayout(cells: (0..<8).map { (x: Double($0 % 2), y: Double($0)) })
    Benchmark("metrics: insole frame (WearerGait, 8 cells, both feet), 100k frames") { benchmark in
        let frames = walkFrames()
        var gait = WearerGait(left: layout, right: layout, profile: WearerProfile(weight: 70))
        var footRecords: [MetricRecord] = [], wearerRecords: [MetricRecord] = []
        footRecords.reserveCapacity(1024)
        wearerRecords.reserveCapacity(1024)
        let start = ContinuousClock.now
        benchmark.startMeasurement()
        for frame in frames {
            gait.process(frame.foot, time: frame.time, force: frame.total, cells: frame.cells.span.extracting(0..<8),
                         footRecords: &footRecords, wearerRecords: &wearerRecords)
            if footRecords.count > 512 { footRecords.removeAll(keepingCapacity: true) }
            if wearerRecords.count > 512 { wearerRecords.removeAll(keepingCapacity: true) }
        }
        benchmark.stopMeasurement()
        let elapsed = ContinuousClock.now - start
        blackHole(footRecords.count + wearerRecords.count)
        benchmark.measurement(nanosecondsPerUnit, nanoseconds(elapsed, per: frames.count))
    }

    Benchmark("metrics: RR interval (HRVWindow, 5-min windows), 100k intervals") { benchmark in
        let intervals = rrIntervals()
        var window = HRVWindow()
        var records: [MetricRecord] = []
        records.reserveCapacity(1024)
        var time = 0.0
        let start = ContinuousClock.now
        benchmark.startMeasurement()
        for rr in intervals {
            time += rr / 1000
            window.add(rr, endingAt: time, into: &records)
            if records.count > 512 { records.removeAll(keepingCapacity: true) }
        }
        benchmark.stopMeasurement()
        let elapsed = ContinuousClock.now - start
        blackHole(records.count)
        benchmark.measurement(nanosecondsPerUnit, nanoseconds(elapsed, per: intervals.count))
    }

    Benchmark("metrics: wristband second (HR load, HRV, SpO2, skin temperature), 100k s") { benchmark in
        let intervals = rrIntervals()
        let profile = WearerProfile(age: 40, sex: .male, weight: 80, restingHeartRate: 60, maximumHeartRate: 180)
        var load = HeartRateLoad(profile: profile)
        var hrv = HRVWindow()
        var oximetry = OxygenDesaturationWindow()
        var skin = SkinTemperatureWindow()
        var records: [MetricRecord] = []
        records.reserveCapacity(1024)
        var beat = 0, beatTime = 0.0
        let start = ContinuousClock.now
        benchmark.startMeasurement()
        for second in 0..<units {
            let time = Double(second)
            // An hour's run every third hour: heart rate 150 instead of 70.
            let running = (second / 3600) % 3 == 2
            load.add(running ? 150 + Double(second % 5) : 70 + Double(second % 3), at: time, into: &records)
            while beatTime < time + 1, beat < intervals.count {
                beatTime += intervals[beat] / 1000
                hrv.add(intervals[beat], endingAt: beatTime, into: &records)
                beat += 1
            }
            oximetry.add(second % 97 < 20 ? 93 : 97, at: time, into: &records)
            if second % 30 == 0 { skin.add(33 + Double(second % 7) / 10, at: time, into: &records) }
            if records.count > 512 { records.removeAll(keepingCapacity: true) }
        }
        benchmark.stopMeasurement()
        let elapsed = ContinuousClock.now - start
        blackHole(records.count)
        benchmark.measurement(nanosecondsPerUnit, nanoseconds(elapsed, per: units))
    }

    Benchmark("metrics: wrist accelerometer second (counts, steps, sleep, night; 50 Hz), 100k s") { benchmark in
        // One minute of arm swing at 50 Hz, replayed: the signal does not change the cost.
        let minute = (0..<3000).map { n -> (Double, Double, Double) in
            let t = Double(n) / 50
            let swing = 0.3 * sin(2 * .pi * 0.9 * t), bounce = 0.25 * cos(2 * .pi * 1.8 * t)
            return (-cos(swing) * (1 + bounce), sin(swing) * (1 + bounce), 0.05 * sin(2 * .pi * 0.9 * t + 0.5))
        }
        var counts = ActivityCounts(rate: 50)!
        var steps = WristStepDetector(rate: 50)
        var sleep = SleepWakeStream()
        var night = SleepNight()
        var records: [MetricRecord] = []
        records.reserveCapacity(1024)
        var stepTotal = 0, epoch = 0.0
        let start = ContinuousClock.now
        benchmark.startMeasurement()
        for second in 0..<units {
            let base = (second % 60) * 50
            for n in base..<(base + 50) {
                let (x, y, z) = minute[n]
                stepTotal += steps.add(x, y, z)
                night.addAcceleration(x: x, y: y, z: z, at: Double(second) + Double(n - base) / 50, into: &records)
                if let counted = counts.add(x, y, z) {
                    sleep.add(counted.vectorMagnitude, epochStart: epoch, into: &records)
                    night.addEpoch(counts: counted.vectorMagnitude, start: epoch, into: &records)
                    epoch += 60
                }
            }
            if records.count > 512 { records.removeAll(keepingCapacity: true) }
        }
        benchmark.stopMeasurement()
        let elapsed = ContinuousClock.now - start
        blackHole(records.count + stepTotal)
        benchmark.measurement(nanosecondsPerUnit, nanoseconds(elapsed, per: units))
    }
}
