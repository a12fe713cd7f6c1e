import Foundation

enum SimulationFiles {
    static func read(_ path: String) throws(SimulationError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulationError("cannot read \(path)")
        }
        return Array(data)
    }
}
