import Foundation
import Testing

/// `gaitway gateway`'s settings as an operator gets them wrong: every problem at once,
/// plain messages, and nothing left on disk by a start that fails.
@Suite struct GatewaySettingsTests {
    /// Four problems in the config file and four in the flags: all eight are reported in one
    /// run (the gateway used to stop at the first), and no database is created.
    @Test func everyProblemOfTheFileAndTheFlagsIsReported() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("gateway.yaml")
        try Data("""
            hci: sim:no-such-scenario
            max-connections: 0
            duration: -3
            colour: blue
            """.utf8).write(to: config)
        let database = directory.appendingPathComponent("gateway.db").path
        let run = try await GaitwayRun.run([
            "gateway", "--config", config.path, "--db", database, "--commit-interval", "-1", "--duration", "1e13",
            "--allow", "", "--allow", "AA:BB:CC:DD:EE:GG",
        ], in: directory, timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        for message in [
            "8 problems in the gateway's settings",
            "gateway.yaml: hci sim:no-such-scenario: no such scenario",
            "gateway.yaml:2: 'max-connections' 0: must be a whole number from 1 to 3839",
            "gateway.yaml:3: 'duration' -3: must be seconds, more than 0 and at most 315360000",
            "gateway.yaml:4: unknown setting 'colour'",
            "--commit-interval -1: must be seconds, more than 0 and at most 3600",
            "--duration 10000000000000: must be seconds",
            "--allow '': an empty entry matches no device",
            "--allow 'AA:BB:CC:DD:EE:GG': not a Bluetooth address",
        ] {
            #expect(run.errors.contains(message), "no '\(message)' in: \(run.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test(arguments: [
        ("", "an empty entry matches no device"),
        (" ", "an empty entry matches no device"),
        ("AA:BB:CC", "not a Bluetooth address"),
        ("AA:BB:CC:DD:EE:FF:00", "not a Bluetooth address"),
        ("0x18G0", "not a service UUID"),
        ("0000180d-0000-1000-8000-00805f9b34fz", "not a service UUID"),
        (" Gaitway*", "spaces at the start or end"),
    ])
    func allowEntriesThatMatchNothingAreRefused(_ entry: String, _ message: String) async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("gateway.db").path
        let run = try await GaitwayRun.run(["gateway", "--allow", entry, "--db", database, "--duration", "1"], timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("--allow '\(entry)': \(message)"), "\(run.errors)")
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    /// Addresses, UUIDs and name patterns are still taken (the run starts and stops at --duration).
    @Test(.timeLimit(.minutes(5))) func validAllowEntriesAreTaken() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await GaitwayRun.run([
            "gateway", "--allow", "C1:4D:AE:E4:8F:BD", "--allow", "180D", "--allow", "Gaitway Insole*",
            "--db", directory.appendingPathComponent("gateway.db").path, "--duration", "1", "--no-status",
        ], timeout: 30)
        #expect(run.exited(0), "status \(run.status): \(run.errors)")
    }

    /// A directory where a file belongs: named as such, without Foundation's or SQLite's codes.
    @Test(arguments: ["--db", "--config", "--btsnoop"])
    func aDirectoryGivenAsAFile(_ option: String) async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var arguments = ["gateway", option, directory.path, "--duration", "1"]
        if option != "--db" { arguments += ["--db", directory.appendingPathComponent("gateway.db").path] }
        let run = try await GaitwayRun.run(arguments, in: directory, timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("\(option) \(directory.path) is a directory, not a file"), "\(run.errors)")
        for code in ["SQLite", "NSCocoaErrorDomain", "Error Domain", "errno", "Code="] {
            #expect(!run.errors.contains(code), "\(run.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("gateway.db").path))
    }

    /// Starts that fail on what was given leave no database: these used to open (create)
    /// the store first and fail after.
    @Test(arguments: [
        (["--hci", "btsnoop:/nonexistent/capture.btsnoop"], "no such file"),
        (["--hci", "sim:no-such-scenario"], "no such scenario"),
        (["--hci", "tcp-client:127.0.0.1"], "--hci: invalid transport 'tcp-client:127.0.0.1'"),
        (["--btsnoop", "/nonexistent/folder/out.btsnoop"], "the folder /nonexistent/folder does not exist"),
    ])
    func aFailedStartLeavesNoDatabase(_ arguments: [String], _ message: String) async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("gateway.db").path
        let run = try await GaitwayRun.run(["gateway", "--db", database, "--duration", "2"] + arguments, in: directory,
                                     timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains(message), "\(run.errors)")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    /// A run that fails at once at run time (here a scenario file the simulator cannot load,
    /// found only when the controller is opened) removes the empty database it created, and
    /// one that existed before is kept.
    @Test(.timeLimit(.minutes(5))) func aRunThatFailsBeforeStoringRemovesTheDatabaseItCreated() async throws {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scenario = directory.appendingPathComponent("broken.yaml")
        try Data("name: broken\npersonas: 7\n".utf8).write(to: scenario)
        let database = directory.appendingPathComponent("gateway.db").path
        let arguments = ["gateway", "--hci", "sim:\(scenario.path)", "--db", database, "--duration", "5", "--no-status"]
        let run = try await GaitwayRun.run(arguments, in: directory, timeout: 30)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("created by this run, is removed"), "\(run.errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["broken.yaml"])

        #expect(FileManager.default.createFile(atPath: database, contents: nil))
        let again = try await GaitwayRun.run(arguments, in: directory, timeout: 30)
        #expect(again.exited(1), "status \(again.status): \(again.errors)")
        #expect(FileManager.default.fileExists(atPath: database))
    }
}

