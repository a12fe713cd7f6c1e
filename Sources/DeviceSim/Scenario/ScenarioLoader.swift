import Foundation
import ProtocolSpecs

/// Reads scenario files (`Simulators/*.yaml`, format in `Simulators/README.md`) into validated
/// ``ScenarioTemplate``s.
///
/// Every mistake is reported with its file, line and column, and as many as can be found in one
/// pass: `gym-100.yaml:14:18: cadence 400 steps/min is outside 20...250`.
public enum ScenarioLoader {
    public struct Options: Sendable {
        /// Payload specs that `specs:` may name; `nil`: the repository's bundled `Protocols/`.
        public var catalog: ProtocolCatalog?
        /// Extra directories searched for replayed recordings (after the scenario's own directory).
        public var dataDirectories: [String]

        public init(catalog: ProtocolCatalog? = nil, dataDirectories: [String] = []) {
            self.catalog = catalog
            self.dataDirectories = dataDirectories
        }
    }

    /// The repository's `Simulators/` directory, found from this source file's location (for
    /// tests and development runs; an installed binary is given its directories).
    public static var repositorySimulatorsDirectory: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() } // ScenarioLoader.swift, Scenario, DeviceSim, Sources
        return url.appendingPathComponent("Simulators").path
    }

    /// The file for `--scenario NAME|FILE`: an existing path as it is, otherwise `NAME.yaml` in
    /// `directories` (by default the repository's `Simulators/`).
    public static func locate(_ nameOrPath: String, in directories: [String] = [repositorySimulatorsDirectory]) -> String? {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        for directory in directories {
            for name in [nameOrPath, nameOrPath + ".yaml", nameOrPath + ".yml"] {
                let path = (directory as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }

    /// Loads and validates the scenario in `path`.
    public static func load(file path: String, options: Options = .init()) throws(ScenarioErrors) -> ScenarioTemplate {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioErrors([SpecError(file: path, line: 0, column: 0, message: "cannot read: \(error.localizedDescription)")])
        }
        return try load(yaml: text, file: path, options: options)
    }

    /// Loads a scenario from YAML text; `file` names it in errors and anchors relative replay paths.
    public static func load(yaml: String, file: String, options: Options = .init()) throws(ScenarioErrors) -> ScenarioTemplate {
        let root: SpecNode
        do {
            root = try SpecNode.parse(yaml: yaml, file: file)
        } catch {
            throw ScenarioErrors([error])
        }
        let catalog: ProtocolCatalog
        if let given = options.catalog {
            catalog = given
        } else {
            do { catalog = try ProtocolCatalog.bundled() } catch { throw error }
        }
        var parser = ScenarioParser(specNames: catalog.specs.map(\.name).sorted(),
                                    locator: ScenarioDataLocator(scenarioFile: file, dataDirectories: options.dataDirectories))
        let template = parser.parse(root)
        guard let template, parser.reader.errors.isEmpty else {
            // The scenario's own errors in line order; those inside replayed files after them.
            let ordered = parser.reader.errors.enumerated().sorted {
                ($0.element.file != file ? 1 : 0, $0.element.line, $0.element.column, $0.offset)
                    < ($1.element.file != file ? 1 : 0, $1.element.line, $1.element.column, $1.offset)
            }.map(\.element)
            throw ScenarioErrors(ordered)
        }
        return template
    }
}
