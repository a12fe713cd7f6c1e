import BLEWire

// Connections as central: creation, connection events carrying data both ways at the rate
// `LinkAirtime` models, HCI ACL flow control, link-layer procedures and termination
// (Core Specification v5.4, Vol 6, Part B, §4.5 and §5; Vol 4, Part E, §4.1 and §5.4.2).

extension VirtualController {
    /// Connection events a procedure with an instant waits (the instant is set at least 6
    /// events ahead, Vol 6, Part B, §5.1.1).
    static let procedureInstantDelay: UInt64 = 6

    // MARK: Creation

    func establishConnection(with index: Int, request: Initiation) {
        initiation = nil
        let handle = allocateHandle()
        linkGeneration &+= 1
        let parameters = request.parameters
        // Controllers pick within the host's range; the low end gives the throughput the
        // host asked for first.
        let interval = max(parameters.intervalMin, 6)
        let device = peripherals[index].device
        var link = ControllerLink(handle: handle, peripheral: index, peerAddress: device.address,
                                  peerAddressType: device.addressType.rawValue, generation: linkGeneration,
                                  interval: interval, latency: parameters.maxLatency, timeout: parameters.supervisionTimeout,
                                  lastHeard: now, lossRate: configuration.packetLossRate)
        if suggestedDataLength > 27 {
            // The controller starts the Data Length Update itself, to the host's suggested
            // default (what Bumble and BlueZ rely on to get 251-octet PDUs).
            link.procedures.append((instant: 1, procedure: .initialDataLength(octets: suggestedDataLength)))
        }
        links[handle] = link
        peripherals[index].connectedHandle = handle
        statistics.connections += 1
        emitConnectionComplete(status: HCIStatusCode.success, handle: handle, peerAddressType: device.addressType.rawValue,
                               peerAddress: device.address, interval: interval, latency: parameters.maxLatency,
                               timeout: parameters.supervisionTimeout)
        let central = request.ownAddressType & 0x01 == 1 ? (randomAddress ?? configuration.address) : configuration.address
        device.connected(handle: handle, central: central, at: now)
        // CONNECT_IND, then transmitWindowDelay (1.25 ms) and a window offset of one slot.
        scheduler.schedule(.connectionEvent(handle: handle, generation: link.generation), at: now + 0.0025)
    }

    private func allocateHandle() -> ConnectionHandle {
        while links[nextHandle] != nil { nextHandle = Self.handle(after: nextHandle) }
        let handle = nextHandle
        nextHandle = Self.handle(after: nextHandle)
        return handle
    }

    /// Handles go round 0x0001...0x0EFF, the valid range (Vol 4, Part E, §5.4.2).
    private static func handle(after handle: ConnectionHandle) -> ConnectionHandle {
        handle >= .maximum ? ConnectionHandle(0x0001) : ConnectionHandle(handle.rawValue + 1)
    }

    /// LE Enhanced Connection Complete [v1] or [v2], or LE Connection Complete, whichever
    /// the host enabled, in that order of preference (§7.7.65.10, §7.7.65.1).
    ///
    /// [v1] wins over [v2] when a host unmasks both (Bumble does): [v2] only adds the fields
    /// of Periodic Advertising with Responses, which this controller does not support, and
    /// tshark 4.0 (Debian 12) does not dissect [v2], while captures must decode there.
    func emitConnectionComplete(status: UInt8, handle: ConnectionHandle, peerAddressType: UInt8, peerAddress: BDAddress,
                                interval: UInt16, latency: UInt16, timeout: UInt16) {
        var writer = ByteWriter(capacity: 40)
        let v1 = isLEEventEnabled(HCIEvent.LEEnhancedConnectionComplete.subeventV1)
        let v2 = !v1 && isLEEventEnabled(HCIEvent.LEEnhancedConnectionComplete.subeventV2)
        if v1 || v2 {
            HCIEvent.LEEnhancedConnectionComplete(
                status: status, connectionHandle: handle, role: 0x00, peerAddressType: peerAddressType, peerAddress: peerAddress,
                connectionInterval: interval, peripheralLatency: latency, supervisionTimeout: timeout,
                advertisingHandle: v2 ? 0xFF : nil, syncHandle: v2 ? 0xFFFF : nil
            ).encode(into: &writer)
        } else if isLEEventEnabled(HCIEvent.LEConnectionComplete.subevent) {
            HCIEvent.LEConnectionComplete(
                status: status, connectionHandle: handle, role: 0x00, peerAddressType: peerAddressType, peerAddress: peerAddress,
                connectionInterval: interval, peripheralLatency: latency, supervisionTimeout: timeout
            ).encode(into: &writer)
        } else {
            return
        }
        emit(.event, writer.bytes)
    }

