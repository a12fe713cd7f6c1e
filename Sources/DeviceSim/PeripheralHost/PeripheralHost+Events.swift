import BLEWire

/// What the peripheral host does with the controller's events and ACL data.
extension PeripheralHost {
    /// `event` is what the host link parsed of `packet` (nil: malformed).
    func handleEvent(_ event: HCIEvent?, in packet: RawSpan, at time: Double) {
        guard let event else {
            statistics.malformedPackets += 1
            return
        }
        switch event {
        case .commandComplete(let complete):
            if let status = complete.status, status != 0 { statistics.failedCommands += 1 }
        case .commandStatus(let status):
            if status.status != 0 { statistics.failedCommands += 1 }
        case .leConnectionComplete(let complete):
            connected(status: complete.status, handle: complete.connectionHandle, role: complete.role,
                      central: complete.peerAddress, at: time)
        case .leEnhancedConnectionComplete(let complete):
            connected(status: complete.status, handle: complete.connectionHandle, role: complete.role,
                      central: complete.peerAddress, at: time)
        case .disconnectionComplete(let complete):
            guard complete.status == 0 else { return }
            disconnected(handle: complete.connectionHandle, reason: complete.reason, at: time)
        case .leRemoteConnectionParameterRequest(let request):
            link.accept(request)
        case .leMetaOther(AdvertisingSetTerminated.subevent, let parameters):
            do throws(WireError) {
                setTerminated(try AdvertisingSetTerminated(parsing: packet.extracting(parameters), base: parameters.lowerBound),
                              at: time)
            } catch {
                statistics.malformedPackets += 1
            }
        default:
            break
        }
    }

    /// LE (Enhanced) Connection Complete (Vol 4, Part E, §7.7.65.1 and §7.7.65.10). The
    /// controller has stopped the advertising that took the connection by now (§7.8.9,
    /// §7.8.56). With legacy advertising the link is the one device's; with sets, the LE
    /// Advertising Set Terminated that follows (§7.8.56, §7.7.65.18) says whose it is.
    func connected(status: UInt8, handle: ConnectionHandle, role: UInt8, central: BDAddress, at time: Double) {
        guard status == 0, role == 0x01 else { return }  // 0x01: we are the peripheral
        guard usesAdvertisingSets else {
            hosted[0].advertisingEnabled = false
            assign(handle, to: 0, central: central, at: time)
            return
        }
        if let set = terminatedSets.removeValue(forKey: handle) {
            assign(handle, toSet: set, central: central, at: time)
        } else {
            unassignedLinks[handle] = central
        }
    }

    /// LE Advertising Set Terminated (§7.7.65.18): the set stopped; with Status 0 because
    /// the central of the link `connectionHandle` connected to it.
    func setTerminated(_ event: AdvertisingSetTerminated, at time: Double) {
        let index = Int(event.advertisingHandle)
        guard hosted.indices.contains(index) else { return }
        hosted[index].advertisingEnabled = false
        // Another Status (the set's duration or event count ran out, which this host never
        // sets): the next tick enables it again.
        guard event.status == 0 else { return }
        if let central = unassignedLinks.removeValue(forKey: event.connectionHandle) {
            assign(event.connectionHandle, toSet: event.advertisingHandle, central: central, at: time)
        } else {
            terminatedSets[event.connectionHandle] = event.advertisingHandle
        }
    }

    func assign(_ handle: ConnectionHandle, toSet set: UInt8, central: BDAddress, at time: Double) {
        assign(handle, to: Int(set), central: central, at: time)
        if connections[handle] != nil { followNewestLink(Int(set)) }
    }

    /// The link becomes the device's; a device already connected turns a second central away.
    func assign(_ handle: ConnectionHandle, to index: Int, central: BDAddress, at time: Double) {
        if let current = hosted[index].connectionHandle, current != handle {
            link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
            return
        }
        hosted[index].connectionHandle = handle
        connections[handle] = index
        statistics.connections += 1
        hosted[index].device.connected(handle: handle, central: central, at: time)
    }

    /// Disconnection Complete (§7.7.5): the controller flushed what it held for the link,
    /// so those buffers are free again (§4.3).
    func disconnected(handle: ConnectionHandle, reason: UInt8, at time: Double) {
        link.linkClosed(handle: handle)
        reassembler.reset(handle: handle)
        unassignedLinks[handle] = nil
        terminatedSets[handle] = nil
        guard let index = connections.removeValue(forKey: handle) else { return }
        hosted[index].connectionHandle = nil
        statistics.disconnections += 1
        hosted[index].device.disconnected(handle: handle, reason: reason, at: time)
        // Advertising comes back at the next tick (after a scripted drop's downtime).
        hosted[index].lastAdvertisingRefresh = -.infinity
    }

    /// An ACL data packet from the central: reassembled into L2CAP PDUs (Vol 3, Part A, §7.2)
    /// and dispatched by channel.
    func handleACL(_ packet: RawSpan, at time: Double) {
        let header: ACLDataHeader
        do throws(WireError) {
            header = try ACLDataHeader(parsing: packet)
        } catch {
            statistics.malformedPackets += 1
            return
        }
        statistics.aclPacketsReceived += 1
        let handle = header.connectionHandle
        guard let index = connections[handle] else { return }
        var frames: [(channel: L2CAPChannelID, payload: [UInt8])] = []
        do throws(WireError) {
            try reassembler.push(handle: handle, boundary: header.boundary, fragment: packet.extracting(header.payload),
                                 offset: header.payload.lowerBound) { frame throws(WireError) in
                frames.append((frame.channelID, frame.payload.withUnsafeBytes { Array($0) }))
            }
        } catch {
            statistics.malformedPackets += 1
        }
        for frame in frames {
            handleL2CAP(frame.payload, channel: frame.channel, handle: handle, device: hosted[index].device, at: time)
        }
    }

    func handleL2CAP(_ payload: [UInt8], channel: L2CAPChannelID, handle: ConnectionHandle, device: any VirtualPeripheral,
                     at time: Double) {
        switch channel {
        case .att:
            statistics.attributeRequests += 1
            if let response = device.attributeRequest(payload, handle: handle, at: time) {
                enqueue(response, channel: .att, handle: handle)
            }
        case .securityManager:
            // Pairing Request (code 0x01, Vol 3, Part H, §3.5.1) answered with Pairing Failed
            // (0x05, §3.5.5), reason Pairing Not Supported (0x05): the simulated devices
            // serve everything unencrypted.
            if payload.first == 0x01 { enqueue([0x05, 0x05], channel: .securityManager, handle: handle) }
        case .leSignaling:
            rejectSignalingRequest(payload, handle: handle)
        default:
            break
        }
    }

    /// Requests on the LE signaling channel this host does not serve (disconnection of a
    /// dynamic channel, credit-based connections) get a Command Reject, reason Command Not
    /// Understood (Vol 3, Part A, §4.1):
    ///
    /// ```
    /// +----------+----------------+------------+------------+
    /// | Code (1) | Identifier (1) | Length (2) | Reason (2) |
    /// +----------+----------------+------------+------------+
    /// ```
    func rejectSignalingRequest(_ payload: [UInt8], handle: ConnectionHandle) {
        guard payload.count >= 2 else { return }
        let requests: Set<UInt8> = [0x06, 0x0A, 0x12, 0x14, 0x17, 0x19]
        guard requests.contains(payload[0]) else { return }
        enqueue([0x01, payload[1], 0x02, 0x00, 0x00, 0x00], channel: .leSignaling, handle: handle)
    }
}
