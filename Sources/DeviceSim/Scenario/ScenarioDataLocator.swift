import Foundation

/// Finds the recorded data a scenario replays. A relative path is tried, in order, against:
/// the scenario file's directory; each directory of ``ScenarioLoader/Options/dataDirectories``;
/// each directory in the `GAITWAY_DATA` environment variable (colon-separated); the repository
/// root (the nearest directory above the scenario file holding `Package.swift`); and
/// `../shared/data` next to that root. An absolute path is taken as it is.
struct ScenarioDataLocator: Sendable {
    let searchDirectories: [String]

    init(scenarioFile: String, dataDirectories: [String], environment: [String: String] = ProcessInfo.processInfo.environment) {
        let scenarioDirectory = URL(fileURLWithPath: scenarioFile).deletingLastPathComponent().standardizedFileURL
        var directories = [scenarioDirectory.path] + dataDirectories
        if let variable = environment["GAITWAY_DATA"] {
            directories += variable.split(separator: ":").map(String.init)
        }
        var candidate = scenarioDirectory
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("Package.swift").path) {
                directories.append(candidate.path)
                directories.append(candidate.deletingLastPathComponent().appendingPathComponent("shared/data").path)
                break
            }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { break }
            candidate = parent
        }
        var seen = Set<String>()
        searchDirectories = directories.filter { seen.insert($0).inserted }
    }

    func find(_ path: String) -> String? {
        if path.hasPrefix("/") { return FileManager.default.fileExists(atPath: path) ? path : nil }
        for directory in searchDirectories {
            let full = URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue { return full }
        }
        return nil
    }
}
