import Foundation
import GaitwayTestSupport
import Testing

/// `gaitway analyze insole` as a device tester runs it on a gaitpdb walk.
@Suite struct AnalyzeInsoleCommandTests {
    /// The first of the PhysioNet walks beside the repository (../shared/data/gaitpdb/).
    static let walk = GaitwayRun.repository.deletingLastPathComponent()
        .appendingPathComponent("shared/data/gaitpdb/GaCo01_01.txt").path

    @Test func aWalkGivesTheDocumentedKeysAndPlausibleValues() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.walk), "no gaitpdb walk at \(Self.walk)")
        let run = try await GaitwayRun.run(["analyze", "insole", Self.walk, "--layout", "gaitpdb"])
        #expect(run.exited(0), "status \(run.status): \(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        for key in ["left", "right", "double_support_pct", "cadence_spm", "symmetry_index_pct", "strides"] {
            #expect(report[key] != nil, "no \(key)")
        }
        for foot in ["left", "right"] {
            let summary = try #require(report[foot] as? [String: Any])
            let strides = try #require(summary["strides"] as? Int)
            let strideTime = try #require(summary["stride_time_mean_s"] as? Double)
            let stance = try #require(summary["stance_pct"] as? Double)
            let swing = try #require(summary["swing_pct"] as? Double)
            // A two-minute walk of a healthy adult: strides about 1.0-1.4 s, stance about 60 %.
            #expect(strides > 60, "\(foot): \(strides) strides")
            #expect((0.9...1.5).contains(strideTime), "\(foot): stride time \(strideTime)")
            #expect((55...70).contains(stance) && abs(stance + swing - 100) < 1e-6, "\(foot): stance \(stance), swing \(swing)")
            #expect(summary["stride_time_cv_pct"] is Double)
        }
        let cadence = try #require(report["cadence_spm"] as? Double)
        #expect((80...130).contains(cadence), "cadence \(cadence)")
        let perStride = try #require(report["strides"] as? [[String: Any]])
        #expect(perStride.count > 120 && perStride.allSatisfy { $0["ic_s"] is Double && $0["foot"] is String })

        let text = try await GaitwayRun.run(["analyze", "insole", Self.walk, "--format", "text"])
        #expect(text.exited(0) && text.output.contains("stride time mean (s)"), "\(text.output)")
    }

    @Test func badFilesAreMessagesThatNameTheLine() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("walk.txt")
        let line = (["0.00"] + Array(repeating: "10", count: 18)).joined(separator: "\t")
        try Data((line + "\n" + "0.01\t10\tten\n").utf8).write(to: file)
        let run = try await GaitwayRun.run(["analyze", "insole", file.path])
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("walk.txt: line 2"), "\(run.errors)")
        #expect(run.output.isEmpty)

        let missing = try await GaitwayRun.run(["analyze", "insole", directory.appendingPathComponent("none.txt").path])
        #expect(missing.exited(1) && missing.errors.contains("none.txt"), "\(missing.errors)")
        let weight = try await GaitwayRun.run(["analyze", "insole", file.path, "--weight-kg", "-70"])
        #expect(weight.exited(64) && weight.errors.contains("outside 10...300 kg"), "\(weight.errors)")
    }
}

/// `gaitway analyze rr` on the RR file the simulator replays, and on files that are wrong.
@Suite struct AnalyzeRRCommandTests {
    static let file = GaitwayRun.repository.appendingPathComponent("Simulators/data/rr-synthetic-rest.txt").path

    @Test func theIssuesKeysWithAndWithoutCorrection() async throws {
        let plain = try await GaitwayRun.run(["analyze", "rr", Self.file])
        #expect(plain.exited(0), "\(plain.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(plain.output.utf8)) as? [String: Any])
        for key in ["n", "mean_nn_ms", "sdnn_ms", "rmssd_ms", "pnn50_pct", "sd1_ms", "sd2_ms", "lf_ms2", "hf_ms2", "lf_hf",
                    "mean_hr_bpm"] {
            #expect(report[key] is NSNumber, "no number \(key): \(plain.output)")
        }
        #expect(report["n"] as? Int == 420 && report["artifacts"] == nil)
        // The file is in seconds (every value below 10): mean NN in ms.
        #expect(((report["mean_nn_ms"] as? Double) ?? 0) > 800)

        let corrected = try await GaitwayRun.run(["analyze", "rr", Self.file, "--artifacts", "correct", "--format", "json"])
        #expect(corrected.exited(0), "\(corrected.errors)")
        let withArtifacts = try #require(try JSONSerialization.jsonObject(with: Data(corrected.output.utf8)) as? [String: Any])
        let artifacts = try #require(withArtifacts["artifacts"] as? [String: Any])
        #expect(artifacts["indices"] is [Int] && artifacts["kinds"] is [String])

        // Too short for LF and HF: the keys are there, null.
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let short = directory.appendingPathComponent("short.txt")
        try Data("800\n810\n790\n805\n".utf8).write(to: short)
        let shortRun = try await GaitwayRun.run(["analyze", "rr", short.path])
        #expect(shortRun.exited(0) && shortRun.output.contains("\"lf_ms2\" : null"), "\(shortRun.output)")
    }

