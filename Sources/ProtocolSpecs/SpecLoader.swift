import BLEWire
import Foundation
import Yams

/// Reads one spec file's YAML text into a compiled ``ProtocolSpec``.
///
/// Every mistake is reported as a ``SpecError`` naming the file, line and column: an
/// unknown key, an unknown type, a condition naming a flag that does not exist, a scale
/// that is not a number, a malformed UUID or test vector, and so on.
public enum SpecLoader {
    static let topKeys = ["name", "title", "description", "uuids", "reference", "endian", "fields", "geometry", "vectors"]

    /// Loads the spec in `path`.
    public static func load(file path: String) throws(SpecError) -> ProtocolSpec {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SpecError(file: path, line: 0, column: 0, message: "cannot read: \(error.localizedDescription)")
        }
        return try load(yaml: text, file: path)
    }

    /// Loads a spec from YAML text; `file` names it in errors.
    public static func load(yaml: String, file: String) throws(SpecError) -> ProtocolSpec {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SpecError(file: file, line: 0, column: 0, message: "the file is empty")
            }
            root = node
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw yamlError(error, file: file)
        } catch {
            throw SpecError(file: file, line: 0, column: 0, message: "not valid YAML: \(error)")
        }
        return try parse(SpecNode(node: root, file: file))
    }

    static func yamlError(_ error: YamlError, file: String) -> SpecError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let text = [context.map { "\($0.text)" }, problem].compactMap { $0 }.joined(separator: ": ")
            return SpecError(file: file, line: mark.line, column: mark.column, message: "not valid YAML: \(text)")
        default:
            return SpecError(file: file, line: 0, column: 0, message: "not valid YAML: \(error)")
        }
    }

    static func parse(_ root: SpecNode) throws(SpecError) -> ProtocolSpec {
        try root.checkKeys(topKeys, in: "a spec")
        guard let nameNode = root["name"] else { throw root.error("a spec needs a 'name'") }
        let name = try nameNode.string("name")
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw nameNode.error("spec name '\(name)' must be lowercase letters, digits and dashes (kebab-case)")
        }
        let title = try root["title"]?.string("title") ?? name
        let summary = try root["description"]?.string("description")

        // UUIDs.
        guard let uuidsNode = root["uuids"] else {
            throw root.error("a spec needs 'uuids' (characteristics, service_data or manufacturer) so that it can be found")
        }
        try uuidsNode.checkKeys(["characteristics", "service_data", "manufacturer"], in: "uuids")
        var characteristics: [BluetoothUUID] = [], serviceData: [BluetoothUUID] = [], manufacturers: [UInt16] = []
        for node in try uuidsNode["characteristics"]?.list("characteristics") ?? [] {
            characteristics.append(try uuid(node))
        }
        for node in try uuidsNode["service_data"]?.list("service_data") ?? [] {
            serviceData.append(try uuid(node))
        }
        for node in try uuidsNode["manufacturer"]?.list("manufacturer") ?? [] {
            let id = try node.integer("company identifier")
            guard (0...0xFFFF).contains(id) else { throw node.error("a company identifier is 16 bits (0x0000-0xFFFF)") }
            manufacturers.append(UInt16(id))
        }
        guard !(characteristics.isEmpty && serviceData.isEmpty && manufacturers.isEmpty) else {
            throw uuidsNode.error("'uuids' lists no characteristic, service-data UUID or manufacturer id")
        }

        // Reference.
        guard let referenceNode = root["reference"] else {
            throw root.error("a spec needs a 'reference' (document and section it follows)")
        }
        try referenceNode.checkKeys(["document", "section", "url"], in: "reference")
        guard let document = referenceNode["document"] else { throw referenceNode.error("reference needs a 'document'") }
        let reference = SpecReference(document: try document.string("document"),
                                      section: try referenceNode["section"]?.string("section"),
                                      url: try referenceNode["url"]?.string("url"))

        // Fields.
        var compiler = SpecCompiler()
        if let endian = root["endian"] {
            switch try endian.string("endian") {
            case "little": compiler.bigEndianDefault = false
            case "big": compiler.bigEndianDefault = true
            case let other: throw endian.error("endian must be 'little' or 'big', not '\(other)'")
            }
        }
        guard let fieldsNode = root["fields"] else { throw root.error("a spec needs 'fields'") }
        try compiler.compileFields(fieldsNode, depth: 0)

        let geometry = try root["geometry"].map { (node: SpecNode) throws(SpecError) in try parseGeometry(node) }
        var vectors: [SpecTestVector] = []
        for node in try root["vectors"]?.sequence("vectors") ?? [] {
            vectors.append(try parseVector(node))
        }
        return ProtocolSpec(name: name, title: title, summary: summary, characteristics: characteristics,
                            serviceData: serviceData, manufacturers: manufacturers, reference: reference,
                            program: compiler.program, vectors: vectors, geometry: geometry, file: root.file)
    }

    static func uuid(_ node: SpecNode) throws(SpecError) -> BluetoothUUID {
        let text = try node.string("UUID")
        guard let uuid = BluetoothUUID(text) else {
            throw node.error("'\(text)' is not a UUID (expected 2a37, 0x2A37, or a dashed 128-bit UUID)")
        }
        return uuid
    }

    static func parseVector(_ node: SpecNode) throws(SpecError) -> SpecTestVector {
        try node.checkKeys(["name", "source", "hex", "fields", "error", "hints", "encode"], in: "a test vector")
        let name = try node["name"]?.string("name") ?? "line \(node.line)"
        guard let hexNode = node["hex"] else { throw node.error("a test vector needs 'hex'") }
        let hexText = try hexNode.string("hex")
        guard let bytes = [UInt8](hex: hexText) else { throw hexNode.error("'\(hexText)' is not hex bytes") }
        var fields: PayloadObject?
        if let fieldsNode = node["fields"] {
            guard case let .object(object) = try fieldsNode.payloadValue() else {
                throw fieldsNode.error("'fields' must be a mapping of field name to value")
            }
            fields = object
        }
        var expected: SpecTestVector.ExpectedError?
        if let errorNode = node["error"] {
            try errorNode.checkKeys(["offset", "message"], in: "an expected error")
            guard let offset = errorNode["offset"] else { throw errorNode.error("an expected error needs the byte 'offset'") }
            expected = .init(offset: Int(try offset.integer("offset")), message: try errorNode["message"]?.string("message"))
        }
        guard (fields == nil) != (expected == nil) else {
            throw node.error("a test vector needs exactly one of 'fields' (expected values) or 'error'")
        }
        var hints: [String: Int] = [:]
        if let hintsNode = node["hints"] {
            for (key, value) in try hintsNode.mapping("hints") {
                let text = try value.string("hint")
                hints[try key.string("hint")] = text == "true" ? 1 : text == "false" ? 0 : Int(try value.integer("hint"))
            }
        }
        return SpecTestVector(name: name, source: try node["source"]?.string("source"), bytes: bytes, fields: fields,
                              expectedError: expected, hints: hints, encodes: try node["encode"]?.bool("encode") ?? true,
                              line: node.line)
    }

    static func parseGeometry(_ node: SpecNode) throws(SpecError) -> InsoleGeometry {
        try node.checkKeys(["units", "layouts"], in: "geometry")
        guard let layoutsNode = node["layouts"] else { throw node.error("geometry needs 'layouts'") }
        var layouts: [InsoleGeometry.Layout] = []
        for layoutNode in try layoutsNode.sequence("layouts") {
            try layoutNode.checkKeys(["cells", "left", "right"], in: "a geometry layout")
            guard let cellsNode = layoutNode["cells"] else { throw layoutNode.error("a layout needs 'cells' (how many)") }
            let cells = Int(try cellsNode.integer("cells"))
            func side(_ key: String) throws(SpecError) -> [InsoleGeometry.Cell] {
                guard let sideNode = layoutNode[key] else { throw layoutNode.error("a layout needs '\(key)'") }
                var result: [InsoleGeometry.Cell] = []
                for cell in try sideNode.sequence(key) {
                    let pair = try cell.sequence("a cell position [x, y]")
                    guard pair.count == 2, let x = SpecNode.parseRational(try pair[0].string("x")),
                          let y = SpecNode.parseRational(try pair[1].string("y")) else {
                        throw cell.error("a cell position is [x, y]")
                    }
                    result.append(.init(x: x.numerator / x.denominator, y: y.numerator / y.denominator))
                }
                guard result.count == cells else {
                    throw sideNode.error("'\(key)' lists \(result.count) cells, the layout says \(cells)")
                }
                return result
            }
            layouts.append(.init(cells: cells, left: try side("left"), right: try side("right")))
        }
        return InsoleGeometry(units: try node["units"]?.string("units"), layouts: layouts)
    }
}
