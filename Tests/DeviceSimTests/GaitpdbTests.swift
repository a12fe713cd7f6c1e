import BLEWire
import Foundation
import GaitwayTestSupport
import ProtocolSpecs
import Testing
@testable import DeviceSim

/// The four PhysioNet gaitpdb walks beside the repository (`../shared/data/gaitpdb/`, ODC-By
/// 1.0; Goldberger et al., Circulation 101:e215, 2000; Yogev et al. 2005; Hausdorff et al. 2007;
/// Frenkel-Toledo et al. 2005). CI clones the repository with `shared/` next to it.
enum GaitData {
    static let directory = Reference.repository.deletingLastPathComponent().appendingPathComponent("shared/data/gaitpdb")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    nonisolated(unsafe) private static var cache: [String: GaitpdbRecording] = [:]
    private static let lock = NSLock()

    static func recording(_ name: String) throws -> GaitpdbRecording {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[name] { return cached }
        let recording = try GaitpdbRecording(parsing: bytes(name))
        cache[name] = recording
        return recording
    }

    /// demographics.txt, walk 01: mass (kg), height (m), Speed_01 or the walk's speed (m/s).
    /// JuCo01's height is given in cm there (167).
    static let subjects: [String: (mass: Double, height: Double, speed: Double)] = [
        "GaCo01": (83, 1.80, 1.075), "JuCo01": (75, 1.67, 1.089), "GaPt03": (50, 1.45, 0.778), "SiPt02": (67, 1.58, 0.770),
    ]
}

/// Gait measures computed the same way from a recording and from the model: events by a
/// threshold on each foot's total force, stride times (turns and pauses dropped: strides
/// outside 0.6–1.4 × the median), stance share, and the two force peaks and the valley of each
/// stance relative to the mean total force (which is body weight on a force plate; gaitpdb's
/// insoles read ~1.3–1.45 × body weight, so body weight from the scale is not a fair
/// denominator).
struct GaitMeasures: CustomStringConvertible {
    var strideMean = 0.0
    var strideCV = 0.0
    var stanceShare = 0.0
    var firstPeak = 0.0
    var secondPeak = 0.0
    var valley = 0.0
    var strides = 0
    var meanTotal = 0.0

    init(totals: (left: [Double], right: [Double]), rate: Double) {
        let n = min(totals.left.count, totals.right.count)
        var sum = 0.0
        for i in 0..<n { sum += totals.left[i] + totals.right[i] }
        meanTotal = sum / Double(n)
        var strideTimes: [Double] = [], stances: [Double] = [], p1: [Double] = [], p2: [Double] = [], valleys: [Double] = []
        for force in [totals.left, totals.right] {
            let threshold = max(0.1 * Self.percentile(force, 0.99), 20)
            var strikes: [Int] = [], offs: [Int] = []
            var on = force[0] > threshold
            for i in 1..<force.count {
                if !on, force[i] > threshold { on = true; strikes.append(i) }
                else if on, force[i] < 0.8 * threshold { on = false; offs.append(i) }
            }
            var times: [Double] = []
            for k in 1..<max(strikes.count, 1) { times.append(Double(strikes[k] - strikes[k - 1]) / rate) }
            let median = Self.percentile(times, 0.5)
            for (k, t) in times.enumerated() where t > 0.6 * median && t < 1.4 * median {
                strideTimes.append(t)
                guard let off = offs.first(where: { $0 > strikes[k] }), off < strikes[k + 1] else { continue }
                stances.append(Double(off - strikes[k]) / rate / t)
                let segment = Array(force[strikes[k]..<off])
                let half = segment.count / 2
                guard half > 5 else { continue }
                let a = segment[..<half].indices.max { segment[$0] < segment[$1] }!
                let b = segment[half...].indices.max { segment[$0] < segment[$1] }!
                p1.append(segment[a])
                p2.append(segment[b])
                valleys.append(segment[a...b].min()!)
            }
        }
        strides = strideTimes.count
        strideMean = strideTimes.reduce(0, +) / Double(strides)
        let variance = strideTimes.reduce(0) { $0 + ($1 - strideMean) * ($1 - strideMean) } / Double(strides - 1)
        strideCV = variance.squareRoot() / strideMean
        stanceShare = Self.percentile(stances, 0.5)
        firstPeak = Self.percentile(p1, 0.5) / meanTotal
        secondPeak = Self.percentile(p2, 0.5) / meanTotal
        valley = Self.percentile(valleys, 0.5) / meanTotal
    }

