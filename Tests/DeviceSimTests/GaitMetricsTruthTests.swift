import BLEWire
@testable import DeviceSim
import Dissector
import Foundation
import GaitwayTestSupport
import ProtocolSpecs
import Testing
import WearMetrics

/// WearMetrics' insole gait events against the simulator's ground truth, through the whole
/// path a gateway sees: an offline run writes a btsnoop capture, the Dissector decodes the
/// Insole Stream notifications, each frame's device time (timestamp + n × interval) is put on
/// the true clock with the insole's own clock model (what the gateway's clock fit estimates),
/// and the frames go through FootStrideDetector / WearerGait. Issue 11's bar: median IC and TO
/// error ≤ 10 ms, ≥ 90 % of true strides found, < 2 % spurious, also with 10 % packet loss and
/// stuck and saturated cells; cadence within 1 step/min.
@Suite struct GaitMetricsTruthTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()

    static func scenario(faults: String) -> String {
        """
        name: gait-truth
        seed: 5
        duration: 150s
        start: 2026-11-21T10:00:00Z
        personas:
          - name: ann
            age: 35
            sex: female
            height: 1.68
            weight: 60
            devices:
              - kind: insoles
                cells: 8
                firmware: {sample_rate: 100, clock_drift: 25}
            activity:
              - {do: stand, for: 10s}
              - {do: walk, speed: 1.3, for: 80s}
              - {do: run, speed: 3.2, for: 60s, transition: 5s}
        \(faults)
        """
    }

    struct Frame {
        var time: Double
        var cells: [Double]
    }

    struct Run {
        var frames: [FootSide: [Frame]] = [:]
        var contacts: [FootSide: [Double]] = [:]
        var toeOffs: [FootSide: [Double]] = [:]
        /// Cells per frame.
        var cells = 8
    }

    /// Simulates, decodes the capture and returns each foot's frames on the true (Unix) clock
    /// with the true events.
    static func simulate(faults: String = "", duration: Double = 150) throws -> Run {
        let template = try ScenarioLoader.load(yaml: scenario(faults: faults), file: "gait-truth.yaml",
                                               options: ScenarioLoader.Options(catalog: catalog))
        return try simulate(template, duration: duration).values.first!
    }

    /// Every insole pair of a scenario, by the persona's left insole address.
    static func simulate(_ template: ScenarioTemplate, duration: Double) throws -> [String: Run] {
        let folder = try Reference.temporaryDirectory("gait-truth")
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = folder.appendingPathComponent("sim.btsnoop")
        FileManager.default.createFile(atPath: capture.path, contents: nil)
        let handle = try FileHandle(forWritingTo: capture)
        let truth = GroundTruthLog()
        let run = OfflineRun(simulation: try Simulation(scenario: try template.resolve(duration: duration), catalog: catalog,
                                                        truth: truth), captureFile: handle)
        try run.run(duration: duration)
        try handle.close()

        var result: [String: Run] = [:]
        var clocks: [String: DeviceClock] = [:]
        var feet: [String: FootSide] = [:]
        var pair: [String: String] = [:]  // device -> the pair's key
        var pairs: [ObjectIdentifier: String] = [:]
        let insoles = run.simulation.devices.compactMap { $0 as? InsoleFirmware }
        for insole in insoles where insole.foot == .left { pairs[ObjectIdentifier(insole.body)] = insole.address.description }
        for insole in insoles {
            let address = insole.address.description
            clocks[address] = insole.clock
            feet[address] = insole.foot == .left ? .left : .right
            pair[address] = pairs[ObjectIdentifier(insole.body)] ?? address
            result[pair[address]!, default: Run()].cells = insole.spec.cells
        }
        for event in truth.events {
            guard case let .gait(kind, device, _, time) = event, let foot = feet[device.description],
                  let key = pair[device.description] else { continue }
            if kind == "heel_strike" { result[key]!.contacts[foot, default: []].append(time) }
            if kind == "toe_off" { result[key]!.toeOffs[foot, default: []].append(time) }
        }
        let bytes = Array(try Data(contentsOf: capture))
        var dissector = CaptureDissector(catalog: catalog)
        var values: [DecodedValue] = []
        try dissector.dissect(file: bytes.span.bytes) { values.append($0) }
        let epoch = run.simulation.epoch
        for value in values where value.format == "gaitway-insole" {
            guard let address = value.address?.description, let clock = clocks[address], let foot = feet[address],
                  let key = pair[address],
                  let text = value.fieldsJSON,
                  let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let timestamp = object["timestamp"] as? Double ?? (object["timestamp"] as? Int).map(Double.init),
                  let interval = object["frame_interval"] as? Double,
                  let frames = object["frames"] as? [[String: Any]] else { continue }
            for (n, frame) in frames.enumerated() {
                guard let forces = frame["forces"] as? [Double] else { continue }
                let device = timestamp / 1000 + Double(n) * interval
                result[key]!.frames[foot, default: []].append(Frame(time: epoch + clock.simulationTime(atDeviceSeconds: device),
                                                                    cells: forces))
            }
        }
        for key in result.keys {
            for foot in FootSide.allCases { result[key]!.frames[foot]?.sort { $0.time < $1.time } }
        }
        return result
    }

    static func layout(_ cells: Int, _ foot: FootSide) -> InsoleCellLayout? {
        guard let geometry = catalog.spec(named: "gaitway-insole")?.geometry?.layout(cells: cells) else { return nil }
        return InsoleCellLayout(cells: (foot == .left ? geometry.left : geometry.right).map { ($0.x, $0.y) })
    }

    static func check(_ run: Run, label: String) {
        for foot in FootSide.allCases {
            var detector = FootStrideDetector(foot: foot, layout: layout(run.cells, foot))
            var contacts: [Double] = [], toeOffs: [Double] = [], strides: [FootStride] = []
            var last = -Double.infinity
            for frame in run.frames[foot] ?? [] where frame.time >= last {
                last = frame.time
                let output = detector.process(time: frame.time, force: frame.cells.reduce(0, +), cells: frame.cells.span)
                if let ic = output.contact { contacts.append(ic) }
                if let to = output.toeOff { toeOffs.append(to) }
                if let stride = output.stride { strides.append(stride) }
            }
            // Scored where frames were flowing (after the first notification, before the end).
            let first = (run.frames[foot]?.first?.time ?? 0) + 2, end = (run.frames[foot]?.last?.time ?? 0) - 2
            let trueIC = (run.contacts[foot] ?? []).filter { $0 > first && $0 < end }
            let trueTO = (run.toeOffs[foot] ?? []).filter { $0 > first && $0 < end }
            let ic = Score(truth: trueIC, detected: contacts.filter { $0 > first && $0 < end })
            let to = Score(truth: trueTO, detected: toeOffs.filter { $0 > first && $0 < end })
            // A stride is true when its IC, TO and next IC are each within 50 ms of a true stride's.
            // Only strides the frames cover (no gap over FootStrideDetector's 0.25 s limit: a
            // stride in a 50 % burst loss or a disconnection was never delivered to be found).
            let times = (run.frames[foot] ?? []).map(\.time)
            func covered(_ a: Double, _ b: Double) -> Bool {
                var lo = 0, hi = times.count
                while lo < hi { let mid = (lo + hi) / 2; if times[mid] < a - 0.1 { lo = mid + 1 } else { hi = mid } }
                guard lo > 0 else { return false }
                var k = lo - 1
                while k + 1 < times.count, times[k] < b + 0.1 {
                    if times[k + 1] - times[k] > 0.25 { return false }
                    k += 1
                }
                return k + 1 < times.count
            }
            let trueStrides = zip(trueIC, trueIC.dropFirst()).map { ($0, $1) }.filter { covered($0.0, $0.1) }
            let found = trueStrides.filter { a, b in
                strides.contains { abs($0.initialContact - a) < 0.05 && abs($0.nextContact - b) < 0.05 }
            }.count
            let spurious = strides.filter { s in
                s.initialContact > first && s.nextContact < end
                    && !trueStrides.contains { abs(s.initialContact - $0.0) < 0.05 && abs(s.nextContact - $0.1) < 0.05 }
                    || !trueTO.contains { abs($0 - s.toeOff) < 0.05 } && s.initialContact > first && s.nextContact < end
            }.count
            print("\(label) \(foot): IC \(ic); TO \(to); strides found \(found)/\(trueStrides.count), spurious \(spurious)/\(strides.count)")
            #expect(ic.medianAbsoluteError <= 0.010, "\(label) \(foot) IC")
            #expect(to.medianAbsoluteError <= 0.010, "\(label) \(foot) TO")
            #expect(Double(found) >= 0.9 * Double(trueStrides.count), "\(label) \(foot) strides found")
            #expect(Double(spurious) < 0.02 * Double(max(strides.count, 1)), "\(label) \(foot) spurious strides")
        }
    }

    struct Score: CustomStringConvertible {
        var errors: [Double] = []
        var truths: Int
        init(truth: [Double], detected: [Double]) {
            truths = truth.count
            for t in truth {
                if let d = detected.min(by: { abs($0 - t) < abs($1 - t) }), abs(d - t) <= 0.05 { errors.append(d - t) }
            }
        }

        var medianAbsoluteError: Double {
            let sorted = errors.map(abs).sorted()
            return sorted.isEmpty ? .infinity : sorted[sorted.count / 2]
        }

        var description: String {
            let bias = errors.isEmpty ? 0 : errors.reduce(0, +) / Double(errors.count)
            return "\(errors.count)/\(truths) within 50 ms, median |error| \(medianAbsoluteError * 1000) ms, mean \(bias * 1000) ms"
        }
    }

    @Test func eventsMatchTheTruthWalkingAndRunning() throws {
        Self.check(try Self.simulate(), label: "clean")
    }

    @Test func eventsMatchTheTruthWithTenPercentPacketLossAndFaultyCells() throws {
        let faults = """
            faults:
              - {kind: packet_loss, target: ann, probability: 0.1}
              - {kind: stuck_cell, target: ann/left, at: 30s, duration: 20s, cell: 0}
              - {kind: saturated_cell, target: ann/right, at: 40s, duration: 20s, cell: 3}
            """
        Self.check(try Self.simulate(faults: faults), label: "faults")
    }

    /// The repository's fault-storm scenario for its first 270 s (before its reboots and clock
    /// jumps, which the device clock model here cannot undo; the detector's handling of jumps is
    /// in GaitEventTests): bob's 16-cell insoles with 5 % loss in bursts and a stuck cell,
    /// alice's left insole losing half its packets for 30 s, dave's saturated cell and random
    /// disconnections, duplicated notifications for everyone.
    @Test func eventsMatchTheTruthOnFaultStorm() throws {
        guard let file = ScenarioLoader.locate("fault-storm") else {
            Issue.record("Simulators/fault-storm.yaml not found")
            return
        }
        let template = try ScenarioLoader.load(file: file, options: ScenarioLoader.Options(catalog: Self.catalog))
        let runs = try Self.simulate(template, duration: 270)
        #expect(runs.count == 3)
        for (key, run) in runs.sorted(by: { $0.key < $1.key }) { Self.check(run, label: "fault-storm \(key)") }
    }

    /// Both feet through WearerGait: cadence of the walking bout within 1 step/min of the true
    /// heel strikes' cadence over the same span, and running strides found as running.
    @Test func wearerCadenceAndModes() throws {
        let run = try Self.simulate()
        var gait = WearerGait(left: .gaitpdb(.left), right: .gaitpdb(.right), retainsStrides: true)
        var footRecords: [MetricRecord] = [], wearerRecords: [MetricRecord] = []
        var merged = (run.frames[.left] ?? []).map { (FootSide.left, $0) } + (run.frames[.right] ?? []).map { (FootSide.right, $0) }
        merged.sort { $0.1.time < $1.1.time }
        var strides: [WearerStride] = []
        for (foot, frame) in merged {
            gait.process(foot, time: frame.time, force: frame.cells.reduce(0, +), cells: frame.cells.span,
                         footRecords: &footRecords, wearerRecords: &wearerRecords)
            while let s = gait.nextStride() { strides.append(s) }
        }
        gait.finish(footRecords: &footRecords, wearerRecords: &wearerRecords)
        var bouts: [GaitBout] = []
        while let b = gait.nextBout() { bouts.append(b) }
        let walk = try #require(bouts.filter { $0.mode == .walking }.max { $0.duration < $1.duration })
        let strikes = ((run.contacts[.left] ?? []) + (run.contacts[.right] ?? [])).filter { $0 >= walk.start && $0 <= walk.end }.sorted()
        let trueCadence = 60 * Double(strikes.count - 1) / (strikes.last! - strikes.first!)
        print("walking bout \(walk.start)–\(walk.end): cadence \(walk.cadence ?? 0) vs true \(trueCadence)")
        #expect(abs(try #require(walk.cadence) - trueCadence) < 1)
        let run3 = try #require(bouts.filter { $0.mode == .running }.max { $0.duration < $1.duration })
        print("running bout \(run3.start)–\(run3.end): cadence \(run3.cadence ?? 0), \(run3.steps) steps")
        #expect(run3.duration > 30)
        let running = strides.filter { $0.mode == .running }
        #expect(running.allSatisfy { ($0.flightTime ?? 0) > 0 && $0.stride.stancePercent < 50 })
    }
}
