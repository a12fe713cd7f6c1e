import ArgumentParser
import Dissector
import Foundation
import GatewayPipeline
import GatewayStore
import WearMetrics

/// `gaitway analyze`: the gateway's metrics run over a file, for device testers and for
/// checking the metrics against other tools on the same data.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Compute gait, heart rate variability, PPG heart rate, activity counts and sleep metrics from a recording file.",
        discussion: """
            Each subcommand reads one file and prints one JSON document (--format json, the \
            default) or a short text summary (--format text). The methods and references of \
            every metric are in the README's metrics tables.
            """,
        subcommands: [AnalyzeInsole.self, AnalyzeRR.self, AnalyzePPG.self, AnalyzeCounts.self, AnalyzeActigraphy.self,
                      AnalyzeCapture.self]
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, text
    }

    /// The whole of `path` as UTF-8 text, or a message that names the file.
    static func text(of path: String, option: String) throws -> String {
        if let problem = FileArgument.problem(path, option: option, mustExist: true) { throw CleanExit.failure(problem) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CleanExit.failure("\(option) \(path): cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CleanExit.failure("\(path): not UTF-8 text")
        }
        return text
    }

    /// `report` as JSON on standard output: keys sorted, so two runs compare line by line.
    static func printJSON(_ report: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(report) } catch {
            throw CleanExit.failure("the report cannot be written as JSON: \(error)")
        }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// `gaitway analyze insole FILE`: strides, stance and swing, double support, cadence and
/// symmetry of a pressure-insole walk.
struct AnalyzeInsole: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insole",
        abstract: "Gait of a pressure-insole recording (a PhysioNet gaitpdb file).",
        discussion: """
            --layout gaitpdb: the text files of PhysioNet's Gait in Parkinson's Disease \
            database (gaitpdb 1.0.0): one line per 100 Hz frame, 19 columns separated by \
            white space: time (s), the 8 cells of the left foot, the 8 of the right (N), the \
            left total and the right total; cell positions as the database documents them.

            Output (JSON): "left" and "right", each with "strides", "stride_time_mean_s", \
            "stride_time_cv_pct", "stance_pct", "swing_pct" and more; "double_support_pct", \
            "cadence_spm", "step_count", "symmetry_index_pct" (Robinson et al. 1987: \
            (L - R) / (0.5 (L + R)) x 100 of each temporal parameter); "bouts"; and "strides", \
            one entry per stride with its initial contact ("ic_s"), toe-off ("to_s") and \
            parameters. Events come from each foot's total force with a wearer-relative \
            threshold and hysteresis (the README's gait table states the rule); strides cut by \
            a gap in the data are left out.

            A malformed line is an error that names it (line and column); nothing is printed then.

            Example:
              gaitway analyze insole GaCo01_01.txt --format text
            """
    )

    @Argument(help: ArgumentHelp("The recording.", valueName: "FILE"))
    var file: String

    @Option(help: "The file's layout: gaitpdb.")
    var layout: Layout = .gaitpdb

    @Option(help: "json or text.")
    var format: Analyze.Format = .json

    @Option(name: .customLong("weight-kg"), parsing: .unconditional,
            help: ArgumentHelp("The wearer's weight, which seeds the stance level (kg, 10 to 300); optional.",
                               valueName: "KG"),
            transform: { text throws(NumberArgument.Invalid) in
                try NumberArgument.real(text, in: WearerProfile.weightRange, unit: " kg")
            })
    var weight: Double?

    enum Layout: String, ExpressibleByArgument, CaseIterable {
        case gaitpdb
    }

    func run() throws {
        let text = try Analyze.text(of: file, option: "FILE")
        let report: InsoleGaitReport
        do {
            report = try InsoleGaitAnalysis.gaitpdb(text, profile: WearerProfile(weight: weight))
        } catch {
            throw CleanExit.failure("\(file): \(error)")
        }
        switch format {
        case .json: try Analyze.printJSON(report)
        case .text: print(report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
        }
    }
}