    static func percentile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(Int(q * Double(sorted.count - 1)), sorted.count - 1)]
    }

    var description: String {
        String(format: "stride %.3f s CV %.2f %% stance %.3f peaks %.2f/%.2f valley %.2f (×mean total %.0f N, %d strides)",
               strideMean, strideCV * 100, stanceShare, firstPeak, secondPeak, valley, meanTotal, strides)
    }

    static func of(_ recording: GaitpdbRecording) -> GaitMeasures {
        let left = (0..<recording.count).map { recording.total(.left, sample: $0) }
        let right = (0..<recording.count).map { recording.total(.right, sample: $0) }
        return GaitMeasures(totals: (left, right), rate: 1 / recording.interval)
    }

    /// The model walking for `duration` s, sampled at 100 Hz like gaitpdb (first 10 s dropped: start ramp).
    static func of(_ style: GaitStyle, speed: Double? = nil, seed: UInt64 = 7, duration: Double = 120) -> GaitMeasures {
        var model = GaitModel(style: style, seed: seed, activity: .walk(speed: speed))
        var left: [Double] = [], right: [Double] = []
        for i in 1000..<Int((duration + 10) * 100) {
            let t = Double(i) / 100
            model.advance(to: t) { _ in }
            left.append(model.sample(.left, at: t).force)
            right.append(model.sample(.right, at: t).force)
        }
        return GaitMeasures(totals: (left, right), rate: 100)
    }
}

@Suite struct GaitpdbTests {
    @Test(arguments: ["GaCo01_01.txt", "GaPt03_01.txt", "JuCo01_01.txt", "SiPt02_01.txt"])
    func parsesTheRealFiles(_ name: String) throws {
        let recording = try GaitData.recording(name)
        #expect(recording.count > 5000)
        #expect(abs(recording.interval - 0.01) < 1e-4)
        // The file's total columns are the sums of its cells (checked to 0.01 N).
        for i in stride(from: 0, to: recording.count, by: 7) {
            #expect(abs(recording.total(.left, sample: i) - recording.totalLeft[i]) < 0.01)
            #expect(abs(recording.total(.right, sample: i) - recording.totalRight[i]) < 0.01)
        }
        // First line of GaCo01_01.txt: 0.0000 199.1 87.34 ... 662.2 748
        if name == "GaCo01_01.txt" {
            #expect(recording.left[0] == 199.1)
            #expect(recording.right[7] == 79.53)
            #expect(recording.totalRight[0] == 748)
        }
    }

