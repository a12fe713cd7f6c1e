import BLEWire

// The scanner and the initiator: advertising events of the simulated peripherals as the
// controller hears them (Core Specification v5.4, Vol 6, Part B, §4.4.2), the reports it
// gives the host (Vol 4, Part E, §7.7.65.2 and §7.7.65.13), and connection creation
// (§7.8.12, §7.8.66).

extension VirtualController {
    /// advDelay (Vol 6, Part B, §4.4.2.2.1): a pseudo-random 0...10 ms added to every
    /// advertising interval so that advertisers do not stay in lock-step.
    static let maximumAdvertisingDelay = 0.010
    /// Largest data in one legacy advertising PDU.
    static let legacyDataLimit = 31
    /// Largest data one extended report event carries (255 − 2 − 24 header octets).
    static let extendedReportDataLimit = 229

    var needsAdvertisingEvents: Bool { scan != nil || initiation != nil }

    // MARK: Scanning commands

    func setScanParameters(_ parameters: LEScanParameters) {
        guard scan == nil else {
            reject(.leSetScanParameters, status: HCIStatusCode.commandDisallowed)
            return
        }
        guard (4...0x4000).contains(parameters.scanInterval), (4...0x4000).contains(parameters.scanWindow),
              parameters.scanWindow <= parameters.scanInterval else {
            reject(.leSetScanParameters, status: HCIStatusCode.invalidParameters)
            return
        }
        legacyScanParameters = parameters
        emitCommandComplete(.leSetScanParameters, status: HCIStatusCode.success)
    }

    func setExtendedScanParameters(_ parameters: LEExtendedScanParameters) {
        guard scan == nil else {
            reject(.leSetExtendedScanParameters, status: HCIStatusCode.commandDisallowed)
            return
        }
        guard let phy = parameters.le1M ?? parameters.leCoded, phy.scanInterval >= 4, phy.scanWindow >= 4,
              phy.scanWindow <= phy.scanInterval else {
            reject(.leSetExtendedScanParameters, status: HCIStatusCode.invalidParameters)
            return
        }
        extendedScanParameters = parameters
        emitCommandComplete(.leSetExtendedScanParameters, status: HCIStatusCode.success)
    }

    /// Starts or stops scanning. `duration` (extended only) is in units of 10 ms, 0 for
    /// "until disabled"; when it ends the host gets LE Scan Timeout.
    func setScanEnable(enable: Bool, filterDuplicates: Bool, extended: Bool, duration: UInt16) {
        let opcode: HCIOpcode = extended ? .leSetExtendedScanEnable : .leSetScanEnable
        guard enable else {
            scan = nil
            emitCommandComplete(opcode, status: HCIStatusCode.success)
            return
        }
        let type: LEScanType
        let interval: UInt16
        let window: UInt16
        if extended {
            let phy = extendedScanParameters.le1M ?? extendedScanParameters.leCoded
            type = phy?.scanType ?? .passive
            interval = phy?.scanInterval ?? 0x10
            window = phy?.scanWindow ?? 0x10
        } else {
            type = legacyScanParameters.scanType
            interval = legacyScanParameters.scanInterval
            window = legacyScanParameters.scanWindow
        }
        if var current = scan, current.extended == extended {
            // Enabling again only changes duplicate filtering (§7.8.11); the extended
            // command also restarts the duration and the duplicate filter (§7.8.65).
            current.filterDuplicates = filterDuplicates
            if extended { current.reported.removeAll() }
            scan = current
        } else {
            scanGeneration &+= 1
            scan = ScanState(extended: extended, active: type == .active, interval: Double(interval) * 0.000625,
                             window: Double(window) * 0.000625, filterDuplicates: filterDuplicates, start: now,
                             generation: scanGeneration)
        }
        if extended, duration > 0, let generation = scan?.generation {
            scheduler.schedule(.scanTimeout(generation: generation), at: now + Double(duration) * 0.01)
        }
        emitCommandComplete(opcode, status: HCIStatusCode.success)
        startAdvertisingEvents()
    }

    // MARK: Initiating