/// `wearers:` in the gateway's config file, as an operator gets it wrong.
@Suite struct GatewayWearerSettingsTests {
    /// Runs `gaitway gateway --config` with `config` as the file, in a fresh folder; whether
    /// the database was created, too.
    static func gateway(config text: String, timeout: Double) async throws -> (run: GaitwayRun, created: Bool) {
        let directory = try GaitwayRun.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("gateway.yaml")
        try Data(text.utf8).write(to: config)
        let database = directory.appendingPathComponent("gateway.db").path
        let run = try await GaitwayRun.run(["gateway", "--config", config.path, "--db", database], in: directory, timeout: timeout)
        return (run, FileManager.default.fileExists(atPath: database))
    }

    @Test func everyProblemOfTheWearersIsReportedWithItsLine() async throws {
        let (run, created) = try await Self.gateway(config: """
            duration: 1
            wearers:
              - name: ada
                left-insole: D2:EE:5A:DE:B3:1A
                right-insole: C9:06:E8:87:15:43
                age: 67
                sex: female
                height-cm: 165
                weight-kg: 60
                resting-hr: 58
                max-hr: 165
              - name: ada
                wristband: ED:9C:F4:86:CF:62
              - name: bo
                wristband: D2:EE:5A:DE:B3:1A
                height-cm: 1.8
                sex: other
                resting-hr: 170
                max-hr: 160
                shoe-size: 44
              - left-insole: C9:06:E8:87
              - name: cy
            """, timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        for message in [
            "9 problems in the gateway's settings",
            "gateway.yaml:12: wearer 'ada' is already named at line 3",
            "gateway.yaml:16: 'height-cm' must be a number of centimetres from 50 to 250",
            "gateway.yaml:17: 'sex' must be female or male",
            "gateway.yaml:20: unknown wearer setting 'shoe-size'",
            "gateway.yaml:15: D2:EE:5A:DE:B3:1A (wristband of 'bo') is already worn by 'ada'",
            "gateway.yaml:14: 'resting-hr' 170 must be below 'max-hr' 160",
            "gateway.yaml:21: 'left-insole' must be a Bluetooth address",
            "gateway.yaml:21: a wearer needs a name",
            "gateway.yaml:22: wearer 'cy' wears no device",
        ] {
            #expect(run.errors.contains(message), "no '\(message)' in: \(run.errors)")
        }
        #expect(!created)
    }

    @Test func anUnknownTimeZoneIsNamedWithItsSource() async throws {
        let (run, created) = try await Self.gateway(config: "duration: 1\ntime-zone: Europe/Atlantis\n", timeout: 20)
        #expect(run.exited(1), "status \(run.status): \(run.errors)")
        #expect(run.errors.contains("gateway.yaml: time-zone 'Europe/Atlantis' is not a time zone"), "\(run.errors)")
        #expect(!created)
        let flag = try await GaitwayRun.run(["gateway", "--time-zone", "Mars/Olympus", "--duration", "1"], timeout: 20)
        #expect(flag.exited(1) && flag.errors.contains("--time-zone 'Mars/Olympus' is not a time zone"), "\(flag.errors)")
    }

    @Test func aGoodWearerListIsTaken() async throws {
        let (run, created) = try await Self.gateway(config: """
            duration: 1
            wearers:
              - {name: ada, left-insole: D2:EE:5A:DE:B3:1A, right-insole: c9-06-e8-87-15-43, age: 67, sex: female}
              - {name: bo, wristband: ED:9C:F4:86:CF:62, height-cm: 180, weight-kg: 80.5, resting-hr: 50, max-hr: 190}
            time-zone: America/New_York
            """, timeout: 60)
        #expect(run.exited(0), "status \(run.status): \(run.errors)")
        #expect(created)
    }
}