    @Test func badFilesNameTheLine() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rr.txt")
        try Data("812\n# a note\n799\n8O5\n".utf8).write(to: file)
        let run = try await GaitwayRun.run(["analyze", "rr", file.path])
        #expect(run.exited(1), "status \(run.status)")
        #expect(run.errors.contains("rr.txt: line 4: not a number: \"8O5\""), "\(run.errors)")
        let kind = try await GaitwayRun.run(["analyze", "rr", file.path, "--artifacts", "fix"])
        #expect(kind.exited(64) && kind.errors.contains("fix"), "\(kind.errors)")
    }
}

/// `gaitway analyze capture`: the records the gateway would store from the capture, printed
/// without a database.
@Suite struct AnalyzeCaptureCommandTests {
    @Test(.timeLimit(.minutes(5))) func theRecordsAreThoseAReplayedGatewayStores() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("quickstart.btsnoop").path
        let sim = try await GaitwayRun.run(["sim", "--scenario", "quickstart", "--duration", "60", "--btsnoop", capture], timeout: 120)
        #expect(sim.exited(0), "\(sim.errors)")
        let config = directory.appendingPathComponent("wearers.yaml")
        try Data("""
            wearers:
              - {name: runner, left-insole: D2:EE:5A:DE:B3:1A, right-insole: C9:06:E8:87:15:43}
            """.utf8).write(to: config)

        let analysed = try await GaitwayRun.run(["analyze", "capture", capture, "--config", config.path], timeout: 120)
        #expect(analysed.exited(0), "\(analysed.errors)")
        let database = directory.appendingPathComponent("replay.db").path
        let gateway = try await GaitwayRun.run(["gateway", "--hci", "btsnoop:\(capture)", "--config", config.path,
                                          "--db", database, "--no-status"], timeout: 120)
        #expect(gateway.exited(0), "\(gateway.errors)")
        var stored = ""
        for metric in ["stride_time", "double_support", "walking_bout"] {
            let query = try await GaitwayRun.run(["query", "--db", database, "--metric", metric])
            #expect(query.exited(0), "\(query.errors)")
            stored += query.output
            let printed = try await GaitwayRun.run(["analyze", "capture", capture, "--config", config.path, "--metric", metric])
            #expect(printed.output == query.output, "\(metric)")
        }
        // 30 s standing, then walking: strides of both insoles, two-foot records of the wearer.
        #expect(stored.contains("\"address\": \"D2:EE:5A:DE:B3:1A\", \"metric\": \"stride_time\""))
        #expect(stored.contains("\"wearer\": \"runner\", \"metric\": \"double_support\""))
        #expect(analysed.output.split(separator: "\n").count > stored.split(separator: "\n").count)

        let missing = try await GaitwayRun.run(["analyze", "capture", directory.appendingPathComponent("none.btsnoop").path])
        #expect(missing.exited(1) && missing.errors.contains("none.btsnoop"), "\(missing.errors)")
    }
}

@Suite struct AnalyzePPGCommandTests {
    /// 20 s of NeuroKit2's simulated PPG at 25 Hz and 72 bpm, a header row "ppg".
    static let file = GaitwayRun.repository.appendingPathComponent("Simulators/data/ppg-neurokit-72bpm.csv").path

    @Test func theIssuesKeysAndTheSimulatedRate() async throws {
        let run = try await GaitwayRun.run(["analyze", "ppg", Self.file, "--rate", "25", "--column", "ppg"])
        #expect(run.exited(0), "\(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        for key in ["bpm", "ibi_ms", "sdnn_ms", "rmssd_ms", "quality"] {
            #expect(report[key] is NSNumber, "no number \(key): \(run.output)")
        }
        // The simulator's heart rate, within what 20 s of beats can tell (NeuroKit2 finds 23).
        let bpm = try #require(report["bpm"] as? Double)
        #expect(abs(bpm - 72) < 3, "\(bpm)")
        #expect(report["beats"] as? Int == 23)
        #expect((report["peaks_s"] as? [Double])?.count == 23)
        // A clean simulated pulse wave is positively skewed.
        #expect(((report["quality"] as? Double) ?? 0) > 0)

