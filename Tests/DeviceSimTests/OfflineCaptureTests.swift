import BLEWire
import DeviceSim
import Dissector
import Foundation
import GaitwayTestSupport
import ProtocolSpecs
import Testing

/// The offline simulator's capture against its ground truth, through decoders nobody here
/// wrote (tshark) and through ours; and the gaitpdb replay against the recording itself.
@Suite struct OfflineCaptureTests {
    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()

    /// One person with one wristband: tshark maps ATT handles per adapter, not per
    /// connection, so with several devices on one capture it mixes their databases up
    /// (packet-btatt.c keys its handle table by interface and adapter only).
    static let oneWristband = """
        name: one-wristband
        seed: 11
        duration: 90s
        start: 2026-11-21T10:00:00Z
        personas:
          - name: jogger
            age: 40
            sex: female
            height: 1.70
            weight: 62
            devices:
              - kind: wristband
                firmware: {sample_rate: 25, clock_drift: 30}
            activity:
              - {do: rest, for: 30s}
              - {do: run, speed: 3.0, for: 60s, transition: 10s}
        """

    struct Run {
        var capture: URL
        var truth: [GroundTruthEvent]
        var folder: URL
        /// The run's people and devices as the run left them (their clocks, for instance).
        var simulation: Simulation
        /// Notifications and indications the run recorded.
        var notifications: Int
    }

    func simulate(yaml: String? = nil, scenario file: String? = nil, duration: Double) throws -> Run {
        let options = ScenarioLoader.Options(catalog: Self.catalog)
        let template = if let yaml {
            try ScenarioLoader.load(yaml: yaml, file: "test.yaml", options: options)
        } else {
            try ScenarioLoader.load(file: ScenarioLoader.locate(file ?? "") ?? "missing \(file ?? "")", options: options)
        }
        let scenario = try template.resolve(duration: duration)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let capture = folder.appendingPathComponent("sim.btsnoop")
        FileManager.default.createFile(atPath: capture.path, contents: nil)
        let handle = try FileHandle(forWritingTo: capture)
        let truth = GroundTruthLog()
        let simulation = try Simulation(scenario: scenario, catalog: Self.catalog, truth: truth)
        let run = OfflineRun(simulation: simulation, captureFile: handle)
        try run.run(duration: duration)
        try handle.close()
        return Run(capture: capture, truth: truth.events, folder: folder, simulation: simulation, notifications: run.notificationCount)
    }

    func decode(_ capture: URL) throws -> [DecodedValue] {
        let bytes = Array(try Data(contentsOf: capture))
        var dissector = CaptureDissector(catalog: Self.catalog)
        var values: [DecodedValue] = []
        try dissector.dissect(file: bytes.span.bytes) { values.append($0) }
        return values
    }