/// `gaitway analyze rr FILE`: heart rate variability of a list of RR intervals.
struct AnalyzeRR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rr",
        abstract: "Heart rate variability of RR intervals (one per line), with artefact correction.",
        discussion: """
            FILE: one RR interval per line, in milliseconds, or in seconds when every value is \
            below 10; blank lines and lines starting with # are skipped.

            Output (JSON): "n" (intervals analysed), "mean_nn_ms", "sdnn_ms", "rmssd_ms", \
            "pnn50_pct", "sd1_ms", "sd2_ms", "lf_ms2", "hf_ms2", "lf_hf", "mean_hr_bpm", and \
            "frequency_method" (spectra differ between tools: it says how these were made). \
            Definitions as the Task Force of the ESC and NASPE (1996) and NeuroKit2 give them; \
            LF and HF need at least 2 minutes of intervals, and are null otherwise.

            --artifacts correct finds missed, extra, ectopic and long or short beats (Lipponen \
            & Tarvainen 2019, the method of Kubios HRV), reports them as "artifacts": \
            {"indices": [...], "kinds": [...]} (0-based positions of the intervals in the \
            file), and analyses the corrected series (extra beats merged, missed ones split, \
            the others interpolated). --artifacts none (the default) analyses the file as it is.

            Example:
              gaitway analyze rr night.txt --artifacts correct --format text
            """
    )

    @Argument(help: ArgumentHelp("The RR intervals.", valueName: "FILE"))
    var file: String

    @Option(help: "none or correct.")
    var artifacts: RRAnalysis.ArtifactHandling = .none

    @Option(help: "json or text.")
    var format: Analyze.Format = .json

    func run() throws {
        let text = try Analyze.text(of: file, option: "FILE")
        let intervals: [Double]
        do { intervals = try RRAnalysis.parse(text) } catch { throw CleanExit.failure("\(file): \(error)") }
        let report = RRAnalysis.report(intervals, artifacts: artifacts)
        switch format {
        case .json: try Analyze.printJSON(report)
        case .text: print(report.text)
        }
    }
}

extension RRAnalysis.ArtifactHandling: ExpressibleByArgument {}

/// `gaitway analyze ppg FILE --rate HZ`: beats, heart rate and HRV of raw PPG.
struct AnalyzePPG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppg",
        abstract: "Beats, heart rate and heart rate variability of a raw PPG signal (CSV).",
        discussion: """
            FILE: raw PPG samples taken at --rate HZ, one per line (a single column, no \
            header), or a CSV with a header row whose column --column names (the first column \
            when --column is not given). Blank lines and lines starting with # are skipped.

            Beats are found as Elgendi et al. (2013) describe and NeuroKit2 0.2.13 implements \
            (ppg_clean and ppg_findpeaks, method "elgendi"): a 0.5-8 Hz Butterworth band-pass \
            run forward and backward, then two moving averages (111 and 667 ms) of the squared \
            positive wave delimit each beat. The sampling rate must be above 16 Hz (twice the \
            upper band edge).

            Output (JSON): "bpm" (60,000 / mean inter-beat interval), "beats" (count), \
            "ibi_ms" (mean inter-beat interval), "sdnn_ms", "rmssd_ms" (of the inter-beat \
            intervals, no artefact correction), "quality" (skewness of the band-passed signal, \
            the index Elgendi (2016) found best: a clean pulse wave is positively skewed, noise \
            near 0), "peaks_s" (beat times, s from the first sample); null where a value needs \
            more beats than were found.

            Example:
              gaitway analyze ppg wrist.csv --rate 25 --column ppg --format text
            """
    )

    @Argument(help: ArgumentHelp("The PPG samples.", valueName: "FILE"))
    var file: String

    @Option(help: ArgumentHelp("The sampling rate, Hz.", valueName: "HZ"))
    var rate: Double

    @Option(help: ArgumentHelp("The CSV column to read (its header name).", valueName: "NAME"))
    var column: String?

    @Option(help: "json or text.")
    var format: Analyze.Format = .json

    func validate() throws {
        let nyquistFloor = 2 * PPGBeats.Parameters().highCut
        guard rate.isFinite, rate > nyquistFloor, rate <= 100_000 else {
            throw ValidationError("--rate \(rate): must be above \(Int(nyquistFloor)) Hz (twice the band-pass's upper edge) and at most 100000 Hz")
        }
    }

    func run() throws {
        let text = try Analyze.text(of: file, option: "FILE")
        let samples: [Double]
        do { samples = try PPGAnalysis.parse(text, column: column) } catch { throw CleanExit.failure("\(file): \(error)") }
        let report = PPGAnalysis.report(samples, samplingRate: rate)
        switch format {
        case .json: try Analyze.printJSON(report)
        case .text: print(report.text)
        }
    }
}