    // MARK: Host commands on a link

    func disconnect(handle: ConnectionHandle, reason: UInt8) {
        guard links[handle] != nil else {
            reject(.disconnect, status: HCIStatusCode.unknownConnection)
            return
        }
        // Authentication Failure, Remote User Terminated, Low Resources, Power Off,
        // Unsupported Remote Feature, Unacceptable Connection Parameters (§7.1.6).
        guard [0x05, 0x13, 0x14, 0x15, 0x1A, 0x29, 0x3B].contains(reason) else {
            reject(.disconnect, status: HCIStatusCode.invalidParameters)
            return
        }
        emitCommandStatus(.disconnect, status: HCIStatusCode.success)
        // LL_TERMINATE_IND goes out at the next connection event.
        links[handle]?.terminationReason = reason
    }

    func updateConnection(handle: ConnectionHandle, parameters: LEConnectionParameters) {
        guard links[handle] != nil else {
            reject(.leConnectionUpdate, status: HCIStatusCode.unknownConnection)
            return
        }
        let limits = ConnectionParameters(intervalMin: parameters.intervalMin, intervalMax: parameters.intervalMax,
                                          peripheralLatency: parameters.maxLatency,
                                          timeoutMultiplier: parameters.supervisionTimeout)
        guard limits.validate() == nil else {
            reject(.leConnectionUpdate, status: HCIStatusCode.invalidParameters)
            return
        }
        emitCommandStatus(.leConnectionUpdate, status: HCIStatusCode.success)
        addProcedure(.connectionUpdate(interval: parameters.intervalMin, latency: parameters.maxLatency,
                                       timeout: parameters.supervisionTimeout),
                     to: handle, after: Self.procedureInstantDelay)
    }

    func addProcedure(_ procedure: ControllerLink.Procedure, to handle: ConnectionHandle, after events: UInt64) {
        guard let counter = links[handle]?.eventCounter else { return }
        links[handle]?.procedures.append((instant: counter + events, procedure: procedure))
    }

    // MARK: Host ACL data

    func receiveACL(_ packet: RawSpan) {
        let header: ACLDataHeader
        do throws(WireError) {
            header = try ACLDataHeader(parsing: packet)
        } catch {
            statistics.malformedHostPackets += 1
            return
        }
        guard links[header.connectionHandle] != nil else {
            statistics.unknownHandlePackets += 1
            return
        }
        let handle = header.connectionHandle
        if header.payload.count > Int(configuration.leACLDataPacketLength) {
            // Bigger than the buffers announced: refused, but its buffer credit is returned
            // so that the host's accounting stays right.
            statistics.malformedHostPackets += 1
            emitCompletedPackets([(handle, 1)])
            return
        }
        if links[handle]!.hostQueue.count >= Int(configuration.leACLDataPacketCount) { statistics.bufferOverruns += 1 }
        let payload = packet.extracting(header.payload).withUnsafeBytes { Array($0) }
        links[handle]!.hostQueue.append(ControllerLink.HostPacket(boundary: header.boundary, payload: payload))
    }

    func emitCompletedPackets(_ entries: [(handle: ConnectionHandle, count: UInt16)]) {
        var writer = ByteWriter(capacity: 3 + 4 * entries.count)
        HCIEvent.NumberOfCompletedPackets.encode(entries.map { ($0.handle, $0.count) }, into: &writer)
        emit(.event, writer.bytes)
    }

    // MARK: Connection events

