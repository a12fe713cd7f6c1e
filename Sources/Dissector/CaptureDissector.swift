import BLEWire
import ProtocolSpecs

/// Decodes a btsnoop capture statefully, the way tshark does: it follows connections and
/// the GATT discovery in the capture to learn which characteristic each ATT handle
/// holds, then decodes notifications, indications, read responses and advertisements with
/// the Protocols specs.
///
/// A malformed packet yields a ``DecodedValue`` with an `error` (what, and at which byte
/// offset of the HCI packet) and decoding goes on with the next frame.
public struct CaptureDissector {
    let catalog: ProtocolCatalog
    /// `--map HANDLE=UUID`: applies to every connection, over what discovery found.
    let handleOverrides: [AttributeHandle: BluetoothUUID]

    var connections: [ConnectionHandle: GATTConnection] = [:]
    /// GATT databases of devices that disconnected, restored when they reconnect (a
    /// bonded client caches handles too, Vol 3, Part G, §2.5.2).
    var knownServers: [BDAddress: [AttributeHandle: BluetoothUUID]] = [:]
    /// The capturing host's own address (Read BD_ADDR, LE Set Random Address).
    var localAddress: BDAddress?
    /// One reassembler per direction: both sides may be mid-PDU at once.
    var sentReassembler = L2CAPReassembler()
    var receivedReassembler = L2CAPReassembler()
    /// Reusable sinks per spec, so decoding a long capture does not allocate per value.
    var jsonSinks: [String: JSONPayloadSink] = [:]
    var sampleSinks: [String: PayloadSampleSink] = [:]
    /// Frames seen so far.
    public private(set) var frameCount = 0
    /// Called with every characteristic value as it arrived (before decoding): its bytes,
    /// the characteristic (nil if discovery did not reveal it), how it came, the GATT
    /// server's address and the capture time. The gateway's replay ingests through it.
    public var onValue: ((_ data: RawSpan, _ uuid: BluetoothUUID?, _ source: DecodedValue.Source,
                          _ server: BDAddress?, _ timeMicros: Int64) -> Void)?
    /// Called with the AD data of every advertising report (and scan response).
    public var onAdvertisingData: ((_ data: RawSpan, _ address: BDAddress, _ timeMicros: Int64) -> Void)?
    /// When false, values and advertisements only reach the hooks above: nothing is
    /// decoded or emitted for them (errors are still emitted).
    public var decodesValues = true

    public init(catalog: ProtocolCatalog, handleOverrides: [AttributeHandle: BluetoothUUID] = [:]) {
        self.catalog = catalog
        self.handleOverrides = handleOverrides
    }

    /// Decodes a whole capture file. Throws only when the file is not a btsnoop capture;
    /// a truncated last record yields an error value after everything before it.
    public mutating func dissect(file: RawSpan, emit: (DecodedValue) -> Void) throws(WireError) {
        var reader = try BTSnoopReader(file: file)
        while true {
            let record: BTSnoopRecord
            do {
                guard let next = try reader.next(in: file) else { return }
                record = next
            } catch {
                emit(DecodedValue(timeMicros: 0, frame: frameCount + 1, source: .capture,
                                  error: "\(error.description) (the capture ends in a truncated record)"))
                return
            }
            frameCount += 1
            guard let type = record.packetType else { continue }
            let packet = file.extracting(record.packet)
            dissect(packet: packet, type: type, direction: record.direction,
                    timeMicros: record.timestampMicros, frame: frameCount, emit: emit)
        }
    }

    /// Decodes one HCI packet (without its H4 indicator), e.g. from a live transport.
    public mutating func dissect(packet: RawSpan, type: HCIPacketType, direction: PacketDirection,
                                 timeMicros: Int64, frame: Int, emit: (DecodedValue) -> Void) {
        let context = Context(timeMicros: timeMicros, frame: frame)
        do {
            switch type {
            case .event: try dissectEvent(packet, context, emit)
            case .command: try dissectCommand(packet)
            case .aclData: try dissectACL(packet, direction: direction, context, emit)
            case .synchronousData, .isoData: break
            }
        } catch {
            emit(DecodedValue(timeMicros: timeMicros, frame: frame, source: .capture, error: error.description))
        }
    }

    struct Context {
        var timeMicros: Int64
        var frame: Int
    }

    // MARK: HCI

    mutating func dissectCommand(_ packet: RawSpan) throws(WireError) {
        if case .leSetRandomAddress(let address) = try HCICommand(parsing: packet) {
            localAddress = address
        }
    }

