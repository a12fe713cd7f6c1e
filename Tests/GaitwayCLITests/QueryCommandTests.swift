import Dissector
import Foundation
import Testing

/// `gaitway query` as a user runs it: out-of-range arguments are messages, not traps;
/// negative times follow their option; the help says what the command does.
@Suite struct QueryCommandTests {
    static func database() throws -> String { try GaitwayRun.quickstartDatabase.get() }

    /// Every one of these used to reach `Int64(_:)` of a Double beyond Int64 (a trap, the
    /// process killed by SIGILL), or was accepted as a time that does not exist. Each is a
    /// usage error (exit 64) whose message says what is wrong.
    @Test(arguments: [
        (["--from", "1e13"], "outside the times accepted"),
        (["--to", "-1e300"], "outside the times accepted"),
        (["--from", "99999999999999999999"], "outside the times accepted"),
        (["--from", "inf"], "outside the times accepted"),
        (["--from", "2026-02-30"], "February 2026 has 28 days"),
        (["--to", "2026-11-22T25:00:00Z"], "hours go from 00 to 23"),
        (["--to", "2016-12-31T23:59:60Z"], "leap seconds"),
        (["--from", "2026-11-22T03:00+25:00"], "offset from UTC"),
        (["--limit", "-5"], "-5 is outside 1..."),
        (["--limit", "1e13"], "expected a whole number"),
        (["--limit", "99999999999999999999"], "is outside 1..."),
        (["--from", "10", "--to", "5"], "is not before --to"),
        (["--device", "C1:4D:AE"], "is not a Bluetooth address"),
    ])
    func outOfRangeArgumentsAreMessages(_ arguments: [String], _ message: String) async throws {
        let run = try await GaitwayRun.run(["query", "--db", try Self.database()] + arguments)
        #expect(!run.signalled, "killed by signal \(run.status): \(run.errors)")
        #expect(run.exited(64), "status \(run.status)")
        #expect(run.errors.contains("Error: ") && run.errors.contains(message), "\(run.errors)")
        #expect(run.output.isEmpty)
    }

    /// `--from -5` is a time (five seconds before the epoch), not a missing value followed
    /// by an option `-5`; so are the other forms the help lists, each selecting what it should.
    @Test func negativeAndOtherHelpTimesSelectSamples() async throws {
        let database = try Self.database()
        let all = try await GaitwayRun.run(["query", "--db", database, "--from", "-5", "--limit", "1"])
        #expect(all.exited(0), "\(all.errors)")
        #expect(all.output.split(separator: "\n").count == 1)
        // The quickstart capture starts at 2025-03-01T08:00:00Z; its first samples are at .060.
        let expected = ["2025-03-01T08:00:00.060Z"]
        for from in ["1740816000", "1740816000.0", "1.740816e9", "2025-03-01", "2025-03-01T08:00Z", "2025-03-01T08:00:00Z",
                     "2025-03-01 09:00+01:00", "2025-03-01T03:00:00-0500", "-62167219200"] {
            let run = try await GaitwayRun.run(["query", "--db", database, "--from", from, "--limit", "1"])
            #expect(run.exited(0), "--from \(from): \(run.errors)")
            #expect(Self.times(run.output) == expected, "--from \(from)")
        }
        // --from inclusive (the first millisecond holds samples), --to exclusive (nothing
        // is before the first sample's millisecond).
        let first = try await GaitwayRun.run(["query", "--db", database, "--from", "2025-03-01T08:00:00.06Z",
                                        "--to", "2025-03-01T08:00:00.061Z"])
        #expect(first.exited(0), "\(first.errors)")
        #expect(!first.output.isEmpty && Set(Self.times(first.output)) == ["2025-03-01T08:00:00.060Z"])
        let none = try await GaitwayRun.run(["query", "--db", database, "--from", "-5", "--to", "2025-03-01T08:00:00.060Z"])
        #expect(none.exited(0) && none.output.isEmpty)
        #expect(none.errors.contains("no samples match"))
    }

    /// `--list` names what `--device` and `--quantity` take, and the counts add up to the
    /// samples a query without filters prints.
    @Test func listNamesDevicesAndQuantities() async throws {
        let database = try Self.database()
        let list = try await GaitwayRun.run(["query", "--db", database, "--list"])
        #expect(list.exited(0), "\(list.errors)")
        let lines = list.output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == list.output.split(separator: "\n").count, "not JSON lines: \(list.output)")
        let devices = lines.filter { $0["device"] != nil }
        let quantities = lines.compactMap { $0["quantity"] as? String }
        #expect(devices.count == 4)  // quickstart: two insoles, two wristbands
        #expect(quantities.contains("heart_rate") && quantities.contains("plantar_force"))
        let samples = devices.compactMap { $0["samples"] as? Int }.reduce(0, +)
        let everything = try await GaitwayRun.run(["query", "--db", database])
        #expect(everything.exited(0))
        #expect(everything.output.split(separator: "\n").count == samples)
        let device = try #require(devices.first?["device"] as? String)
        let dashed = device.lowercased().replacingOccurrences(of: ":", with: "-")
        let heart = try await GaitwayRun.run(["query", "--db", database, "--device", dashed, "--quantity", "heart_rate",
                                        "--format", "csv"])
        #expect(heart.exited(0))
        let rows = heart.output.split(separator: "\n")
        #expect(rows.first == "time,address,quantity,channel,value,unit")
        #expect(rows.count > 1 && rows.dropFirst().allSatisfy { $0.contains(",\(device),heart_rate,,") && $0.hasSuffix(",bpm") })

        let mixed = try await GaitwayRun.run(["query", "--db", database, "--list", "--quantity", "heart_rate"])
        #expect(mixed.exited(64) && mixed.errors.contains("--list"))
    }

    /// A directory or a missing file as --db: a plain message, no SQLite code.
    @Test func databaseThatIsNotAFile() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try await GaitwayRun.run(["query", "--db", directory.path])
        #expect(folder.exited(1))
        #expect(folder.errors.contains("is a directory"), "\(folder.errors)")
        #expect(!folder.errors.contains("SQLite"))
        let text = directory.appendingPathComponent("notes.db")
        try Data("not a database, just text\n".utf8).write(to: text)
        let notDatabase = try await GaitwayRun.run(["query", "--db", text.path])
        #expect(notDatabase.exited(1))
        #expect(notDatabase.errors.contains("is not a gateway database"), "\(notDatabase.errors)")
        #expect(!notDatabase.errors.contains("SQLite 26"))
    }

    /// The help no longer promises a listing without filters (it printed every sample),
    /// documents --list, and every time it shows as an example is one the command takes.
    @Test func helpDescribesWhatTheCommandDoes() async throws {
        let help = try await GaitwayRun.run(["query", "--help"])
        #expect(help.exited(0))
        let text = help.output.replacingOccurrences(of: "\n", with: " ")
        #expect(!text.contains("Without a filter it lists"))
        #expect(text.contains("Without filters every stored sample is printed"))
        #expect(text.contains("--list"))
        let examples = ["2026-11-22T03:00:00Z", "2026-11-22T03:00Z", "2026-11-22T04:00+01:00", "2026-11-22", "1795305600",
                        "-5", "1.7e9"]
        for example in examples {
            #expect(text.contains(example), "help lacks \(example)")
            #expect(ISO8601Time.parse(example) != nil, "help shows \(example), which is refused")
        }
        for refused in ["February", "hour 24", "leap seconds", "23:59:60"] {
            #expect(text.contains(refused), "help does not say \(refused) is refused")
        }
    }

    static func times(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["time"] as? String
        }
    }
}