/// `gaitway analyze counts FILE --rate HZ`: ActiGraph activity counts of raw acceleration.
struct AnalyzeCounts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "counts",
        abstract: "ActiGraph activity counts per epoch of a raw accelerometer file (CSV x,y,z in g).",
        discussion: """
            FILE: samples in g taken at --rate HZ, one per line, "x,y,z" or "time,x,y,z" (the \
            time is not read). Lines before the first sample that are not samples are a header \
            and skipped (an ActiGraph CSV export's); blank lines and lines starting with # are \
            skipped.

            Counts as ActiGraph published them (Neishabouri et al., Sci Rep 12:11958, 2022) and \
            agcounts 0.2.6 computes them (get_counts with its defaults): resampled to 30 Hz by \
            ActiGraph's legacy filter, ActiGraph's band-pass, |x| trimmed to 4..128 and floored, \
            summed per epoch; --rate must be 30, 40, 50, 60, 70, 80, 90 or 100. Each axis is \
            counted on its own, in the file's order (ActiGraph's axis 1 is its Y axis); only \
            whole epochs are counted.

            Output (JSON): "counts_x", "counts_y", "counts_z" (per epoch), "vector_magnitude" \
            (per epoch, the root of the sum of the three counts squared, as ActiLife gives it), \
            "epochs", "epoch_s", "rate_hz", "samples_left" (after the last whole epoch). \
            --format csv prints "time,counts" per epoch from --start, with the counts of \
            --axis (default y: ActiGraph's axis 1, what ActiLife scores sleep on), which \
            `gaitway analyze actigraphy` reads when the epoch is 60 s.

            Examples:
              gaitway analyze counts wrist.csv --rate 50 --format text
              gaitway analyze counts wrist.csv --rate 50 --format csv \\
                --start 2026-03-01T22:00:00Z > night.csv
              gaitway analyze actigraphy night.csv --algorithm cole-kripke
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, text, csv
    }

    enum Axis: String, ExpressibleByArgument, CaseIterable {
        case x, y, z, vm
    }

    @Argument(help: ArgumentHelp("The samples.", valueName: "FILE"))
    var file: String

    @Option(help: ArgumentHelp("The sampling rate, Hz: 30, 40, 50, 60, 70, 80, 90 or 100.", valueName: "HZ"))
    var rate: Int

    @Option(help: ArgumentHelp("The epoch, s (1 to 3600).", valueName: "SECONDS"))
    var epoch = 60

    @Option(help: "json, text or csv.")
    var format: Format = .json

    @Option(help: ArgumentHelp("With --format csv: the first epoch's start (ISO 8601).", valueName: "TIME"))
    var start: String?

    @Option(help: "With --format csv: the counts of x, y, z or vm (vector magnitude).")
    var axis: Axis = .y

    func validate() throws {
        guard ActivityCounts.supportedRates.contains(rate) else {
            throw ValidationError("--rate \(rate): must be one of \(ActivityCounts.supportedRates.map(String.init).joined(separator: ", ")) Hz (ActiGraph's resampling takes those)")
        }
        guard (1...3600).contains(epoch) else { throw ValidationError("--epoch \(epoch): must be 1 to 3600 s") }
        if format == .csv {
            guard let start else { throw ValidationError("--format csv needs --start TIME, the first epoch's start") }
            guard ISO8601Time.parse(start) != nil else { throw ValidationError("--start \(start): not an ISO 8601 time") }
        }
    }

    func run() throws {
        let text = try Analyze.text(of: file, option: "FILE")
        let samples: [(x: Double, y: Double, z: Double)]
        do { samples = try ActivityCountsAnalysis.parse(text) } catch { throw CleanExit.failure("\(file): \(error)") }
        guard let report = ActivityCountsAnalysis.report(samples, rate: rate, epochSeconds: epoch) else {
            throw CleanExit.failure("--rate \(rate) --epoch \(epoch): not a rate and epoch ActiGraph's counts take")
        }
        switch format {
        case .json: try Analyze.printJSON(report)
        case .text: print(report.text)
        case .csv:
            let first = ISO8601Time.parse(start ?? "") ?? 0
            var lines = ["time,counts"]
            for index in 0..<report.epochs {
                let time = ISO8601Time.format(micros: first + Int64(index * epoch) * 1_000_000, fractionDigits: 0)
                let value: String = switch axis {
                case .x: String(report.counts_x[index])
                case .y: String(report.counts_y[index])
                case .z: String(report.counts_z[index])
                case .vm: String(report.vector_magnitude[index])
                }
                lines.append(time + "," + value)
            }
            print(lines.joined(separator: "\n"))
        }
    }
}

/// `gaitway analyze actigraphy FILE --algorithm cole-kripke|sadeh`: sleep and wake per
/// minute of wrist activity counts, and the night's summary.
struct AnalyzeActigraphy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actigraphy",
        abstract: "Sleep and wake per minute of wrist activity counts (CSV time,counts), and the night's summary.",
        discussion: """
            FILE: a CSV of 60 s epochs, "time,counts" per line (an optional header row), with \
            ISO 8601 times each 60 s after the one before and ActiGraph activity counts per \
            epoch (as agcounts or ActiLife give them); blank lines and lines starting with # are \
            skipped.

            --algorithm cole-kripke: Cole et al. (1992), the 1-minute parameter set, counts \
            divided by 100 and capped at 300 (ActiLife's scaling); sadeh: Sadeh et al. (1994), \
            counts capped at 300. --rescore applies Webster's rescoring rules (as Cole et al. \
            1992 give them) to the scoring. Sources/WearMetrics/Activity/README.md has the \
            formulas.

            Output (JSON): "sleep" (one value per epoch: 1 sleep, 0 wake), "total_sleep_min", \
            "sleep_onset" and "wake_time" (the start of the first and the end of the last sleep \
            epoch, null without sleep), "waso_min" (wake between them), "awakenings" (its \
            runs), "efficiency_pct" (total sleep over the file's duration), "epochs", \
            "algorithm", "rescored".

            Example:
              gaitway analyze actigraphy night.csv --algorithm cole-kripke --rescore --format text
            """
    )

    @Argument(help: ArgumentHelp("The epochs.", valueName: "FILE"))
    var file: String

    @Option(help: "cole-kripke or sadeh.")
    var algorithm: SleepScoring.Algorithm

    @Flag(help: "Apply Webster's rescoring rules.")
    var rescore = false

    @Option(help: "json or text.")
    var format: Analyze.Format = .json

    func run() throws {
        let text = try Analyze.text(of: file, option: "FILE")
        let epochs: ActigraphyAnalysis.Epochs
        do { epochs = try ActigraphyAnalysis.parse(text, time: ISO8601Time.parse) } catch {
            throw CleanExit.failure("\(file): \(error)")
        }
        let report = ActigraphyAnalysis.report(epochs, algorithm: algorithm, rescore: rescore) {
            ISO8601Time.format(micros: $0, fractionDigits: 0)
        }
        switch format {
        case .json: try Analyze.printJSON(report)
        case .text: print(report.text)
        }
    }
}

extension SleepScoring.Algorithm: ExpressibleByArgument {}

/// `gaitway analyze capture FILE`: the gateway's metrics over a btsnoop capture, for device
/// testers who recorded their device (with `gaitway gateway --btsnoop`, btmon or Bumble).
struct AnalyzeCapture: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Run the gateway's metrics over a btsnoop capture and print the metric records.",
        discussion: """
            The capture is decoded as `gaitway gateway --hci btsnoop:FILE` would (the Protocols \
            specs, the device clock fit, the metric stage) into a database in memory; its metric \
            records are printed as `gaitway query --metric` prints them, in order of time: JSON \
            lines ("time", "end", "address" or "wearer", "metric", "value", "unit", "quality") or \
            CSV. Nothing is written to disk.

            --config FILE reads the wearers (`wearers:`, as the gateway's config file has them), \
            so that a pair of insoles gives two-foot records under its wearer's name. --metric \
            keeps the records of one metric.

            Example:
              gaitway analyze capture walk.btsnoop --metric stride_time --format csv
            """
    )

    @Argument(help: ArgumentHelp("A btsnoop capture (datalink 1001, 1002 or 2001).", valueName: "FILE"))
    var file: String

    @Option(help: ArgumentHelp("A gateway config file whose wearers to use.", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Only this metric (stride_time, rmssd, ...).", valueName: "NAME"))
    var metric: String?

    @Option(help: "jsonl or csv.")
    var format: QueryCommand.Format = .jsonl

    @OptionGroup var protocols: ProtocolOptions

    func run() throws {
        if let problem = FileArgument.problem(file, option: "FILE", mustExist: true) { throw CleanExit.failure(problem) }
        guard let bytes = FileManager.default.contents(atPath: file) else { throw CleanExit.failure("FILE \(file): cannot be read") }
        let wearers = try config.map { try GatewaySettings(configFile: $0).wearers } ?? []
        let catalog = try protocols.loadCatalog()
        var output = StandardOutput()
        defer { output.flush() }
        do {
            let store = try GatewayStore.inMemory()
            let ingest = GatewayIngest(catalog: catalog, store: store)
            ingest.wearers = wearers
            do { try CaptureReplay(ingest: ingest).replay(capture: Array(bytes)) } catch {
                throw CleanExit.failure("\(file): \(error)")
            }
            try QueryCommand.printMetricRecords(MetricRecordQuery(metric: metric), from: store, format: format, to: &output)
        } catch let error as GatewayStoreError {
            throw CleanExit.failure("\(error)")
        }
    }
}