    mutating func dissectEvent(_ packet: RawSpan, _ context: Context, _ emit: (DecodedValue) -> Void) throws(WireError) {
        switch try HCIEvent(parsing: packet) {
        case .leConnectionComplete(let event) where event.status == 0:
            connect(event.connectionHandle, peer: event.peerAddress, role: event.role)
        case .leEnhancedConnectionComplete(let event) where event.status == 0:
            connect(event.connectionHandle, peer: event.peerAddress, role: event.role)
        case .disconnectionComplete(let event) where event.status == 0:
            disconnect(event.connectionHandle)
        case .commandComplete(let event) where event.opcode == .readBDAddress:
            if localAddress == nil, let reply = try? event.decode(LocalBDAddress.self, in: packet) {
                localAddress = reply.address
            }
        case .leAdvertisingReport(let reports):
            try reports.forEach(in: packet) { report, data throws(WireError) in
                advertisement(data, from: report.address, context, emit)
            }
        case .leExtendedAdvertisingReport(let reports):
            try reports.forEach(in: packet) { report, data throws(WireError) in
                advertisement(data, from: report.address, context, emit)
            }
        default:
            break
        }
    }

    mutating func connect(_ handle: ConnectionHandle, peer: BDAddress, role: UInt8) {
        var connection = GATTConnection(peer: peer, role: role)
        connection.attributes = knownServers[peer] ?? [:]
        connections[handle] = connection
        sentReassembler.reset(handle: handle)
        receivedReassembler.reset(handle: handle)
    }

    mutating func disconnect(_ handle: ConnectionHandle) {
        if let connection = connections.removeValue(forKey: handle), let peer = connection.peer,
           !connection.attributes.isEmpty {
            knownServers[peer] = connection.attributes
        }
        sentReassembler.reset(handle: handle)
        receivedReassembler.reset(handle: handle)
    }

    // MARK: Advertising

    /// Service data and manufacturer data with a spec become values (CSS Part A, §1.4, §1.11).
    mutating func advertisement(_ data: RawSpan, from address: BDAddress, _ context: Context,
                                _ emit: (DecodedValue) -> Void) {
        onAdvertisingData?(data, address, context.timeMicros)
        guard decodesValues else { return }
        var structures = ADStructureIterator(data)
        while true {
            let structure: ADStructure
            do {
                guard let next = try structures.next() else { return }
                structure = next
            } catch {
                emit(DecodedValue(timeMicros: context.timeMicros, frame: context.frame, address: address,
                                  source: .advertisement, error: error.description))
                return
            }
            switch structure.type {
            case .serviceData16, .serviceData32, .serviceData128:
                guard let serviceData = try? structure.serviceData(),
                      let spec = catalog.spec(forServiceData: serviceData.uuid) else { continue }
                let value = decode(serviceData.data, with: spec,
                                   DecodedValue(timeMicros: context.timeMicros, frame: context.frame, address: address,
                                                source: .advertisement, uuid: serviceData.uuid))
                emit(value)
            case .manufacturerSpecificData:
                guard let manufacturer = try? structure.manufacturerData(),
                      let spec = catalog.spec(forManufacturer: manufacturer.companyID) else { continue }
                let value = decode(manufacturer.data, with: spec,
                                   DecodedValue(timeMicros: context.timeMicros, frame: context.frame, address: address,
                                                source: .advertisement, companyID: manufacturer.companyID))
                emit(value)
            default:
                continue
            }
        }
    }

    // MARK: ACL, L2CAP, ATT

    mutating func dissectACL(_ packet: RawSpan, direction: PacketDirection, _ context: Context,
                             _ emit: (DecodedValue) -> Void) throws(WireError) {
        let header = try ACLDataHeader(parsing: packet)
        let fragment = packet.extracting(header.payload)
        // Move the reassembler out while it works (the closure below needs `self`), leaving an
        // empty one behind so its buffers stay uniquely referenced: a plain copy would make
        // every mutation copy the per-connection buffers.
        var reassembler = L2CAPReassembler()
        if direction == .sent { swap(&reassembler, &sentReassembler) } else { swap(&reassembler, &receivedReassembler) }
        defer {
            if direction == .sent { swap(&reassembler, &sentReassembler) } else { swap(&reassembler, &receivedReassembler) }
        }
        try reassembler.push(handle: header.connectionHandle, boundary: header.boundary, fragment: fragment,
                             offset: header.payload.lowerBound) { frame throws(WireError) in
            guard frame.channelID == .att else { return }
            try attribute(frame.payload, base: frame.payloadOffset, handle: frame.connectionHandle,
                          direction: direction, context, emit)
        }
    }