    @Test func errorsNameLineAndColumn() {
        let good = "0.0000\t1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t15\t16\t36\t100\r\n"
        func error(_ text: String) -> GaitpdbParseError? {
            do { _ = try GaitpdbRecording(parsing: Array(text.utf8)); return nil } catch { return error }
        }
        #expect(error(good) == nil)
        #expect(error(good + "0.0100\t1\t2\t3\tx4\t5\t6\t7\t8\t9\t10\t11\t12\t13\t14\t15\t16\t36\t100\r\n")
            == GaitpdbParseError(line: 2, column: 5, message: "not a number: \"x4\""))
        #expect(error(good + "0.0100\t1\t2\r\n")?.line == 2)
        #expect(error(good + "0.0100\t1\t2\r\n")?.column == 3)
        #expect(error(good + good)?.message == "time does not increase")
        #expect(error(good.replacingOccurrences(of: "\t36", with: "\t\t36"))?.column == 18)
        #expect(error("")?.message == "no samples")
        #expect(error(good + "0.02" + String(repeating: "\t1", count: 19) + "\n")?.message == "more than 19 columns")
    }

    /// Issue 3's check: replaying a gaitpdb file reproduces its forces in the insole stream
    /// within the stream's quantisation. Frames go through `gaitway-insole`'s own encoder and
    /// decoder; the firmware rounds to the nearest count (0.5 N) and clamps at 2047.5 N.
    @Test func replayThroughTheInsoleStreamIsWithinHalfAStep() throws {
        let spec = try #require(try ProtocolCatalog.bundled().spec(named: "gaitway-insole"))
        let step = 0.5 // the spec's `scale: 1/2` N per count
        for name in ["GaCo01_01.txt", "SiPt02_01.txt"] {
            let replay = GaitpdbReplay(try GaitData.recording(name), loops: false)
            let framesPerNotification = 4
            var worst = 0.0, clamps = 0, values = 0
            for foot in Foot.allCases {
                var index = 0
                var sequence = 0
                while index < replay.recording.count {
                    let count = min(framesPerNotification, replay.recording.count - index)
                    var frames: [PayloadValue] = []
                    var expected: [Double] = []
                    for k in 0..<count {
                        let cells = replay.forces(foot, at: Double(index + k) * 0.01)
                        var row: [PayloadValue] = []
                        for cell in cells.array {
                            let counts = min((cell / step).rounded(), 4095)
                            if counts == 4095, cell > 4095 * step { clamps += 1 }
                            row.append(.number(counts * step))
                            expected.append(cell)
                        }
                        frames.append(.object(PayloadObject(["forces": .array(row)])))
                    }
                    let bytes = try spec.encode(PayloadObject([
                        "foot": .text(foot.description), "sequence": .integer(Int64(sequence & 0xFFFF)),
                        "timestamp": .integer(Int64(index * 10)), "frame_interval": .number(0.01), "frames": .array(frames),
                    ]))
                    #expect(bytes.count == 9 + 12 * count)
                    let decoded = try spec.decodeFields(bytes)
                    guard case let .array(decodedFrames)? = decoded["frames"] else { Issue.record("no frames"); return }
                    var j = 0
                    for frame in decodedFrames {
                        guard case let .object(object) = frame, case let .array(forces)? = object["forces"] else { continue }
                        for force in forces {
                            let value = force.doubleValue ?? .nan
                            let error = abs(value - expected[j])
                            if expected[j] <= 4095 * step { worst = max(worst, error) }
                            j += 1
                            values += 1
                        }
                    }
                    #expect(j == expected.count)
                    index += count
                    sequence += 1
                }
            }
            print("gaitpdb replay \(name): \(values) cell values, max |error| \(worst) N (half step \(step / 2)), \(clamps) clamped")
            #expect(worst <= step / 2 + 1e-9)
            #expect(values == replay.recording.count * 16)
        }
    }

    @Test func replayHoldsSamplesAndLoops() throws {
        let recording = try GaitData.recording("JuCo01_01.txt")
        let replay = GaitpdbReplay(recording, start: 5)
        #expect(replay.sampleIndex(at: 4.99) == nil)
        #expect(replay.sampleIndex(at: 5.0) == 0)
        #expect(replay.sampleIndex(at: 5.0149) == 1)
        #expect(replay.sampleIndex(at: 5 + Double(recording.count) * recording.interval + 0.0001) == 0)
        #expect(replay.forces(.right, at: 5.02).array == recording.forces(.right, sample: 2).array)
        #expect(GaitpdbReplay(recording, loops: false).sampleIndex(at: 1000) == nil)
    }

    /// A scenario's `offset` is the recording time played at scenario time 0
    /// (Simulators/README.md): with `offset: 1.5` the run starts at the 150th sample.
    @Test func scenarioOffsetIsTheRecordingTimeAtTheStart() throws {
        let file = try #require(ScenarioLoader.locate("replay-gaitpdb"))
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("loop: true}"))
        let catalog = try ProtocolCatalog.bundled()
        let template = try ScenarioLoader.load(yaml: text.replacingOccurrences(of: "loop: true}", with: "loop: true, offset: 1.5}"),
                                               file: file, options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: try template.resolve(), catalog: catalog)
        let replay = try #require(simulation.bodies.first?.gaitReplay)
        #expect(replay.sampleIndex(at: 0) == 150)
        #expect(replay.sampleIndex(at: 0.5) == 200)
        #expect(replay.forces(.left, at: 0).array == replay.recording.forces(.left, sample: 150).array)
    }
}
