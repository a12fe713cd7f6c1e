import BLEWire

// Reading and writing attribute values (Vol 3, Part F, §3.4.4.3-8, §3.4.4.11-12,
// §3.4.5; Vol 3, Part G, §4.8-§4.9, §4.12).

extension GATTServer {
    /// The attribute at `handle` if it may be read, or the error to answer with.
    private func readable(_ handle: AttributeHandle) -> Readable {
        guard let attribute = database.attribute(at: handle) else { return .failure(.invalidHandle) }
        guard attribute.permissions.contains(.readable) else { return .failure(.readNotPermitted) }
        return .success(attribute)
    }

    private enum Readable {
        case success(GATTAttribute)
        case failure(ATTErrorCode)
    }

    // MARK: Read, Read Blob

    func read(_ handle: AttributeHandle) -> [UInt8] {
        switch readable(handle) {
        case .failure(let error):
            return Self.error(.readRequest, handle, error)
        case .success(let attribute):
            var writer = ByteWriter(capacity: Int(mtu))
            ATTPDU.encodeReadResponse(value: currentValue(attribute).prefix(Int(mtu) - 1), into: &writer)
            return writer.bytes
        }
    }

    /// A value longer than ATT_MTU - 1 is read in parts; an offset equal to the length
    /// gets an empty part (§3.4.4.5). Attribute Not Long is optional there and not sent.
    func readBlob(_ handle: AttributeHandle, offset: UInt16) -> [UInt8] {
        switch readable(handle) {
        case .failure(let error):
            return Self.error(.readBlobRequest, handle, error)
        case .success(let attribute):
            let value = currentValue(attribute)
            let start = Int(offset)
            guard start <= value.count else { return Self.error(.readBlobRequest, handle, .invalidOffset) }
            var writer = ByteWriter(capacity: Int(mtu))
            ATTPDU.encodeReadBlobResponse(value: value[start...].prefix(Int(mtu) - 1), into: &writer)
            return writer.bytes
        }
    }

    // MARK: Read Multiple, Read Multiple Variable

    /// Every handle must be readable, or the first that is not is the error (§3.4.4.7).
    /// Read Multiple concatenates the values; the variable form prefixes each with its
    /// length. Both are cut at ATT_MTU - 1 bytes.
    func readMultiple(_ handles: [AttributeHandle], variable: Bool) -> [UInt8] {
        let opcode: ATTOpcode = variable ? .readMultipleVariableRequest : .readMultipleRequest
        var values: [[UInt8]] = []
        for handle in handles {
            switch readable(handle) {
            case .failure(let error): return Self.error(opcode, handle, error)
            case .success(let attribute): values.append(currentValue(attribute))
            }
        }
        var writer = ByteWriter(capacity: Int(mtu))
        writer.write((variable ? ATTOpcode.readMultipleVariableResponse : .readMultipleResponse).rawValue)
        for value in values {
            var space = Int(mtu) - writer.count
            if variable {
                guard space >= 2 else { break }
                writer.write(UInt16(truncatingIfNeeded: value.count))
                space -= 2
            }
            guard space > 0 else { break }
            writer.write(contentsOf: value.prefix(space))
        }
        return writer.bytes
    }

    // MARK: Write Request, Write Command

    /// Applies a write; returns the error a Write Request is answered with, if any.
    mutating func write(_ handle: AttributeHandle, _ value: [UInt8]) -> ATTErrorCode? {
        guard let attribute = database.attribute(at: handle) else { return .invalidHandle }
        guard attribute.permissions.contains(.writable) else { return .writeNotPermitted }
        guard value.count <= Self.maximumValueLength else { return .invalidAttributeValueLength }
        switch attribute.content {
        case .clientConfiguration(let valueHandle, _):
            // Two octets exactly (Vol 3, Part G, §3.3.3.3).
            guard value.count == 2 else { return .invalidAttributeValueLength }
            configure(valueHandle, ClientCharacteristicConfiguration(rawValue: UInt16(value[0]) | UInt16(value[1]) << 8))
            return nil
        case .variable(let cell):
            if let onWrite = attribute.onWrite, let error = onWrite(value) { return error }
            cell.bytes = value
            return nil
        case .constant, .provided:
            return attribute.onWrite?(value)
        }
    }

    private mutating func configure(_ valueHandle: AttributeHandle, _ configuration: ClientCharacteristicConfiguration) {
        let previous = clientConfigurations[valueHandle] ?? []
        clientConfigurations[valueHandle] = configuration.isEmpty ? nil : configuration
        guard previous != configuration, let onSubscriptionChange else { return }
        let uuid = database.attribute(at: valueHandle)?.type ?? BluetoothUUID(0)
        onSubscriptionChange(GATTSubscriptionChange(valueHandle: valueHandle, uuid: uuid, previous: previous,
                                                    configuration: configuration))
    }
}
