import BLEWire

/// What the central host does with the controller's events: advertising reports feed
/// device selection, connection events open and close links.
extension CentralHost {
    /// `event` is what the host link parsed of `packet` (nil: malformed).
    func handleEvent(_ event: HCIEvent?, in packet: RawSpan) {
        guard let event else {
            statistics.malformedPackets += 1
            return
        }
        let now = clock()
        if isKernelManaged && Self.belongsToKernel(event) { return }
        switch event {
        case .commandComplete(let complete):
            if let status = complete.status, status != 0 { commandFailed(complete.opcode, status: status, at: now) }
        case .commandStatus(let status):
            if status.status != 0 { commandFailed(status.opcode, status: status.status, at: now) }
        case .leAdvertisingReport(let reports):
            try? reports.forEach(in: packet) { report, data in
                // ADV_IND and ADV_DIRECT_IND are connectable (§7.7.65.2); a scan response
                // says nothing about it.
                let connectable: Bool? = switch report.eventType {
                case .advInd, .advDirectInd: true
                case .scanResponse: nil
                default: false
                }
                advertisement(data, address: report.address, addressType: report.addressType, rssi: report.rssi,
                              connectable: connectable, at: now)
            }
        case .leExtendedAdvertisingReport(let reports):
            try? reports.forEach(in: packet) { report, data in
                advertisement(data, address: report.address, addressType: report.addressType, rssi: report.rssi,
                              connectable: report.isScanResponse ? nil : report.isConnectable, at: now)
            }
        case .leConnectionComplete(let complete):
            connectionComplete(status: complete.status, handle: complete.connectionHandle, role: complete.role,
                               address: complete.peerAddress, addressType: complete.peerAddressType, at: now)
        case .leEnhancedConnectionComplete(let complete):
            connectionComplete(status: complete.status, handle: complete.connectionHandle, role: complete.role,
                               address: complete.peerAddress, addressType: complete.peerAddressType, at: now)
        case .disconnectionComplete(let complete):
            guard complete.status == 0 else { return }
            disconnected(handle: complete.connectionHandle, reason: complete.reason, at: now)
        case .leRemoteConnectionParameterRequest(let request):
            link.accept(request)
        case .leConnectionUpdateComplete(let update) where update.status == 0:
            statistics.connectionParameterUpdates += 1
            delegate?.central(self, event: .connectionParametersUpdated(
                handle: update.connectionHandle, interval: Double(update.connectionInterval) * 0.00125), at: now)
        case .numberOfCompletedPackets, .leDataLengthChange, .lePHYUpdateComplete, .encryptionChange,
             .leConnectionUpdateComplete:
            break
        default:
            // Unknown or unasked-for events are survived (a controller may send vendor events).
            statistics.unexpectedPackets += 1
        }
    }

    func commandFailed(_ opcode: HCIOpcode, status: UInt8, at now: Double) {
        statistics.failedCommands += 1
        if opcode == .leCreateConnection || opcode == .leExtendedCreateConnection, let attempt = initiating {
            // The attempt never started: no Connection Complete will come.
            initiating = nil
            setScanning(true)
            if queue.refused(status: status, links: links.count, at: now) {
                // No room for another link: the device waits, it did not fail.
                statistics.refusedForRoom += 1
                return
            }
            delegate?.central(self, event: .commandFailed(opcode: opcode.rawValue, status: status), at: now)
            connectFailed(attempt.address, status: status, at: now)
            return
        }
        delegate?.central(self, event: .commandFailed(opcode: opcode.rawValue, status: status), at: now)
    }

    // MARK: Advertising and selection

    func advertisement(_ data: RawSpan, address: BDAddress, addressType: UInt8, rssi: Int8, connectable: Bool?,
                       at now: Double) {
        statistics.advertisingReports += 1
        var device = devices[address] ?? SeenDevice(addressType: addressType)
        if let connectable { device.connectable = connectable; device.addressType = addressType }
        let parsed = AdvertisingData(data)
        if let name = try? parsed.localNameString() { device.name = name }
        try? parsed.forEachServiceUUID { uuid in device.services.insert(uuid) }
        devices[address] = device
        delegate?.central(self, advertisement: data, from: address, rssi: rssi, at: now)
    }