    func connectionEvent(_ handle: ConnectionHandle) {
        guard var link = links[handle] else { return }
        statistics.connectionEvents += 1
        link.eventCounter += 1
        let device = peripherals[link.peripheral].device

        if let reason = link.terminationReason {
            links[handle] = link
            closeLink(handle, hostReason: HCIStatusCode.localHostTerminated, peripheralReason: reason)
            return
        }
        runProcedures(&link)
        device.advance(to: now)
        // A scripted disconnect or reboot: the peripheral goes silent, and the link ends in a
        // supervision timeout as it would on air.
        if let downtime = device.takeLinkDrop() {
            schedule(.silence(device.address, duration: downtime), at: now)
        }
        for response in link.pendingResponses {
            enqueue(response.pdu, serverInitiated: response.serverInitiated, on: &link)
        }
        link.pendingResponses.removeAll()

        var heard = false
        var completed: UInt16 = 0
        var arrived: [[UInt8]] = []
        if !link.isSilenced(at: now) {
            let budget = min(link.intervalSeconds, configuration.maximumConnectionEventLength)
            var used = 0.0
            var exchanges = 0
            var peripheralDrained = false
            while exchanges < configuration.maximumExchangesPerEvent {
                if link.peripheralQueue.isEmpty, !peripheralDrained {
                    let limit = configuration.maximumExchangesPerEvent - exchanges
                    let pdus = device.dequeueOutgoing(handle: handle, upTo: now, limit: limit)
                    if pdus.isEmpty { peripheralDrained = true }
                    for pdu in pdus { enqueue(l2capPDU(channel: .att, pdu), serverInitiated: true, on: &link) }
                }
                let centralOctets = link.hostQueue.first.map { min(Int(link.centralOctets), $0.payload.count - $0.sent) } ?? 0
                let peripheralOctets = link.peripheralQueue.first?.payload.count ?? 0
                // The first exchange is the poll, data or not; after it the event lasts
                // while someone has more data (the MD bit).
                if exchanges > 0, link.hostQueue.isEmpty, link.peripheralQueue.isEmpty { break }
                let cost = LinkAirtime.exchangeAirtime(centralOctets: centralOctets, peripheralOctets: peripheralOctets, phy: link.phy)
                if exchanges > 0, used + cost > budget { break }
                used += cost
                exchanges += 1
                if link.lossRate > 0, random.unit() < link.lossRate {
                    statistics.retransmissions += 1
                    break
                }
                heard = true
                if !link.hostQueue.isEmpty {
                    link.hostQueue[0].sent += centralOctets
                    if link.hostQueue[0].sent >= link.hostQueue[0].payload.count {
                        let packet = link.hostQueue.removeFirst()
                        completed += 1
                        deliverToPeripheral(packet, handle: handle, into: &arrived)
                    }
                }
                if !link.peripheralQueue.isEmpty {
                    let fragment = link.peripheralQueue.removeFirst()
                    var writer = ByteWriter(capacity: fragment.payload.count + 4)
                    ACLDataHeader.encode(handle: handle, boundary: fragment.boundary, data: fragment.payload, into: &writer)
                    emit(.aclData, writer.bytes)
                    statistics.aclPacketsToHost += 1
                    if fragment.endsServerInitiatedPDU { statistics.notificationsDelivered += 1 }
                }
            }
        }
        if heard {
            link.lastHeard = now
        } else if now - link.lastHeard >= link.timeoutSeconds {
            links[handle] = link
            statistics.supervisionTimeouts += 1
            closeLink(handle, hostReason: HCIStatusCode.connectionTimeout, peripheralReason: HCIStatusCode.connectionTimeout)
            return
        }
        if completed > 0 {
            statistics.hostPacketsCompleted += Int(completed)
            emitCompletedPackets([(handle, completed)])
        }
        // What reached the peripheral is answered from the next connection event on.
        for frame in arrived { handleL2CAP(frame, handle: handle, link: &link) }
        links[handle] = link
        scheduler.schedule(.connectionEvent(handle: handle, generation: link.generation), at: now + link.intervalSeconds)
    }