    func createConnection(_ request: Initiation, opcode: HCIOpcode) {
        guard initiation == nil else {
            reject(opcode, status: HCIStatusCode.commandDisallowed)
            return
        }
        let parameters = request.parameters
        let limits = ConnectionParameters(intervalMin: parameters.intervalMin, intervalMax: parameters.intervalMax,
                                          peripheralLatency: parameters.maxLatency,
                                          timeoutMultiplier: parameters.supervisionTimeout)
        guard limits.validate() == nil else {
            reject(opcode, status: HCIStatusCode.invalidParameters)
            return
        }
        guard links.count < configuration.maximumConnections else {
            reject(opcode, status: HCIStatusCode.connectionLimitExceeded)
            return
        }
        if !request.useAcceptList, connectionHandle(for: request.peerAddress) != nil {
            reject(opcode, status: HCIStatusCode.connectionAlreadyExists)
            return
        }
        initiation = request
        emitCommandStatus(opcode, status: HCIStatusCode.success)
        startAdvertisingEvents()
    }

    func cancelConnection() {
        guard let pending = initiation else {
            reject(.leCreateConnectionCancel, status: HCIStatusCode.commandDisallowed)
            return
        }
        initiation = nil
        emitCommandComplete(.leCreateConnectionCancel, status: HCIStatusCode.success)
        // The creation ends with a Connection Complete carrying "Unknown Connection
        // Identifier" (§7.8.13).
        emitConnectionComplete(status: HCIStatusCode.unknownConnection, handle: ConnectionHandle(0), peerAddressType: pending.peerAddressType,
                               peerAddress: pending.peerAddress, interval: 0, latency: 0, timeout: 0)
    }

    // MARK: Advertising events

    func startAdvertisingEvents() {
        for index in peripherals.indices where !peripherals[index].advertisingScheduled {
            scheduleFirstAdvertising(index)
        }
    }

    /// The first event falls at a random phase within one interval, as advertisers that
    /// started at unrelated times would.
    func scheduleFirstAdvertising(_ index: Int) {
        let interval = max(peripherals[index].device.advertisingInterval, 0.020)
        peripherals[index].advertisingGeneration &+= 1
        peripherals[index].advertisingScheduled = true
        scheduler.schedule(.advertising(peripheral: index, generation: peripherals[index].advertisingGeneration),
                           at: now + random.uniform(0, interval))
    }

    func advertisingEvent(_ index: Int) {
        guard needsAdvertisingEvents else {
            peripherals[index].advertisingScheduled = false
            return
        }
        let device = peripherals[index].device
        device.advance(to: now)
        if device.isAdvertising {
            if let request = initiation, device.isConnectable, peripherals[index].connectedHandle == nil,
               request.useAcceptList ? acceptList.contains(device.address) : request.peerAddress == device.address {
                establishConnection(with: index, request: request)
            }
            if let scan, isInScanWindow(scan) { report(index, scan: scan) }
        }
        let interval = max(device.advertisingInterval, 0.020)
        scheduler.schedule(.advertising(peripheral: index, generation: peripherals[index].advertisingGeneration),
                           at: now + interval + random.uniform(0, Self.maximumAdvertisingDelay))
    }

    /// The scanner listens for `window` out of every `interval`.
    private func isInScanWindow(_ scan: ScanState) -> Bool {
        guard scan.window < scan.interval else { return true }
        let phase = (now - scan.start).truncatingRemainder(dividingBy: scan.interval)
        return phase < scan.window
    }

    func rssiSample(_ index: Int) -> Int8 {
        let jitter = Int(random.next() % 7) - 3
        return Int8(clamping: peripherals[index].rssi + jitter)
    }