    mutating func attribute(_ pdu: RawSpan, base: Int, handle connectionHandle: ConnectionHandle, direction: PacketDirection,
                            _ context: Context, _ emit: (DecodedValue) -> Void) throws(WireError) {
        var connection = connections[connectionHandle] ?? GATTConnection()
        defer { connections[connectionHandle] = connection }
        // The sender of a notification or response is the GATT server: the peer when the
        // capturing host received it, the capturing host itself when it sent it.
        let server = direction == .received ? connection.peer : localAddress
        let responseTo = direction == .received ? PacketDirection.sent : .received

        switch try ATTPDU(parsing: pdu, base: base) {
        case .readByTypeRequest(_, let type):
            connection.pendingRequest[direction] = .readByType(type)
        case .readRequest(let handle):
            connection.pendingRequest[direction] = .read(handle: handle)
        case .readBlobRequest(let handle, _):
            connection.pendingRequest[direction] = .readBlob(handle: handle)
        case .readByTypeResponse(let list):
            if case .readByType(let type) = connection.pendingRequest[responseTo], type == .characteristic {
                try list.forEach(in: pdu) { _, value throws(WireError) in
                    let declaration = try CharacteristicDeclaration(parsing: value)
                    connection.attributes[declaration.valueHandle] = declaration.uuid
                }
            }
            connection.pendingRequest[responseTo] = nil
        case .findInformationResponse(let list):
            try list.forEach(in: pdu) { handle, uuid throws(WireError) in
                // Find Information lists declarations and descriptors too; keep only what
                // could be a characteristic value (not 0x2800-0x28FF, 0x2900-0x29FF).
                if let short = uuid.uuid16, (0x2800...0x29FF).contains(short) { return }
                if connection.attributes[handle] == nil { connection.attributes[handle] = uuid }
            }
        case .readResponse(let range):
            if case .read(let handle) = connection.pendingRequest[responseTo] {
                emitValue(pdu.extracting(range), handle: handle, source: .readResponse, server: server,
                           connection, context, emit)
            }
            connection.pendingRequest[responseTo] = nil
        case .handleValueNotification(let handle, let range):
            emitValue(pdu.extracting(range), handle: handle, source: .notification, server: server, connection, context, emit)
        case .handleValueIndication(let handle, let range):
            emitValue(pdu.extracting(range), handle: handle, source: .indication, server: server, connection, context, emit)
        case .multipleHandleValueNotification(let list):
            try list.forEach(in: pdu) { handle, data throws(WireError) in
                emitValue(data, handle: handle, source: .notification, server: server, connection, context, emit)
            }
        case .errorResponse, .readBlobResponse, .readByGroupTypeResponse, .findByTypeValueResponse,
             .writeResponse, .readMultipleResponse, .readMultipleVariableResponse, .exchangeMTUResponse,
             .prepareWriteResponse, .executeWriteResponse:
            connection.pendingRequest[responseTo] = nil
        default:
            connection.pendingRequest[direction] = .other
        }
    }

    // MARK: Payloads

    /// Hands a value to `onValue`, then (unless `decodesValues` is off) decodes and emits it.
    mutating func emitValue(_ data: RawSpan, handle: AttributeHandle, source: DecodedValue.Source, server: BDAddress?,
                            _ connection: GATTConnection, _ context: Context, _ emit: (DecodedValue) -> Void) {
        if let onValue {
            onValue(data, handleOverrides[handle] ?? connection.attributes[handle], source, server, context.timeMicros)
        }
        guard decodesValues else { return }
        emit(value(data, handle: handle, source: source, server: server, connection, context))
    }

    mutating func value(_ data: RawSpan, handle: AttributeHandle, source: DecodedValue.Source, server: BDAddress?,
                        _ connection: GATTConnection, _ context: Context) -> DecodedValue {
        let uuid = handleOverrides[handle] ?? connection.attributes[handle]
        let base = DecodedValue(timeMicros: context.timeMicros, frame: context.frame, address: server,
                                source: source, handle: handle, uuid: uuid)
        guard let uuid, let spec = catalog.spec(forCharacteristic: uuid) else {
            var undecoded = base
            undecoded.rawValue = data.copyBytes()
            return undecoded
        }
        return decode(data, with: spec, base)
    }

    /// Runs the spec's program twice over the bytes: once into JSON for the fields, once
    /// into flat samples. Both sinks are kept per spec and reused.
    mutating func decode(_ data: RawSpan, with spec: ProtocolSpec, _ value: DecodedValue) -> DecodedValue {
        var result = value
        result.format = spec.name
        var json = jsonSinks[spec.name] ?? JSONPayloadSink(program: spec.program)
        var samples = sampleSinks[spec.name] ?? PayloadSampleSink(program: spec.program)
        json.reset()
        samples.reset()
        var failingField: Int32 = -1
        do {
            try spec.program.decode(data, into: &json, base: 0, failingField: &failingField)
            try spec.program.decode(data, into: &samples, base: 0)
            result.fieldsJSON = json.finish()
            result.samples = samples.samples.map { sample in
                DecodedValue.Sample(field: spec.program.fields[Int(sample.field)].name, quantity: sample.quantity,
                                    index: sample.index >= 0 ? Int(sample.index) : nil,
                                    frame: sample.frame >= 0 ? Int(sample.frame) : nil,
                                    value: sample.value, unit: sample.unit)
            }
        } catch {
            let field = failingField >= 0 ? "\(spec.program.fields[Int(failingField)].name): " : ""
            result.error = "\(spec.name) \(field)\(error.description) of the value"
            result.rawValue = data.copyBytes()
        }
        jsonSinks[spec.name] = json
        sampleSinks[spec.name] = samples
        return result
    }
}
