import BLEWire

extension ProtocolSpec {
    /// Checks one test vector both ways: the bytes decode to the expected fields (or fail
    /// with the expected error at the expected offset), and the fields encode back to the
    /// same bytes. Returns the problems found, empty when the vector passes.
    public func verify(_ vector: SpecTestVector) -> [String] {
        var problems: [String] = []
        let label = "\(file):\(vector.line): vector '\(vector.name)'"
        if let expected = vector.expectedError {
            do {
                let fields = try decodeFields(vector.bytes)
                problems.append("\(label): expected an error at offset \(expected.offset), decoded \(PayloadValue.object(fields))")
            } catch {
                if error.offset != expected.offset {
                    problems.append("\(label): error at offset \(error.offset), expected \(expected.offset): \(error)")
                }
                if let message = expected.message, !error.description.contains(message) {
                    problems.append("\(label): error '\(error)' does not mention '\(message)'")
                }
            }
            return problems
        }
        guard let fields = vector.fields else { return ["\(label): no expected fields"] }
        do {
            let decoded = try decodeFields(vector.bytes)
            if decoded != fields {
                problems.append("\(label): decoded \(PayloadValue.object(decoded)), expected \(PayloadValue.object(fields))")
            }
            // The JSON sink must agree with the tree sink.
            _ = try decodeJSON(vector.bytes)
        } catch {
            problems.append("\(label): decode failed: \(explain(vector.bytes) ?? error.description)")
        }
        if vector.encodes {
            do {
                let encoded = try encode(fields, hints: vector.hints)
                if encoded != vector.bytes {
                    problems.append("\(label): encoded \(encoded.hexString), expected \(vector.bytes.hexString)")
                }
            } catch {
                problems.append("\(label): encode failed: \(error)")
            }
        }
        return problems
    }

    /// Problems of all vectors of this spec.
    public func verifyVectors() -> [String] { vectors.flatMap { verify($0) } }
}