    /// Whether a device is one to connect to (the allowlist, else a wanted service).
    func isWanted(_ address: BDAddress, _ device: SeenDevice) -> Bool {
        if configuration.allow.isEmpty {
            return !device.services.isDisjoint(with: configuration.wantedServices)
        }
        return configuration.allow.contains { $0.matches(address: address, services: device.services, name: device.name) }
    }

    var connectionLimit: Int {
        min(configuration.maxConnections ?? Int.max, queue.learnedLimit ?? Int.max)
    }

    /// The limit as of `now`: a learned one lapses now and then to be probed again.
    func connectionLimit(at now: Double) -> Int {
        min(configuration.maxConnections ?? Int.max, queue.limit(at: now) ?? Int.max)
    }

    /// Starts a connection to the next wanted device that is due, one attempt at a time.
    func connectNext(at now: Double) {
        // Kernel-managed attempts under way hold a link each already.
        guard links.count + pendingBearers.count < connectionLimit(at: now) else { return }
        // The address order makes attempts repeatable; a busy radio is fair to every device
        // because each one that fails waits its backoff.
        guard let (address, device) = devices
            .filter({ $0.value.connectable && $0.value.connectedHandle == nil && $0.value.retryAt <= now
                      && pendingBearers[$0.key] == nil && isWanted($0.key, $0.value) })
            .min(by: { $0.key < $1.key }) else { return }
        if isKernelManaged {
            connectThroughBearer(address, device, at: now)
            return
        }
        statistics.connectionAttempts += 1
        initiating = (address, now, false)
        // Scanning stops while initiating: not every controller does both (Vol 6, Part B,
        // §4.6 "LE Supported States").
        setScanning(false)
        let ownType: UInt8 = configuration.ownRandomAddress == nil ? 0x00 : 0x01
        let interval = (min: Self.units(configuration.connectionInterval.lowerBound, 0.00125),
                        max: Self.units(configuration.connectionInterval.upperBound, 0.00125))
        let parameters = LEConnectionParameters(intervalMin: interval.min, intervalMax: interval.max, maxLatency: 0,
                                                supervisionTimeout: Self.units(configuration.supervisionTimeout, 0.01))
        let scanInterval = Self.units(configuration.scanInterval, 0.000625)
        let scanWindow = Self.units(configuration.scanWindow, 0.000625)
        let command: HCICommand = usesExtendedCommands
            ? .leExtendedCreateConnection(LEExtendedCreateConnection(
                ownAddressType: ownType, peerAddressType: device.addressType, peerAddress: address,
                le1M: LEInitiatingPHYParameters(scanInterval: scanInterval, scanWindow: scanWindow, connection: parameters)))
            : .leCreateConnection(LECreateConnection(
                scanInterval: scanInterval, scanWindow: scanWindow, peerAddressType: device.addressType,
                peerAddress: address, ownAddressType: ownType, connection: parameters))
        link.send(command: command.encoded)
        delegate?.central(self, event: .connecting(address), at: now)
    }

    /// Seconds to HCI units, clamped to what 16 bits hold.
    static func units(_ seconds: Double, _ unit: Double) -> UInt16 {
        UInt16(clamping: Int((seconds / unit).rounded()))
    }

    var scanParameters: LEScanParameters {
        LEScanParameters(scanType: configuration.activeScan ? .active : .passive,
                         scanInterval: Self.units(configuration.scanInterval, 0.000625),
                         scanWindow: Self.units(min(configuration.scanWindow, configuration.scanInterval), 0.000625),
                         ownAddressType: configuration.ownRandomAddress == nil ? 0x00 : 0x01, scanningFilterPolicy: 0)
    }

