import BLEWire
import Dissector
import Foundation
import GaitwayTestSupport
import ProtocolSpecs
import Testing

/// What the tests that compare `gaitway decode` with tools nobody here wrote add to the shared
/// ``Reference`` (tool discovery, `run`, `jsonLines`): this target's fixtures and our decoder.
extension Reference {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    static let catalog: ProtocolCatalog = {
        do { return try ProtocolCatalog.bundled() } catch { fatalError("bundled Protocols specs do not load: \(error)") }
    }()

    /// Every value `gaitway decode` finds in a capture.
    static func decode(_ file: URL, overrides: [AttributeHandle: BluetoothUUID] = [:]) throws -> [DecodedValue] {
        let bytes = Array(try Data(contentsOf: file))
        var dissector = CaptureDissector(catalog: catalog, handleOverrides: overrides)
        var values: [DecodedValue] = []
        try dissector.dissect(file: bytes.span.bytes) { values.append($0) }
        return values
    }

    /// JSON object text -> a value that compares structurally (numbers by value).
    static func object(_ json: String) throws -> NSDictionary {
        try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary)
    }
}
