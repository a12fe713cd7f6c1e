import Foundation
import Testing

/// `gaitway sim`'s numbers: bounded where they are read, the device count by the memory
/// the simulation would take.
@Suite struct SimCommandTests {
    /// A million devices under a 2 GB data limit (`ulimit -d`): refused at once with the
    /// memory they would need (64 kB each: 61.1 GB), instead of resolving a million devices
    /// until malloc fails.
    @Test(.timeLimit(.minutes(5))) func anAbsurdDeviceCountIsRefusedWithTheMemoryItNeeds() async throws {
        let start = Date()
        let run = try await GaitwayRun.run(["sim", "--scenario", "gym-100", "--devices", "1000000", "--duration", "1"],
                                     timeout: 30, dataLimit: 2 * 1024 * 1024)
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(!run.signalled, "killed by signal \(run.status): \(run.errors)")
        #expect(run.exited(64), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("--devices 1000000 would need about 61.1 GB of memory"), "\(run.errors)")
        #expect(run.errors.contains("data limit (ulimit -d) is 2.0 GB"), "\(run.errors)")
        // (2 GB - 48 MB base) / 64 kB
        #expect(run.errors.contains("at most 32000 devices fit"), "\(run.errors)")
    }

    /// A count that fits runs, under the same limit.
    @Test(.timeLimit(.minutes(5))) func aCountThatFitsRuns() async throws {
        let run = try await GaitwayRun.run(["sim", "--scenario", "gym-100", "--devices", "20", "--duration", "1"],
                                     dataLimit: 2 * 1024 * 1024)
        #expect(run.exited(0), "\(run.errors)")
        #expect(run.errors.contains("20 devices, 1 s simulated"), "\(run.errors)")
    }

    /// Each refused where it is read, with the range; negative numbers are read as numbers
    /// (`--duration -5` used to say "Missing value").
    @Test(arguments: [
        (["--devices", "-5"], "-5 is outside 1...1000000"),
        (["--devices", "1000001"], "1000001 is outside 1...1000000"),
        (["--devices", "99999999999999999999"], "is outside 1...1000000"),
        (["--duration", "-5"], "-5 s is outside the range: more than 0 and at most 2592000 s"),
        (["--duration", "1e300"], "1e300 s is outside the range"),
        (["--duration", "nan"], "expected seconds"),
        (["--speed", "inf"], "inf is outside 0.001...1000"),
        (["--speed", "0"], "0 is outside 0.001...1000"),
        (["--seed", "-1"], "-1 is outside 0...18446744073709551615"),
        (["--max-connections", "0"], "0 is outside 1...3839"),
        (["--max-connections", "-3"], "-3 is outside 1...3839"),
    ])
    func numbersOutOfRangeAreMessages(_ arguments: [String], _ message: String) async throws {
        let run = try await GaitwayRun.run(["sim", "--scenario", "quickstart"] + arguments, timeout: 20)
        #expect(!run.signalled, "killed by signal \(run.status): \(run.errors)")
        #expect(run.exited(64), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
    }

    /// Output files that cannot be written are named before the simulation runs.
    @Test func outputFilesAreCheckedFirst() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = try await GaitwayRun.run(["sim", "--duration", "1", "--btsnoop", directory.path])
        #expect(folder.exited(64) && folder.errors.contains("--btsnoop \(directory.path) is a directory"), "\(folder.errors)")
        let missing = directory.appendingPathComponent("no/such/truth.jsonl").path
        let truth = try await GaitwayRun.run(["sim", "--duration", "1", "--truth", missing])
        #expect(truth.exited(64) && truth.errors.contains("does not exist"), "\(truth.errors)")
    }

    /// The scenarios `gaitway sim --help` names are those in Simulators/ (it left out
    /// replay-ppg), and each runs.
    @Test func helpNamesTheScenariosThereAre() async throws {
        let help = try await GaitwayRun.run(["sim", "--help"])
        #expect(help.exited(0))
        let text = help.output.replacingOccurrences(of: "\n", with: " ")
        let listed = try #require(text.range(of: "Scenarios: ").flatMap { start in
            text[start.upperBound...].range(of: " (in Simulators/)").map { text[start.upperBound..<$0.lowerBound] }
        })
        let names = Set(listed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let files = try FileManager.default.contentsOfDirectory(
            atPath: GaitwayRun.repository.appendingPathComponent("Simulators").path)
        let scenarios = Set(files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) })
        #expect(names == scenarios)
        for name in names.sorted() {
            let run = try await GaitwayRun.run(["sim", "--scenario", name, "--duration", "1"], in: GaitwayRun.repository)
            #expect(run.exited(0), "\(name): \(run.errors)")
        }
    }
}