    private func report(_ index: Int, scan: ScanState) {
        let device = peripherals[index].device
        let data = device.advertisingData
        let scanResponse = device.scanResponseData
        let connectable = device.isConnectable
        let scannable = connectable || !scanResponse.isEmpty
        let addressType = device.addressType.rawValue
        if data.count > Self.legacyDataLimit {
            // Only an extended advertiser can carry this much, and only an extended scanner
            // hears it (on the secondary channel, here LE 1M).
            guard scan.extended else { return }
            let truncated = data.count > Self.extendedReportDataLimit
            let eventType: UInt16 = (connectable ? 0x01 : 0x00) | (truncated ? 2 << 5 : 0)
            let payload = Array(data.prefix(Self.extendedReportDataLimit))
            guard passesDuplicateFilter(device.address, eventType: eventType, data: payload) else { return }
            var writer = ByteWriter(capacity: 48 + payload.count)
            HCIEvent.LEExtendedAdvertisingReports.encode(
                HCIEvent.LEExtendedAdvertisingReport(eventType: eventType, addressType: addressType, address: device.address,
                                                     primaryPHY: 1, secondaryPHY: 1, advertisingSID: 0,
                                                     rssi: rssiSample(index)),
                data: payload, into: &writer)
            emitReport(writer.bytes, subevent: HCIEvent.LEExtendedAdvertisingReports.subevent)
            return
        }
        let legacyType: LEAdvertisingEventType = connectable ? .advInd : (scannable ? .advScanInd : .advNonconnInd)
        emitAdvertisingReport(index, scan: scan, legacyType: legacyType, data: data)
        if scan.active, scannable {
            emitAdvertisingReport(index, scan: scan, legacyType: .scanResponse, data: Array(scanResponse.prefix(Self.legacyDataLimit)),
                                  respondingTo: legacyType)
        }
    }

    /// Extended reports of legacy PDUs use these Event_Type values (§7.7.65.13, Table 7.1).
    private func extendedEventType(_ type: LEAdvertisingEventType, respondingTo original: LEAdvertisingEventType) -> UInt16 {
        switch type {
        case .advInd: 0x13
        case .advDirectInd: 0x15
        case .advScanInd: 0x12
        case .advNonconnInd: 0x10
        case .scanResponse: original == .advInd ? 0x1B : 0x1A
        }
    }

    private func emitAdvertisingReport(_ index: Int, scan: ScanState, legacyType: LEAdvertisingEventType, data: [UInt8],
                                       respondingTo original: LEAdvertisingEventType = .advInd) {
        let device = peripherals[index].device
        let eventType = extendedEventType(legacyType, respondingTo: original)
        guard passesDuplicateFilter(device.address, eventType: eventType, data: data) else { return }
        let addressType = device.addressType.rawValue
        var writer = ByteWriter(capacity: 48 + data.count)
        if scan.extended {
            HCIEvent.LEExtendedAdvertisingReports.encode(
                HCIEvent.LEExtendedAdvertisingReport(eventType: eventType, addressType: addressType, address: device.address,
                                                     rssi: rssiSample(index)),
                data: data, into: &writer)
            emitReport(writer.bytes, subevent: HCIEvent.LEExtendedAdvertisingReports.subevent)
        } else {
            HCIEvent.LEAdvertisingReports.encode(
                HCIEvent.LEAdvertisingReport(eventType: legacyType, addressType: addressType, address: device.address,
                                             rssi: rssiSample(index)),
                data: data, into: &writer)
            emitReport(writer.bytes, subevent: HCIEvent.LEAdvertisingReports.subevent)
        }
    }

    private func emitReport(_ event: [UInt8], subevent: UInt8) {
        guard isLEEventEnabled(subevent) else { return }
        statistics.advertisingReports += 1
        emit(.event, event)
    }

    /// With duplicate filtering on, a report is sent once per advertiser and PDU type, and
    /// again when its data changes (as most controllers do, so that a host still sees
    /// changing advertisements such as BTHome broadcasts).
    private func passesDuplicateFilter(_ address: BDAddress, eventType: UInt16, data: [UInt8]) -> Bool {
        guard var current = scan, current.filterDuplicates else { return true }
        let key = ReportKey(address: address, eventType: eventType)
        var hasher = Hasher()
        hasher.combine(data)
        let digest = hasher.finalize()
        if current.reported[key] == digest { return false }
        current.reported[key] = digest
        scan = current
        return true
    }
}