    func fields(_ json: String?) throws -> [String: Any] {
        let text = try #require(json)
        return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func heartRatesAndRRIntervalsMatchTheGroundTruthInTsharkAndGaitwayDecode() async throws {
        let run = try simulate(yaml: Self.oneWristband, duration: 90)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let beats: [Double] = run.truth.compactMap { if case .beat(_, _, let rr, _) = $0 { rr } else { nil } }
        #expect(beats.count > 90)

        // Ours: every RR interval of every beat, in order, to the 1/1024 s of the format.
        let decoded = try decode(run.capture).filter { $0.format == "heart-rate-measurement" }
        #expect(decoded.count >= 88)
        var reported: [[Double]] = []
        var rates: [Int] = []
        for value in decoded {
            let object = try fields(value.fieldsJSON)
            reported.append(try #require(object["rr_intervals"] as? [Double]))
            rates.append(try #require(object["heart_rate"] as? Int))
        }
        try checkAgainstTruth(reported: reported, rates: rates, beats: beats)

        // tshark's view of the same capture is the same.
        guard Reference.tshark != nil else {
            Reference.missing("tshark missing: run tools/bootstrap.sh")
            return
        }
        let lines = try await Reference.jsonLines(Reference.run("/usr/bin/python3", [Reference.path("tools/tshark_hr.py"), run.capture.path]))
        try #require(lines.count == decoded.count, "tshark sees as many Heart Rate Measurements as gaitway decode")
        for (line, value) in zip(lines, decoded) {
            let theirs = try #require(line["fields"] as? [String: Any])
            #expect(NSDictionary(dictionary: theirs) == NSDictionary(dictionary: try fields(value.fieldsJSON)))
            #expect(line["time"] as? String == CaptureTime.iso8601(microseconds: value.timeMicros))
            #expect(line["address"] as? String == value.address?.description)
        }
    }

    /// The i-th reported RR interval is the i-th true beat's, rounded to 1/1024 s; each
    /// reported rate is the mean rate of the beats reported with it.
    func checkAgainstTruth(reported: [[Double]], rates: [Int], beats: [Double]) throws {
        let flat = reported.flatMap { $0 }
        try #require(flat.count <= beats.count && flat.count >= beats.count - 3,
                     "every beat but the last few is reported (\(flat.count) of \(beats.count))")
        for (index, rr) in flat.enumerated() {
            #expect(rr == (beats[index] * 1024).rounded() / 1024, "beat \(index)")
        }
        var next = 0
        for (group, rate) in zip(reported, rates) {
            defer { next += group.count }
            guard !group.isEmpty else { continue }
            let truth = beats[next..<(next + group.count)]
            #expect(rate == Int((60 * Double(truth.count) / truth.reduce(0, +)).rounded()))
        }
    }

    /// Replaying GaCo01_01 through the insole stream gives back the recording's forces
    /// within the stream's quantisation (0.5 N per count: at most 0.25 N off).
    @Test func gaitpdbReplayReproducesTheRecordedForces() throws {
        let run = try simulate(scenario: "replay-gaitpdb", duration: 20)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let file = Reference.repository.deletingLastPathComponent().appendingPathComponent("shared/data/gaitpdb/GaCo01_01.txt")
        let recording = try GaitpdbRecording(parsing: Array(try Data(contentsOf: file)))

        var checked = 0
        for foot in [Foot.left, .right] {
            let side = foot == .left ? "left" : "right"
            var frames: [[Double]] = []
            for value in try decode(run.capture) where value.format == "gaitway-insole" {
                let object = try fields(value.fieldsJSON)
                guard object["foot"] as? String == side else { continue }
                for frame in try #require(object["frames"] as? [[String: Any]]) {
                    frames.append(try #require(frame["forces"] as? [Double]))
                }
            }
            #expect(frames.count > 1500, "\(side): 100 Hz for 20 s, less the first notification's wait")
            // Find where the stream starts in the recording (the first 100 frames must match:
            // the walk begins standing still, so one frame is ambiguous), then every frame
            // must follow it.
            let start = try #require((0..<recording.count).first { index in
                frames.prefix(100).enumerated().allSatisfy { offset, frame in
                    (0..<8).allSatisfy {
                        abs(recording.force(foot, sample: (index + offset) % recording.count, cell: $0) - frame[$0]) <= 0.25
                    }
                }
            })
            for (offset, frame) in frames.enumerated() {
                let index = (start + offset) % recording.count
                for cell in 0..<8 {
                    let truth = min(recording.force(foot, sample: index, cell: cell), 2047.5)
                    #expect(abs(frame[cell] - truth) <= 0.25, "\(side) frame \(offset) cell \(cell)")
                }
                checked += 1
            }
        }
        #expect(checked > 3000)
    }

    /// Same seed, same bytes.
    @Test func sameSeedSameCapture() throws {
        let first = try simulate(yaml: Self.oneWristband, duration: 20)
        let second = try simulate(yaml: Self.oneWristband, duration: 20)
        defer {
            try? FileManager.default.removeItem(at: first.folder)
            try? FileManager.default.removeItem(at: second.folder)
        }
        #expect(try Data(contentsOf: first.capture) == Data(contentsOf: second.capture))
        #expect(first.truth == second.truth)
    }
}