    private func runProcedures(_ link: inout ControllerLink) {
        guard !link.procedures.isEmpty else { return }
        var remaining: [(instant: UInt64, procedure: ControllerLink.Procedure)] = []
        for entry in link.procedures {
            guard entry.instant <= link.eventCounter else {
                remaining.append(entry)
                continue
            }
            switch entry.procedure {
            case .initialDataLength(let octets):
                let previous = (link.centralOctets, link.peripheralOctets)
                link.centralOctets = octets
                link.peripheralOctets = octets
                if previous != (octets, octets) { emitDataLengthChange(link) }
            case .setDataLength(let octets):
                if link.centralOctets != octets {
                    link.centralOctets = octets
                    emitDataLengthChange(link)
                }
            case let .connectionUpdate(interval, latency, timeout):
                link.interval = interval
                link.latency = latency
                link.timeout = timeout
                var writer = ByteWriter(capacity: 16)
                HCIEvent.LEConnectionUpdateComplete(connectionHandle: link.handle, connectionInterval: interval,
                                                    peripheralLatency: latency, supervisionTimeout: timeout).encode(into: &writer)
                if isLEEventEnabled(HCIEvent.LEConnectionUpdateComplete.subevent) { emit(.event, writer.bytes) }
            case .phyUpdate(let phy):
                link.phy = phy
                var writer = ByteWriter(capacity: 8)
                HCIEvent.LEPHYUpdateComplete(connectionHandle: link.handle, txPHY: phy, rxPHY: phy).encode(into: &writer)
                if isLEEventEnabled(HCIEvent.LEPHYUpdateComplete.subevent) { emit(.event, writer.bytes) }
            case .readRemoteFeatures:
                // LE Read Remote Features Complete (§7.7.65.4): the peripheral's LL features.
                emitLEMeta(subevent: 0x04) { writer in
                    writer.write(HCIStatusCode.success)
                    writer.write(link.handle)
                    writer.write(Self.leFeatures)
                }
            case .readRemoteVersion:
                // Read Remote Version Information Complete (§7.7.12).
                if isEventEnabled(0x0C) {
                    emitEvent(code: 0x0C) { writer in
                        writer.write(HCIStatusCode.success)
                        writer.write(link.handle)
                        writer.write(Self.coreVersion)
                        writer.write(0xFFFF as UInt16)
                        writer.write(0x0001 as UInt16)
                    }
                }
            }
        }
        link.procedures = remaining
    }

    private func emitDataLengthChange(_ link: ControllerLink) {
        guard isLEEventEnabled(HCIEvent.LEDataLengthChange.subevent) else { return }
        var writer = ByteWriter(capacity: 16)
        HCIEvent.LEDataLengthChange(connectionHandle: link.handle, maxTxOctets: link.centralOctets,
                                    maxTxTime: LinkAirtime.maximumTime(octets: link.centralOctets),
                                    maxRxOctets: link.peripheralOctets,
                                    maxRxTime: LinkAirtime.maximumTime(octets: link.peripheralOctets)).encode(into: &writer)
        emit(.event, writer.bytes)
    }

    /// Ends a link: Disconnection Complete to the host, `disconnected` to the peripheral.
    func closeLink(_ handle: ConnectionHandle, hostReason: UInt8, peripheralReason: UInt8) {
        guard let link = links.removeValue(forKey: handle) else { return }
        reassembler.reset(handle: handle)
        peripherals[link.peripheral].connectedHandle = nil
        if isEventEnabled(HCIEvent.DisconnectionComplete.code) {
            var writer = ByteWriter(capacity: 8)
            HCIEvent.DisconnectionComplete(connectionHandle: handle, reason: hostReason).encode(into: &writer)
            emit(.event, writer.bytes)
        }
        peripherals[link.peripheral].device.disconnected(handle: handle, reason: peripheralReason, at: now)
    }

    // MARK: L2CAP on the peripheral's side

    func l2capPDU(channel: L2CAPChannelID, _ payload: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(capacity: payload.count + L2CAPBasicHeader.size)
        L2CAPBasicHeader.encode(channel: channel, payload: payload, into: &writer)
        return writer.bytes
    }

    /// Splits an L2CAP PDU into LL PDUs of the peripheral's data length; each becomes one
    /// ACL packet to the host (first: "first automatically flushable", then continuations).
    private func enqueue(_ pdu: [UInt8], serverInitiated: Bool, on link: inout ControllerLink) {
        let size = max(1, min(Int(link.peripheralOctets), Int(configuration.leACLDataPacketLength)))
        var start = 0
        repeat {
            let end = min(start + size, pdu.count)
            link.peripheralQueue.append(ControllerLink.PeripheralFragment(
                boundary: start == 0 ? .firstFlushable : .continuing, payload: Array(pdu[start..<end]),
                endsServerInitiatedPDU: serverInitiated && end == pdu.count))
            start = end
        } while start < pdu.count
    }

