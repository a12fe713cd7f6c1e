import BLEWire
import Foundation
import ProtocolSpecs
import Testing

/// A bad spec file must be rejected with its file, line and column and what is wrong.
@Suite struct SpecLoaderErrorTests {
    static let header = """
        name: test-format
        uuids:
          characteristics: [ffe1]
        reference:
          document: a test
        fields:

        """

    func loadError(_ fields: String, file: String = "test.yaml") -> SpecError? {
        do {
            _ = try SpecLoader.load(yaml: Self.header + fields, file: file)
            return nil
        } catch {
            return error
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let fields: String
        let line: Int
        let column: Int
        let message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        Case(fields: "  - {name: a, type: u8, iff: x}\n", line: 7, column: 25, message: "unknown key 'iff' in a field"),
        Case(fields: "  - {name: a, type: u13x}\n", line: 7, column: 21, message: "unknown type 'u13x'"),
        Case(fields: "  - {name: a, type: u8, if: rr_present}\n", line: 7, column: 29, message: "unknown flag 'rr_present' (none defined so far"),
        Case(fields: "  - {name: f, type: u8, hidden: true, bits: {a: 0}}\n  - {name: b, type: u8, if: \"!bb\"}\n",
             line: 8, column: 29, message: "unknown flag 'bb' (known: a;"),
        Case(fields: "  - {name: a, type: u16, scale: fast}\n", line: 7, column: 33, message: "scale must be a number"),
        Case(fields: "  - {name: a, type: u16, scale: 1/0}\n", line: 7, column: 33, message: "scale must be a number"),
        Case(fields: "  - {name: a, type: u12}\n", line: 7, column: 21, message: "u12 is not a whole number of bytes"),
        Case(fields: "  - {name: a, type: u12, repeat: to_end}\n", line: 7, column: 21, message: "packed u12 values need a fixed 'count'"),
        Case(fields: "  - {name: a, type: u8, repeat: to_end}\n  - {name: b, type: u8}\n", line: 8, column: 5, message: "can never be read"),
        Case(fields: "  - {name: HeartRate, type: u8}\n", line: 7, column: 12, message: "snake_case"),
        Case(fields: "  - {name: f, type: u8, bits: {a: 9}}\n", line: 7, column: 35, message: "bit position"),
        Case(fields: "  - {name: a, type: u8, absent: empty}\n", line: 7, column: 33, message: "only for repeated fields"),
        Case(fields: "  - {name: a, type: u8, enum: {x: one}}\n", line: 7, column: 32, message: "enum value must be an integer"),
        Case(fields: "  - name: a\n    type: [u8\n", line: 9, column: 1, message: "not valid YAML"),
        Case(fields: "  - {name: t, type: tagged, objects: {0x01: {name: a, type: u8}, 1: {name: b, type: u8}}}\n",
             line: 7, column: 66, message: "object id 1 is defined twice"),
    ])
    func rejects(_ bad: Case) throws {
        let error = try #require(loadError(bad.fields))
        #expect(error.file == "test.yaml")
        #expect(error.message.contains(bad.message), "\(error)")
        #expect(error.line == bad.line, "\(error)")
        #expect(error.column == bad.column, "\(error)")
        #expect(error.description.hasPrefix("test.yaml:\(bad.line):\(bad.column): "))
    }

    @Test func topLevelProblems() throws {
        #expect(throws: SpecError.self) { try SpecLoader.load(yaml: "name: x\n", file: "a.yaml") }
        do {
            _ = try SpecLoader.load(yaml: Self.header.replacingOccurrences(of: "ffe1", with: "zz") + "  - {name: a, type: u8}\n", file: "u.yaml")
            Issue.record("bad UUID accepted")
        } catch {
            #expect(error.line == 3 && error.message.contains("not a UUID"), "\(error)")
        }
        do {
            _ = try SpecLoader.load(yaml: "nmae: x\n", file: "k.yaml")
            Issue.record("unknown top-level key accepted")
        } catch {
            #expect(error.description.hasPrefix("k.yaml:1:1: unknown key 'nmae' in a spec"), "\(error)")
        }
        do {
            _ = try SpecLoader.load(yaml: Self.header + "  - {name: a, type: u8}\nvectors:\n  - {hex: 01, fields: {a: 1}, error: {offset: 0}}\n", file: "v.yaml")
            Issue.record("vector with fields and error accepted")
        } catch {
            #expect(error.line == 9 && error.message.contains("exactly one of"), "\(error)")
        }
    }

    /// Two files claiming one characteristic: the error names both files.
    @Test func duplicateUUIDAcrossFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spec-dup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = Self.header + "  - {name: a, type: u8}\n"
        let second = first.replacingOccurrences(of: "name: test-format", with: "name: other-format")
        try first.write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try second.write(to: directory.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try ProtocolCatalog.load(directories: [directory.path])
            Issue.record("duplicate UUID accepted")
        } catch {
            let text = error.description
            #expect(text.contains("b.yaml: characteristic ffe1 is also claimed by 'test-format' in"), "\(text)")
            #expect(text.contains("a.yaml"))
        }
        // A broken file is reported with its path, and the others still load into the report.
        try "name: [\n".write(to: directory.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try ProtocolCatalog.load(directories: [directory.path])
        } catch {
            #expect(error.errors.contains { $0.file.hasSuffix("c.yaml") && $0.line > 0 }, "\(error)")
        }
    }

    /// The vector checker itself catches a wrong expectation, a wrong offset and a wrong encoding.
    @Test func verifierCatchesWrongVectors() throws {
        let spec = try SpecLoader.load(yaml: Self.header + """
              - {name: f, type: u8, hidden: true, bits: {wide: 0}}
              - {name: a, type: u8, if: "!wide"}
              - {name: a, type: u16, if: wide}
            vectors:
              - {name: wrong value, hex: 00 05, fields: {a: 6}}
              - {name: wrong offset, hex: 01 05, error: {offset: 0}}
              - {name: needs a hint, hex: 01 05 00, fields: {a: 5}}
              - {name: with the hint, hex: 01 05 00, fields: {a: 5}, hints: {wide: 1}}
            """, file: "w.yaml")
        #expect(spec.verify(spec.vectors[0]).first?.contains("decoded {\"a\":5}, expected {\"a\":6}") == true)
        #expect(spec.verify(spec.vectors[1]).first?.contains("error at offset 1, expected 0") == true)
        #expect(spec.verify(spec.vectors[2]).first?.contains("encoded 0005, expected 010500") == true)
        #expect(spec.verify(spec.vectors[3]).isEmpty)
    }
}