        let text = try await GaitwayRun.run(["analyze", "ppg", Self.file, "--rate", "25", "--format", "text"])
        #expect(text.exited(0) && text.output.contains("beats: 23"), "\(text.output) \(text.errors)")
    }

    @Test func tooFewBeatsGiveNulls() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let flat = directory.appendingPathComponent("flat.csv")
        try Data(String(repeating: "512\n", count: 100).utf8).write(to: flat)
        let run = try await GaitwayRun.run(["analyze", "ppg", flat.path, "--rate", "25"])
        #expect(run.exited(0), "\(run.errors)")
        #expect(run.output.contains("\"bpm\" : null") && run.output.contains("\"beats\" : 0"), "\(run.output)")
    }

    @Test func badInputIsNamed() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ppg.csv")
        try Data("time,ppg\n0.00,0.5\n0.04,x\n".utf8).write(to: file)
        let column = try await GaitwayRun.run(["analyze", "ppg", file.path, "--rate", "25", "--column", "ppg"])
        #expect(column.exited(1) && column.errors.contains("ppg.csv: line 3: not a number: \"x\""), "\(column.errors)")
        let missing = try await GaitwayRun.run(["analyze", "ppg", file.path, "--rate", "25", "--column", "red"])
        #expect(missing.exited(1) && missing.errors.contains("line 1: no column \"red\""), "\(missing.errors)")
        let slow = try await GaitwayRun.run(["analyze", "ppg", Self.file, "--rate", "10"])
        #expect(slow.exited(64) && slow.errors.contains("must be above 16 Hz"), "\(slow.errors)")
        let noRate = try await GaitwayRun.run(["analyze", "ppg", Self.file])
        #expect(noRate.exited(64) && noRate.errors.contains("--rate"), "\(noRate.errors)")
    }
}

@Suite struct AnalyzeActigraphyCommandTests {
    /// An hour in bed: awake, asleep with an awakening in the middle, awake.
    static func night(in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent("night.csv")
        var lines = ["time,counts"]
        for minute in 0..<60 {
            let counts = minute < 5 || (27..<30).contains(minute) || minute >= 56 ? 3000 : 0
            lines.append(String(format: "2026-12-01T22:%02d:00Z,%d", minute, counts))
        }
        try Data((lines.joined(separator: "\r\n") + "\r\n").utf8).write(to: file)  // CRLF, as spreadsheets write
        return file
    }

    @Test func theIssuesKeysForBothAlgorithms() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.night(in: directory)
        for algorithm in ["cole-kripke", "sadeh"] {
            let run = try await GaitwayRun.run(["analyze", "actigraphy", file.path, "--algorithm", algorithm])
            #expect(run.exited(0), "\(run.errors)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
            #expect((report["sleep"] as? [Int])?.count == 60)
            for key in ["total_sleep_min", "waso_min", "efficiency_pct", "awakenings"] {
                #expect(report[key] is NSNumber, "\(algorithm): no \(key) in \(run.output)")
            }
            #expect((report["sleep_onset"] as? String)?.hasPrefix("2026-12-01T22:") == true)
            #expect((report["wake_time"] as? String)?.hasPrefix("2026-12-01T22:") == true)
            #expect(((report["waso_min"] as? Int) ?? 0) > 0, "\(algorithm): the awakening is not in WASO")
        }
        let text = try await GaitwayRun.run(["analyze", "actigraphy", file.path, "--algorithm", "sadeh", "--rescore",
                                             "--format", "text"])
        #expect(text.exited(0) && text.output.contains("Webster's rescoring"), "\(text.output) \(text.errors)")
    }

    @Test func badInputIsNamed() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("gap.csv")
        try Data("time,counts\n2026-12-01T22:00:00Z,5\n2026-12-01T22:02:00Z,5\n".utf8).write(to: file)
        let gap = try await GaitwayRun.run(["analyze", "actigraphy", file.path, "--algorithm", "sadeh"])
        #expect(gap.exited(1) && gap.errors.contains("gap.csv: line 3: 120.0 s after the epoch before"), "\(gap.errors)")
        let unknown = try await GaitwayRun.run(["analyze", "actigraphy", file.path, "--algorithm", "kripke"])
        #expect(unknown.exited(64) && unknown.errors.contains("cole-kripke"), "\(unknown.errors)")
    }
}