    /// Hands a transmitted host ACL packet to the peripheral's L2CAP reassembly; complete
    /// frames (channel and payload with the 4-byte header) are collected in `arrived`.
    private func deliverToPeripheral(_ packet: ControllerLink.HostPacket, handle: ConnectionHandle, into arrived: inout [[UInt8]]) {
        var frames: [[UInt8]] = []
        do throws(WireError) {
            try reassembler.push(handle: handle, boundary: packet.boundary, fragment: packet.payload.span.bytes, offset: 0) {
                (frame: borrowing L2CAPFrame) throws(WireError) in
                let channel = frame.channelID.rawValue
                var bytes: [UInt8] = [0, 0, UInt8(truncatingIfNeeded: channel), UInt8(truncatingIfNeeded: channel >> 8)]
                frame.payload.withUnsafeBytes { bytes.append(contentsOf: $0) }
                frames.append(bytes)
            }
        } catch {
            statistics.l2capErrors += 1
        }
        arrived.append(contentsOf: frames)
    }

    /// One complete L2CAP frame from the host: ATT to the peripheral, LE signalling and SMP
    /// answered here (bytes 0...1 of `frame` are unused, 2...3 the channel).
    private func handleL2CAP(_ frame: [UInt8], handle: ConnectionHandle, link: inout ControllerLink) {
        let channel = L2CAPChannelID(UInt16(frame[2]) | UInt16(frame[3]) << 8)
        let payload = Array(frame[4...])
        switch channel {
        case .att:
            let device = peripherals[link.peripheral].device
            if let response = device.attributeRequest(payload, handle: handle, at: now) {
                link.pendingResponses.append((l2capPDU(channel: .att, response), false))
            }
        case .leSignaling:
            if let answer = signalingAnswer(payload) {
                link.pendingResponses.append((l2capPDU(channel: .leSignaling, answer), false))
            }
        case .securityManager:
            // Pairing Failed, reason "Pairing Not Supported" (Vol 3, Part H, §3.5.5), to
            // every SMP PDU but a Pairing Failed, so that a host never waits for pairing.
            if let code = payload.first, code != 0x05 {
                link.pendingResponses.append((l2capPDU(channel: .securityManager, [0x05, 0x05]), false))
            }
        default:
            statistics.l2capErrors += 1
        }
    }

    /// The peripheral's answer to an LE signalling command from the central (Vol 3, Part A,
    /// §4): a central may not send Connection Parameter Update Request, so it gets Command
    /// Reject as §4.20 requires; LE credit-based connections are refused ("SPSM not
    /// supported"); any other request is not understood; responses need no answer.
    private func signalingAnswer(_ payload: [UInt8]) -> [UInt8]? {
        let command: LESignalingCommand
        do throws(WireError) {
            command = try LESignalingCommand(parsing: payload.span.bytes)
        } catch {
            statistics.l2capErrors += 1
            // Malformed: not understood, if at least its identifier is there.
            guard payload.count >= 2 else { return nil }
            return encodeSignaling(.commandReject(identifier: payload[1], reason: .commandNotUnderstood))
        }
        switch command {
        case .connectionParameterUpdateRequest(let identifier, _):
            return encodeSignaling(.commandReject(identifier: identifier, reason: .commandNotUnderstood))
        case .disconnectionRequest(let identifier, let destination, let source):
            return encodeSignaling(.commandReject(identifier: identifier, reason: .invalidCID(localCID: destination, remoteCID: source)))
        case .other(let code, let identifier, _):
            if code == 0x14 {
                // LE Credit Based Connection Response: DCID, MTU, MPS, credits 0; result 0x0002.
                return [0x15, identifier, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00]
            }
            // Odd codes are responses; even codes requests (Table 4.2).
            return code & 1 == 0 ? encodeSignaling(.commandReject(identifier: identifier, reason: .commandNotUnderstood)) : nil
        case .commandReject, .disconnectionResponse, .connectionParameterUpdateResponse:
            return nil
        }
    }

    private func encodeSignaling(_ command: LESignalingCommand) -> [UInt8] {
        var writer = ByteWriter(capacity: 12)
        command.encode(into: &writer)
        return writer.bytes
    }
}
