import BLEWire

/// ACL data from the controller: L2CAP reassembly, then ATT (values and the GATT client's
/// responses) and LE signalling (connection parameter updates).
extension CentralHost {
    func handleACL(_ packet: RawSpan) {
        let header: ACLDataHeader
        do throws(WireError) {
            header = try ACLDataHeader(parsing: packet)
        } catch {
            statistics.malformedPackets += 1
            return
        }
        guard links[header.connectionHandle] != nil else {
            statistics.unexpectedPackets += 1
            return
        }
        // The reassembler is moved out while it works: the closure below uses `self`.
        var reassembler = L2CAPReassembler()
        swap(&reassembler, &self.reassembler)
        defer { swap(&reassembler, &self.reassembler) }
        do throws(WireError) {
            try reassembler.push(handle: header.connectionHandle, boundary: header.boundary,
                                 fragment: packet.extracting(header.payload), offset: header.payload.lowerBound) {
                frame throws(WireError) in
                switch frame.channelID {
                case .att: try attribute(frame.payload, handle: frame.connectionHandle)
                case .leSignaling: signaling(frame.payload, handle: frame.connectionHandle)
                case .securityManager:
                    // A Pairing Request (0x01) or Security Request (0x0B) gets Pairing Failed,
                    // Pairing Not Supported (Vol 3, Part H, §3.5.5): nothing the gateway
                    // reads needs encryption.
                    let code = frame.payload.byteCount > 0 ? frame.payload.unsafeLoad(as: UInt8.self) : 0
                    if code == 0x01 || code == 0x0B {
                        link.send(l2cap: [0x05, 0x05], channel: .securityManager, handle: frame.connectionHandle)
                    }
                default: break
                }
            }
        } catch {
            statistics.malformedPackets += 1
        }
    }

    func attribute(_ pdu: RawSpan, handle: ConnectionHandle) throws(WireError) {
        guard let client = links[handle] else { return }
        let now = clock()
        let parsed = try ATTPDU(parsing: pdu)
        switch parsed {
        case .handleValueNotification(let valueHandle, let range):
            statistics.notifications += 1
            value(pdu.extracting(range), handle: valueHandle, kind: .notification, client, at: now)
        case .handleValueIndication(let valueHandle, let range):
            statistics.indications += 1
            // Confirmed at once (Vol 3, Part F, §3.4.7.3): the server sends nothing else
            // until it is.
            var writer = ByteWriter(capacity: 1)
            ATTPDU.encodeHandleValueConfirmation(into: &writer)
            sendATT(writer.bytes, handle: handle)
            value(pdu.extracting(range), handle: valueHandle, kind: .indication, client, at: now)
        case .multipleHandleValueNotification(let list):
            try list.forEach(in: pdu) { valueHandle, data throws(WireError) in
                statistics.notifications += 1
                value(data, handle: valueHandle, kind: .notification, client, at: now)
            }
        case .exchangeMTURequest, .findInformationRequest, .findByTypeValueRequest, .readByTypeRequest,
             .readRequest, .readBlobRequest, .readMultipleRequest, .readByGroupTypeRequest,
             .readMultipleVariableRequest, .writeRequest, .prepareWriteRequest, .executeWriteRequest:
            serverRequest(parsed, handle: handle, client)
        case .writeCommand, .signedWriteCommand, .handleValueConfirmation:
            break
        default:
            if case .errorResponse(let request, let attributeHandle, let error) = parsed,
               error != .attributeNotFound, client.step != .exchangingMTU {
                delegate?.central(self, event: .attError(client.peer, request: request.rawValue,
                                                         handle: attributeHandle, error: error.rawValue), at: now)
            }
            let reading = client.readingCharacteristic
            if let reading, case .readResponse(let range) = parsed {
                delegate?.central(self, value: pdu.extracting(range), of: reading, kind: .read, from: client.peer, at: now)
            }
            let next = try client.handleResponse(pdu, parsed, at: now)
            if let next {
                sendATT(next, handle: handle)
            } else if client.step == .ready, client.requestSentAt == nil, !client.readyReported {
                client.readyReported = true
                delegate?.central(self, event: .ready(client.peer, subscribed: client.subscribed, read: client.read), at: now)
            }
        }
    }

    func value(_ data: RawSpan, handle valueHandle: AttributeHandle, kind: CharacteristicValueKind, _ client: GATTClientLink,
               at now: Double) {
        guard let uuid = client.valueUUIDs[valueHandle] else {
            statistics.unmappedValues += 1
            return
        }
        delegate?.central(self, value: data, of: uuid, kind: kind, from: client.peer, at: now)
    }

    /// The gateway has no GATT database of its own: Exchange MTU gets our MTU, every other
    /// request an Error Response (Vol 3, Part F, §3.4.1.1): Attribute Not Found for
    /// discovery, Request Not Supported for the rest.
    func serverRequest(_ request: ATTPDU, handle: ConnectionHandle, _ client: GATTClientLink) {
        var writer = ByteWriter(capacity: 8)
        switch request {
        case .exchangeMTURequest:
            ATTPDU.encodeExchangeMTUResponse(serverRxMTU: configuration.clientMTU, into: &writer)
        case .findInformationRequest(let range), .readByTypeRequest(let range, _), .readByGroupTypeRequest(let range, _):
            ATTPDU.encodeErrorResponse(request: request.opcode, handle: range.start, error: .attributeNotFound, into: &writer)
        case .findByTypeValueRequest(let range, _, _):
            ATTPDU.encodeErrorResponse(request: request.opcode, handle: range.start, error: .attributeNotFound, into: &writer)
        case .readRequest(let attribute), .readBlobRequest(let attribute, _), .writeRequest(let attribute, _),
             .prepareWriteRequest(let attribute, _, _):
            ATTPDU.encodeErrorResponse(request: request.opcode, handle: attribute, error: .invalidHandle, into: &writer)
        default:
            ATTPDU.encodeErrorResponse(request: request.opcode, handle: .reserved, error: .requestNotSupported, into: &writer)
        }
        sendATT(writer.bytes, handle: handle)
    }

    /// LE signalling (Vol 3, Part A, §4): a peripheral's Connection Parameter Update Request
    /// (§4.20) is accepted and carried out with LE Connection Update (Vol 4, Part E,
    /// §7.8.18); other requests get Command Reject, Command Not Understood (§4.1).
    func signaling(_ payload: RawSpan, handle: ConnectionHandle) {
        guard let command = try? LESignalingCommand(parsing: payload) else {
            statistics.malformedPackets += 1
            return
        }
        var writer = ByteWriter(capacity: 8)
        switch command {
        case .connectionParameterUpdateRequest(let identifier, let parameters):
            LESignalingCommand.connectionParameterUpdateResponse(identifier: identifier, result: .accepted)
                .encode(into: &writer)
            link.send(l2cap: writer.bytes, channel: .leSignaling, handle: handle)
            link.send(command: HCICommand.leConnectionUpdate(handle: handle, LEConnectionParameters(
                intervalMin: parameters.intervalMin, intervalMax: parameters.intervalMax,
                maxLatency: parameters.peripheralLatency, supervisionTimeout: parameters.timeoutMultiplier)).encoded)
        case .commandReject, .connectionParameterUpdateResponse, .disconnectionResponse:
            break
        case .disconnectionRequest(let identifier, _, _), .other(_, let identifier, _):
            LESignalingCommand.commandReject(identifier: identifier, reason: .commandNotUnderstood).encode(into: &writer)
            link.send(l2cap: writer.bytes, channel: .leSignaling, handle: handle)
        }
    }
}