@Suite struct AnalyzeCountsCommandTests {
    /// Five minutes at 50 Hz as an ActiGraph CSV export writes them (its ten header lines, a
    /// column row, `Timestamp,Accelerometer X,Y,Z`): a still minute, then arm swing at 0.9 Hz.
    static func recording(in directory: URL) throws -> URL {
        let file = directory.appendingPathComponent("wrist.csv")
        var lines = ["------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.4 Firmware v3.2.1 date format M/d/yyyy at 50 Hz  Filter Normal -----------",
                     "Serial Number: NEO1F00000000", "Start Time 22:00:00", "Start Date 3/1/2026", "Epoch Period (hh:mm:ss) 00:00:00",
                     "Download Time 08:00:00", "Download Date 3/2/2026", "Current Memory Address: 0",
                     "Current Battery Voltage: 4.19     Mode = 12", "--------------------------------------------------",
                     "Timestamp,Accelerometer X,Accelerometer Y,Accelerometer Z"]
        for n in 0..<(50 * 300) {
            let t = Double(n) / 50
            let swing = t < 60 ? 0 : 0.5 * sin(2 * .pi * 0.9 * t) + 0.2 * sin(2 * .pi * 1.8 * t)
            lines.append(String(format: "3/1/2026 22:%02d:%02d.%03d,%.4f,%.4f,%.4f", Int(t) / 60, Int(t) % 60, (n % 50) * 20,
                                0.1 + swing, 0.95 + 0.5 * swing, 0.2 - 0.3 * swing))
        }
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        return file
    }

    @Test func theDocumentedKeysAndTheCountsOfAgcounts() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.recording(in: directory)
        let run = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "50"])
        #expect(run.exited(0), "\(run.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
        let x = try #require(report["counts_x"] as? [Int]), y = try #require(report["counts_y"] as? [Int])
        let z = try #require(report["counts_z"] as? [Int])
        #expect(report["epochs"] as? Int == 5 && report["samples_left"] as? Int == 0 && report["rate_hz"] as? Int == 50)
        #expect((report["vector_magnitude"] as? [Double])?.count == 5)
        // The still minute counts nothing; the swinging ones count.
        #expect(x[0] == 0 && y[0] == 0 && x[1...].allSatisfy { $0 > 100 }, "\(x) \(y)")
        // agcounts 0.2.6 on the same samples (the file without its header and time column).
        guard Reference.pythonAvailable(for: "agcounts") else { return }
        let plain = directory.appendingPathComponent("plain.csv")
        let rows = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").dropFirst(11)
        try rows.map { $0.split(separator: ",").dropFirst().joined(separator: ",") }.joined(separator: "\n")
            .write(to: plain, atomically: true, encoding: .utf8)
        let output = try Reference.runBlocking(Reference.python, [Reference.path("tools/counts_reference.py"), plain.path, "50", "60"])
        struct Result: Decodable { var counts: [[Int]] }
        let reference = try JSONDecoder().decode(Result.self, from: Data(output.utf8)).counts
        #expect(reference == (0..<5).map { [x[$0], y[$0], z[$0]] })
    }

    @Test func csvFeedsTheSleepScoring() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.recording(in: directory)
        let csv = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "50", "--format", "csv",
                                            "--start", "2026-03-01T22:00:00Z"])
        #expect(csv.exited(0), "\(csv.errors)")
        let lines = csv.output.split(separator: "\n")
        #expect(lines.first == "time,counts" && lines.count == 6 && lines[1].hasPrefix("2026-03-01T22:00:00Z,0"), "\(lines)")
        #expect(lines[2].hasPrefix("2026-03-01T22:01:00Z,"))
        let night = directory.appendingPathComponent("night.csv")
        try Data(csv.output.utf8).write(to: night)
        let scored = try await GaitwayRun.run(["analyze", "actigraphy", night.path, "--algorithm", "sadeh"])
        #expect(scored.exited(0) && scored.output.contains("\"epochs\" : 5"), "\(scored.output) \(scored.errors)")
        let text = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "50", "--format", "text"])
        #expect(text.exited(0) && text.output.contains("5 epochs of 60 s at 50 Hz"), "\(text.output)")
    }

    @Test func badInputIsNamed() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.csv")
        try Data("x,y,z\n0.1,0.2,0.9\n0.1,0.2,0.9\n0.1,zero,0.9\n".utf8).write(to: file)
        let bad = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "30"])
        #expect(bad.exited(1) && bad.errors.contains("bad.csv: line 4: expected x,y,z or time,x,y,z in g"), "\(bad.errors)")
        try Data("x,y,z\n0.1,9810,0.9\n".utf8).write(to: file)
        let milli = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "30"])
        #expect(milli.exited(1) && milli.errors.contains("beyond 1000 g"), "\(milli.errors)")
        let rate = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "25"])
        #expect(rate.exited(64) && rate.errors.contains("must be one of 30, 40"), "\(rate.errors)")
        let noStart = try await GaitwayRun.run(["analyze", "counts", file.path, "--rate", "30", "--format", "csv"])
        #expect(noStart.exited(64) && noStart.errors.contains("needs --start"), "\(noStart.errors)")
    }
}
