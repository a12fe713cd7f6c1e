import BLEWire
import Foundation

/// All loaded payload specs, looked up the ways the gateway meets payloads: by GATT
/// characteristic UUID, by advertising service-data UUID, by manufacturer company id,
/// and by name.
public struct ProtocolCatalog: Sendable {
    public private(set) var specs: [ProtocolSpec]
    var byName: [String: Int] = [:]
    var byCharacteristic: [BluetoothUUID: Int] = [:]
    var byServiceData: [BluetoothUUID: Int] = [:]
    var byManufacturer: [UInt16: Int] = [:]

    /// Indexes `specs`; a name, UUID or company id claimed twice is an error naming both files.
    public init(specs: [ProtocolSpec]) throws(SpecLoadErrors) {
        self.specs = specs
        var errors: [SpecError] = []
        for (index, spec) in specs.enumerated() {
            func claim<Key: Hashable>(_ key: Key, _ table: inout [Key: Int], _ what: String) {
                if let other = table[key] {
                    errors.append(SpecError(file: spec.file, line: 0, column: 0,
                                            message: "\(what) is also claimed by '\(specs[other].name)' in \(specs[other].file)"))
                } else {
                    table[key] = index
                }
            }
            claim(spec.name, &byName, "name '\(spec.name)'")
            for uuid in spec.characteristics { claim(uuid, &byCharacteristic, "characteristic \(uuid)") }
            for uuid in spec.serviceData { claim(uuid, &byServiceData, "service-data UUID \(uuid)") }
            for id in spec.manufacturers {
                claim(id, &byManufacturer, "manufacturer id 0x\(String(id, radix: 16, uppercase: true))")
            }
        }
        if !errors.isEmpty { throw SpecLoadErrors(errors) }
    }

    /// Loads every `*.yaml`/`*.yml` file in `directories` (e.g. the bundled `Protocols/`
    /// followed by user directories), in name order. All errors of all files are reported.
    public static func load(directories: [String]) throws(SpecLoadErrors) -> ProtocolCatalog {
        var files: [String] = []
        var errors: [SpecError] = []
        for directory in directories {
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: directory)
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
                    .map { (directory as NSString).appendingPathComponent($0) }
            } catch {
                errors.append(SpecError(file: directory, line: 0, column: 0, message: "cannot list the directory"))
            }
        }
        if !errors.isEmpty { throw SpecLoadErrors(errors) }
        return try load(files: files)
    }

    /// Loads the given spec files.
    public static func load(files: [String]) throws(SpecLoadErrors) -> ProtocolCatalog {
        var specs: [ProtocolSpec] = []
        var errors: [SpecError] = []
        for file in files {
            do {
                specs.append(try SpecLoader.load(file: file))
            } catch {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw SpecLoadErrors(errors) }
        return try ProtocolCatalog(specs: specs)
    }

    /// The repository's `Protocols/` directory, found from this source file's location.
    /// For tests and development runs; an installed binary gets its path from configuration.
    public static var repositoryProtocolsDirectory: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() } // ProtocolCatalog.swift, ProtocolSpecs, Sources
        return url.appendingPathComponent("Protocols").path
    }

    /// The repository's bundled specs.
    public static func bundled() throws(SpecLoadErrors) -> ProtocolCatalog {
        try load(directories: [repositoryProtocolsDirectory])
    }

    public func spec(named name: String) -> ProtocolSpec? { byName[name].map { specs[$0] } }

    public func spec(forCharacteristic uuid: BluetoothUUID) -> ProtocolSpec? {
        byCharacteristic[uuid].map { specs[$0] }
    }

    public func spec(forServiceData uuid: BluetoothUUID) -> ProtocolSpec? {
        byServiceData[uuid].map { specs[$0] }
    }

    public func spec(forManufacturer companyID: UInt16) -> ProtocolSpec? {
        byManufacturer[companyID].map { specs[$0] }
    }
}