    var extendedScanParameters: LEExtendedScanParameters {
        LEExtendedScanParameters(ownAddressType: scanParameters.ownAddressType, scanningFilterPolicy: 0,
                                 le1M: LEScanPHYParameters(scanType: scanParameters.scanType,
                                                           scanInterval: scanParameters.scanInterval,
                                                           scanWindow: scanParameters.scanWindow))
    }

    /// Duplicate filtering stays off: BTHome and our adverts change their data while the
    /// address stays, and a controller's filter would drop the new values (§7.8.11).
    func scanEnableCommand(_ enable: Bool) -> HCICommand {
        usesExtendedCommands
            ? .leSetExtendedScanEnable(LEExtendedScanEnable(enable: enable, filterDuplicates: .disabled))
            : .leSetScanEnable(enable: enable, filterDuplicates: false)
    }

    func setScanning(_ enable: Bool) {
        guard enable != scanningEnabled else { return }
        scanningEnabled = enable
        link.send(command: scanEnableCommand(enable).encoded)
    }

    // MARK: Links

    func connectionComplete(status: UInt8, handle: ConnectionHandle, role: UInt8, address: BDAddress, addressType: UInt8,
                            at now: Double) {
        if initiating?.address == address || status != 0 { initiating = nil }
        // A kernel-managed adapter's scanner is the kernel's while it connects (resumeScanning).
        if !isKernelManaged { setScanning(true) }
        guard status == 0 else {
            if queue.refused(status: status, links: links.count, at: now) {
                statistics.refusedForRoom += 1
                return
            }
            connectFailed(address, status: status, at: now)
            return
        }
        guard role == 0x00 else {
            // Someone connected to us as a peripheral: the gateway serves nothing.
            link.send(command: HCICommand.disconnect(handle: handle, reason: HCIStatusCode.remoteUserTerminated).encoded)
            return
        }
        statistics.connections += 1
        var device = devices[address] ?? SeenDevice(addressType: addressType)
        device.connectedHandle = handle
        devices[address] = device
        let peer = CentralPeer(handle: handle, address: address, addressType: addressType, name: device.name, mtu: 23)
        let client = GATTClientLink(peer: peer, clientMTU: configuration.clientMTU,
                                    wantsSubscription: wantsSubscription, wantsRead: wantsRead)
        reassembler.reset(handle: handle)
        let request = client.start(at: now)
        links[handle] = client
        sendATT(request, handle: handle)
        delegate?.central(self, event: .connected(peer), at: now)
    }

    func connectFailed(_ address: BDAddress, status: UInt8, at now: Double) {
        statistics.failedConnections += 1
        delegate?.central(self, event: .connectFailed(address, status: status), at: now)
        backoff(address, at: now)
    }

    /// Doubles the wait after each failure, from the configured minimum to its maximum.
    func backoff(_ address: BDAddress, at now: Double) {
        guard var device = devices[address] else { return }
        let range = configuration.reconnectBackoff
        let wait = min(range.upperBound, range.lowerBound * Double(1 << min(device.failures, 20)))
        device.failures += 1
        device.retryAt = now + wait
        devices[address] = device
        delegate?.central(self, event: .backoff(address, retryAt: device.retryAt), at: now)
    }

    func disconnected(handle: ConnectionHandle, reason: UInt8, at now: Double) {
        link.linkClosed(handle: handle)
        reassembler.reset(handle: handle)
        guard let client = links.removeValue(forKey: handle) else { return }
        statistics.disconnections += 1
        let address = client.peer.address
        devices[address]?.connectedHandle = nil
        // A link that reached the ready state resets the failure count: it was a drop,
        // not a device that cannot be served.
        if client.step == .ready { devices[address]?.failures = 0 }
        delegate?.central(self, event: .disconnected(client.peer, reason: reason), at: now)
        backoff(address, at: now)
    }
}
