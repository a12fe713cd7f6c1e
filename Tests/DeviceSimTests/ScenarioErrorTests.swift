import Foundation
import ProtocolSpecs
import Testing

@testable import DeviceSim

/// Mistakes in scenario files are reported as `file:line:column: what is wrong`, as many as
/// can be found in one pass.
@Suite struct ScenarioErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        /// `file:line:column`.
        var position: String
        /// Text the message must contain.
        var message: String
        var testDescription: String { name }
    }

    /// A valid persona to build broken scenarios around.
    static let base = """
        name: broken
        personas:
          - name: alice
            devices:
              - kind: insoles
              - kind: wristband

        """

    static let cases: [Case] = [
        Case(name: "unknown key, with a suggestion", yaml: base + """
              - name: bob
                gait: {cadance: 110}
            """, position: "bad.yaml:8:12",
             message: "unknown key 'cadance' in gait (did you mean 'cadence'? expected one of: cadence, stride_length,"),
        Case(name: "value out of range", yaml: base + """
              - name: bob
                gait:
                  cadence: 400
            """, position: "bad.yaml:9:16", message: "cadence 400 steps/min is outside 20...250"),
        Case(name: "variation out of range", yaml: base + """
              - name: bob
                count: 3
                height: {mean: 1.7, sd: 0.1, max: 3}
            """, position: "bad.yaml:9:13", message: "a variation is either {mean, sd} or {min, max}, not both"),
        Case(name: "wrong type: text for a number", yaml: base + """
              - name: bob
                age: old
            """, position: "bad.yaml:8:10", message: "age must be a number, not 'old'"),
        Case(name: "wrong type: list for a mapping", yaml: base + """
              - name: bob
                gait: [110, 1.4]
            """, position: "bad.yaml:8:11", message: "gait must be a mapping (key: value)"),
        Case(name: "unknown spec name", yaml: base + """
              - name: bob
                devices:
                  - kind: insoles
                    specs: [gaitway-insol]
            """, position: "bad.yaml:10:17", message: "unknown spec 'gaitway-insol' (did you mean 'gaitway-insole'?"),
        Case(name: "unknown persona in a fault target", yaml: base + """
            faults:
              - {kind: disconnect, target: alcie/wristband, at: 10s}
            """, position: "bad.yaml:8:32", message: "unknown persona 'alcie' (did you mean 'alice'? personas: alice)"),
        Case(name: "unknown persona in a group", yaml: base + """
            groups:
              - name: crowd
                count: 10
                mix: [{persona: zed}]
            """, position: "bad.yaml:10:21", message: "unknown persona 'zed'"),
        Case(name: "overlapping timeline segments", yaml: base + """
              - name: bob
                devices: [{kind: wristband}]
                activity:
                  - {do: walk, for: 5min}
                  - {do: run, at: 4min}
            """, position: "bad.yaml:11:23", message: "this segment (at 240 s) overlaps the previous one (walk until 300 s)"),
        Case(name: "unordered timeline segments", yaml: base + """
              - name: bob
                devices: [{kind: wristband}]
                activity:
                  - {do: walk, at: 10min, for: 1min}
                  - {do: run, at: 2min}
            """, position: "bad.yaml:11:23",
             message: "segments out of order: this one starts at 120 s, before the previous one (walk from 600 s)"),
        Case(name: "segment without an end followed by one without a start", yaml: base + """
              - name: bob
                devices: [{kind: wristband}]
                activity:
                  - {do: walk}
                  - {do: run}
            """, position: "bad.yaml:10:9", message: "this walk segment has no 'for' or 'until'"),
        Case(name: "replay file missing", yaml: base + """
              - name: bob
                devices: [{kind: wristband}]
                replay:
                  rr: {file: no-such-rr.txt}
            """, position: "bad.yaml:10:18", message: "replay file 'no-such-rr.txt' not found (looked in: "),
        Case(name: "insole cell count", yaml: base + """
              - name: bob
                devices: [{kind: insoles, cells: 12}]
            """, position: "bad.yaml:8:38", message: "cells must be 8 or 16, not 12"),
        Case(name: "stuck cell beyond the insole", yaml: base + """
            faults:
              - {kind: stuck_cell, target: alice/left, cell: 9}
            """, position: "bad.yaml:8:50", message: "cell 9 does not exist: the targeted insoles have 8 cells (0...7)"),
        Case(name: "event fault without a time", yaml: base + """
            faults:
              - {kind: reboot, target: alice}
            """, position: "bad.yaml:8:5", message: "a reboot fault needs 'at' (a time) or 'rate'"),
        Case(name: "key of another fault kind", yaml: base + """
            faults:
              - {kind: disconnect, at: 1min, cell: 3}
            """, position: "bad.yaml:8:34",
             message: "unknown key 'cell' in a disconnect fault (expected one of: kind, target, at, rate, duration)"),
        Case(name: "ectopic beats on someone without a wristband", yaml: base + """
              - name: bob
                devices: [{kind: insoles}]
            faults:
              - {kind: ectopic_beats, target: bob, rate: 5}
            """, position: "bad.yaml:10:35", message: "ectopic beats show on a wristband, and target 'bob' has none"),
        Case(name: "duplicate persona", yaml: base + """
              - name: alice
            """, position: "bad.yaml:7:11", message: "persona 'alice' is already defined on line 3"),
        Case(name: "malformed address", yaml: base + """
              - name: bob
                devices: [{kind: wristband, firmware: {address: "C0:FF:EE"}}]
            """, position: "bad.yaml:8:53", message: "address 'C0:FF:EE' is not AA:BB:CC:DD:EE:FF"),
        Case(name: "fixed address on a persona with a count", yaml: base + """
              - name: bob
                count: 2
                devices: [{kind: wristband, firmware: {address: "C0:00:00:00:00:01"}}]
            """, position: "bad.yaml:9:53", message: "a fixed address on a persona with count 2 would repeat"),
        Case(name: "speed on a rest segment", yaml: base + """
              - name: bob
                activity: [{do: rest, speed: 1}]
            """, position: "bad.yaml:8:34", message: "'speed' applies to walk and run, not to rest"),
        Case(name: "start time that is not ISO 8601", yaml: """
            name: broken
            start: 1 March 2025
            personas: [{name: a, devices: [{kind: wristband}]}]
            """, position: "bad.yaml:2:8", message: "start must be an ISO 8601 UTC time"),
        Case(name: "no name", yaml: """
            personas: [{name: a}]
            """, position: "bad.yaml:1:1", message: "a scenario needs a 'name'"),
        Case(name: "YAML syntax", yaml: """
            name: broken
            personas: [{name: a
            """, position: "bad.yaml:3:1", message: "not valid YAML"),
        Case(name: "limp side", yaml: base + """
              - name: bob
                gait: {limp: {side: middle, severity: 0.5}}
            """, position: "bad.yaml:8:25", message: "side 'middle' is not one of: left, right"),
    ]

    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("\(error)") }
    }()

    static func errors(_ yaml: String) -> [SpecError] {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, file: "bad.yaml", options: .init(catalog: catalog))
            return []
        } catch {
            return error.errors
        }
    }

    @Test(arguments: cases)
    func reportsFileLineAndColumn(_ test: Case) {
        let errors = Self.errors(test.yaml)
        #expect(errors.count == 1, "\(errors)")
        guard let error = errors.first else { return }
        #expect("\(error.file):\(error.line):\(error.column)" == test.position, "\(error)")
        #expect(error.message.contains(test.message), "\(error)")
        #expect(error.description.hasPrefix(test.position + ": "))
    }

    @Test func reportsSeveralErrorsAtOnce() {
        let errors = Self.errors(Self.base + """
              - name: bob
                age: 300
                sex: robot
                gait: {cadence: 10, strike: toe}
                devices: [{kind: wristband, specs: [nope]}]
            faults:
              - {kind: disconnect, target: nobody, at: 1s}
            """)
        #expect(errors.map { "\($0.line):\($0.column)" } == ["8:10", "9:10", "10:21", "10:33", "11:41", "13:32"], "\(errors)")
        #expect(errors[0].message == "age 300 years is outside 5...110")
    }

    @Test func reportsMistakesInsideAReplayedFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-rr-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rr = directory.appendingPathComponent("rr.txt")
        try "# test\n0.8\n0.81\n  7.5\n".write(to: rr, atomically: true, encoding: .utf8)
        let scenario = directory.appendingPathComponent("s.yaml").path
        do {
            _ = try ScenarioLoader.load(yaml: """
                name: s
                personas:
                  - name: a
                    devices: [{kind: wristband}]
                    replay: {rr: {file: rr.txt}}
                """, file: scenario, options: .init(catalog: Self.catalog))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "\(rr.path):4:3: RR interval 7.5 s is outside 0.2...3.0")
        }
    }

    @Test func resolutionRejectsABadDeviceCount() throws {
        let template = try ScenarioLoader.load(yaml: Self.base, file: "ok.yaml", options: .init(catalog: Self.catalog))
        #expect(throws: SpecLoadErrors.self) { try template.resolve(devices: 0) }
    }
}
