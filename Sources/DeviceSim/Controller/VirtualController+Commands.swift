import BLEWire

// HCI commands (Core Specification v5.4, Vol 4, Part E, §7): each one is answered at once
// with Command Complete (with its return parameters) or, for commands whose outcome comes
// later, Command Status followed by the outcome's own event.

extension VirtualController {
    /// Commands answered with Command Status rather than Command Complete (§7.1, §7.8):
    /// their failures must be reported the same way.
    static let statusCommands: Set<UInt16> = [
        HCIOpcode.disconnect.rawValue, HCIOpcode.leCreateConnection.rawValue,
        HCIOpcode.leExtendedCreateConnection.rawValue, HCIOpcode.leConnectionUpdate.rawValue,
        Opcode.leSetPHY.rawValue, Opcode.leReadRemoteFeatures.rawValue, Opcode.readRemoteVersionInformation.rawValue,
    ]

    /// Opcodes BLEWire's `HCICommand` parses as `.other`, handled here from their bytes.
    enum Opcode {
        static let readRemoteVersionInformation = HCIOpcode(ogf: 0x01, ocf: 0x001D)
        static let writeLocalName = HCIOpcode(ogf: 0x03, ocf: 0x0013)
        static let readLocalName = HCIOpcode(ogf: 0x03, ocf: 0x0014)
        static let setEventMaskPage2 = HCIOpcode(ogf: 0x03, ocf: 0x0063)
        static let readRSSI = HCIOpcode(ogf: 0x05, ocf: 0x0005)
        static let leReadFilterAcceptListSize = HCIOpcode(ogf: 0x08, ocf: 0x000F)
        static let leClearFilterAcceptList = HCIOpcode(ogf: 0x08, ocf: 0x0010)
        static let leAddDeviceToFilterAcceptList = HCIOpcode(ogf: 0x08, ocf: 0x0011)
        static let leRemoveDeviceFromFilterAcceptList = HCIOpcode(ogf: 0x08, ocf: 0x0012)
        static let leReadRemoteFeatures = HCIOpcode(ogf: 0x08, ocf: 0x0016)
        static let leRand = HCIOpcode(ogf: 0x08, ocf: 0x0018)
        static let leReadSupportedStates = HCIOpcode(ogf: 0x08, ocf: 0x001C)
        static let leReadSuggestedDefaultDataLength = HCIOpcode(ogf: 0x08, ocf: 0x0023)
        static let leWriteSuggestedDefaultDataLength = HCIOpcode(ogf: 0x08, ocf: 0x0024)
        static let leAddDeviceToResolvingList = HCIOpcode(ogf: 0x08, ocf: 0x0027)
        static let leClearResolvingList = HCIOpcode(ogf: 0x08, ocf: 0x0029)
        static let leReadResolvingListSize = HCIOpcode(ogf: 0x08, ocf: 0x002A)
        static let leSetAddressResolutionEnable = HCIOpcode(ogf: 0x08, ocf: 0x002D)
        static let leSetResolvablePrivateAddressTimeout = HCIOpcode(ogf: 0x08, ocf: 0x002E)
        static let leReadMaximumDataLength = HCIOpcode(ogf: 0x08, ocf: 0x002F)
        static let leReadPHY = HCIOpcode(ogf: 0x08, ocf: 0x0030)
        static let leSetDefaultPHY = HCIOpcode(ogf: 0x08, ocf: 0x0031)
        static let leSetPHY = HCIOpcode(ogf: 0x08, ocf: 0x0032)
        static let leReadMaximumAdvertisingDataLength = HCIOpcode(ogf: 0x08, ocf: 0x003A)
        static let leReadNumberOfSupportedAdvertisingSets = HCIOpcode(ogf: 0x08, ocf: 0x003B)
        static let leReadTransmitPower = HCIOpcode(ogf: 0x08, ocf: 0x004B)
        static let leSetHostFeature = HCIOpcode(ogf: 0x08, ocf: 0x0074)
    }

    /// Entries in the filter accept list and the resolving list (sizes only: the lists are
    /// kept for connecting through the accept list; resolution is not simulated).
    static let filterAcceptListSize: UInt8 = 16
    static let resolvingListSize: UInt8 = 16

    // MARK: Dispatch

    func receiveCommand(_ packet: RawSpan) {
        statistics.commands += 1
        guard packet.byteCount >= HCICommand.headerSize else {
            // Not even an opcode to answer: the host gets no credit back for it, which is
            // what a real controller would do with a packet it could not frame either.
            statistics.malformedHostPackets += 1
            return
        }
        let opcode = HCIOpcode(rawValue: UInt16(packet.unsafeLoad(fromByteOffset: 0, as: UInt8.self))
            | UInt16(packet.unsafeLoad(fromByteOffset: 1, as: UInt8.self)) << 8)
        guard VirtualControllerSupportedCommands.isSupported(opcode) else {
            statistics.unknownCommands += 1
            reject(opcode, status: HCIStatusCode.unknownCommand)
            return
        }
        do throws(WireError) {
            let command = try HCICommand(parsing: packet)
            try handle(command, packet: packet)
        } catch {
            statistics.malformedHostPackets += 1
            reject(opcode, status: HCIStatusCode.invalidParameters)
        }
    }

    /// Answers a command with an error status, the way the command would report success.
    func reject(_ opcode: HCIOpcode, status: UInt8) {
        if status != HCIStatusCode.unknownCommand { statistics.rejectedCommands += 1 }
        if Self.statusCommands.contains(opcode.rawValue) {
            emitCommandStatus(opcode, status: status)
        } else {
            emitCommandComplete(opcode, status: status)
        }
    }

    private func handle(_ command: HCICommand, packet: RawSpan) throws(WireError) {
        let opcode = command.opcode
        switch command {
        case .reset:
            resetState()
            emitCommandComplete(opcode, status: HCIStatusCode.success)
        case .setEventMask(let mask):
            eventMask = mask
            emitCommandComplete(opcode, status: HCIStatusCode.success)
        case .leSetEventMask(let mask):
            leEventMask = mask
            emitCommandComplete(opcode, status: HCIStatusCode.success)
        case .readLocalVersionInformation:
            returning(LocalVersionInformation(hciVersion: Self.coreVersion, hciSubversion: 0x0001, lmpVersion: Self.coreVersion,
                                              companyIdentifier: 0xFFFF, lmpSubversion: 0x0001))
        case .readLocalSupportedFeatures:
            returning(LocalSupportedFeatures(lmpFeatures: Self.lmpFeatures))
        case .leReadLocalSupportedFeatures:
            returning(LELocalSupportedFeatures(leFeatures: Self.leFeatures))
        case .readBDAddress:
            returning(LocalBDAddress(address: configuration.address))
        case .readBufferSize:
            // An LE-only controller has no BR/EDR buffers; hosts then use the LE ones.
            returning(BufferSize(aclDataPacketLength: configuration.leACLDataPacketLength, synchronousDataPacketLength: 0,
                                 totalNumACLDataPackets: UInt16(configuration.leACLDataPacketCount),
                                 totalNumSynchronousDataPackets: 0))
        case .leReadBufferSize:
            returning(LEBufferSize(leACLDataPacketLength: configuration.leACLDataPacketLength,
                                   totalNumLEACLDataPackets: configuration.leACLDataPacketCount))
        case .leReadBufferSizeV2:
            returning(LEBufferSize(leACLDataPacketLength: configuration.leACLDataPacketLength,
                                   totalNumLEACLDataPackets: configuration.leACLDataPacketCount,
                                   isoDataPacketLength: 0, totalNumISODataPackets: 0))
        case .leSetRandomAddress(let address):
            randomAddress = address
            emitCommandComplete(opcode, status: HCIStatusCode.success)
        case .writeLEHostSupport:
            emitCommandComplete(opcode, status: HCIStatusCode.success)
        case .leSetScanParameters(let parameters):
            setScanParameters(parameters)
        case .leSetScanEnable(let enable, let filterDuplicates):
            setScanEnable(enable: enable, filterDuplicates: filterDuplicates, extended: false, duration: 0)
        case .leSetExtendedScanParameters(let parameters):
            setExtendedScanParameters(parameters)
        case .leSetExtendedScanEnable(let parameters):
            setScanEnable(enable: parameters.enable, filterDuplicates: parameters.filterDuplicates != .disabled,
                          extended: true, duration: parameters.duration)
        case .leCreateConnection(let parameters):
            createConnection(Initiation(peerAddress: parameters.peerAddress, peerAddressType: parameters.peerAddressType,
                                        useAcceptList: parameters.initiatorFilterPolicy != 0,
                                        ownAddressType: parameters.ownAddressType, parameters: parameters.connection),
                             opcode: opcode)
        case .leExtendedCreateConnection(let parameters):
            guard let phy = parameters.le1M ?? parameters.le2M ?? parameters.leCoded else {
                reject(opcode, status: HCIStatusCode.invalidParameters)
                return
            }
            createConnection(Initiation(peerAddress: parameters.peerAddress, peerAddressType: parameters.peerAddressType,
                                        useAcceptList: parameters.initiatorFilterPolicy != 0,
                                        ownAddressType: parameters.ownAddressType, parameters: phy.connection),
                             opcode: opcode)
        case .leCreateConnectionCancel:
            cancelConnection()
        case .disconnect(let handle, let reason):
            disconnect(handle: handle, reason: reason)
        case .leSetDataLength(let handle, let txOctets, let txTime):
            guard (27...251).contains(txOctets), (0x0148...0x4290).contains(txTime) else {
                emitCommandComplete(opcode, [HCIStatusCode.invalidParameters] + littleEndian(handle.rawValue))
                statistics.rejectedCommands += 1
                return
            }
            guard links[handle] != nil else {
                emitCommandComplete(opcode, [HCIStatusCode.unknownConnection] + littleEndian(handle.rawValue))
                statistics.rejectedCommands += 1
                return
            }
            addProcedure(.setDataLength(octets: min(txOctets, configuration.maximumDataLength)), to: handle, after: 1)
            emitCommandComplete(opcode, [HCIStatusCode.success] + littleEndian(handle.rawValue))
        case .leConnectionUpdate(let handle, let parameters):
            updateConnection(handle: handle, parameters: parameters)
        case .leRemoteConnectionParameterRequestReply:
            // The controller never asks (it runs no peripheral-initiated update), so there
            // is nothing to reply to.
            reject(opcode, status: HCIStatusCode.unknownCommand)
        case .other(let opcode, _):
            try handleOther(opcode, packet: packet)
        }
    }

    private func returning(_ parameters: some HCICommandReturnParameters) {
        var writer = ByteWriter(capacity: 16)
        HCIEvent.CommandComplete.encode(numHCICommandPackets: configuration.commandCredits, returning: parameters, into: &writer)
        emit(.event, writer.bytes)
    }

    private func resetState() {
        for (handle, _) in links.sorted(by: { $0.key < $1.key }) {
            if let index = links[handle]?.peripheral {
                peripherals[index].connectedHandle = nil
                // The central vanished without a word: to the peripheral it is a timeout.
                peripherals[index].device.disconnected(handle: handle, reason: HCIStatusCode.connectionTimeout, at: now)
            }
        }
        links.removeAll()
        reassembler.resetAll()
        scan = nil
        initiation = nil
        for index in peripherals.indices {
            peripherals[index].advertisingGeneration &+= 1
            peripherals[index].advertisingScheduled = false
        }
        eventMask = Self.defaultEventMask
        eventMaskPage2 = 0
        leEventMask = Self.defaultLEEventMask
        randomAddress = nil
        suggestedDataLength = 27
        localName = Array(configuration.localName.utf8.prefix(248))
        acceptList.removeAll()
        nextHandle = ConnectionHandle(0x0001)
    }

    // MARK: Commands BLEWire does not model

    private func handleOther(_ opcode: HCIOpcode, packet: RawSpan) throws(WireError) {
        var cursor = ByteCursor(packet, layer: .hci)
        try cursor.skip(HCICommand.headerSize, "command header")
        let success = HCIStatusCode.success
        switch opcode {
        case .readLocalSupportedCommands:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success] + VirtualControllerSupportedCommands.bitmask)
        case Opcode.setEventMaskPage2:
            eventMaskPage2 = try cursor.readUInt64("Event_Mask_Page_2")
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        case Opcode.writeLocalName:
            let range = try cursor.readRange(248, "Local_Name")
            try cursor.expectEnd()
            let name = packet.extracting(range).withUnsafeBytes { Array($0) }
            localName = Array(name.prefix { $0 != 0 })
            emitCommandComplete(opcode, status: success)
        case Opcode.readLocalName:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success] + localName + [UInt8](repeating: 0, count: 248 - localName.count))
        case Opcode.readRSSI:
            let handle = try cursor.readConnectionHandle("Handle")
            try cursor.expectEnd()
            guard let link = links[handle] else {
                emitCommandComplete(opcode, [HCIStatusCode.unknownConnection] + littleEndian(handle.rawValue) + [0])
                return
            }
            emitCommandComplete(opcode, [success] + littleEndian(handle.rawValue) + [UInt8(bitPattern: rssiSample(link.peripheral))])
        case Opcode.leReadFilterAcceptListSize:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success, Self.filterAcceptListSize])
        case Opcode.leClearFilterAcceptList:
            try cursor.expectEnd()
            acceptList.removeAll()
            emitCommandComplete(opcode, status: success)
        case Opcode.leAddDeviceToFilterAcceptList, Opcode.leRemoveDeviceFromFilterAcceptList:
            _ = try cursor.readUInt8("Address_Type")
            let address = try cursor.readAddress("Address")
            try cursor.expectEnd()
            if opcode == Opcode.leRemoveDeviceFromFilterAcceptList {
                acceptList.remove(address)
            } else if acceptList.count >= Int(Self.filterAcceptListSize) {
                emitCommandComplete(opcode, status: 0x07)  // Memory Capacity Exceeded
                return
            } else {
                acceptList.insert(address)
            }
            emitCommandComplete(opcode, status: success)
        case Opcode.leReadRemoteFeatures, Opcode.readRemoteVersionInformation:
            let handle = try cursor.readConnectionHandle()
            try cursor.expectEnd()
            guard links[handle] != nil else {
                emitCommandStatus(opcode, status: HCIStatusCode.unknownConnection)
                return
            }
            emitCommandStatus(opcode, status: success)
            addProcedure(opcode == Opcode.leReadRemoteFeatures ? .readRemoteFeatures : .readRemoteVersion, to: handle, after: 1)
        case Opcode.leRand:
            try cursor.expectEnd()
            var writer = ByteWriter(capacity: 9)
            writer.write(success)
            writer.write(random.next())
            emitCommandComplete(opcode, writer.bytes)
        case Opcode.leReadSupportedStates:
            try cursor.expectEnd()
            var writer = ByteWriter(capacity: 9)
            writer.write(success)
            writer.write(0x0000_03FF_FFFF_FFFF as UInt64)  // every combination of §7.8.27's states
            emitCommandComplete(opcode, writer.bytes)
        case Opcode.leReadSuggestedDefaultDataLength:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success] + littleEndian(suggestedDataLength)
                                    + littleEndian(LinkAirtime.maximumTime(octets: suggestedDataLength)))
        case Opcode.leWriteSuggestedDefaultDataLength:
            let octets = try cursor.readUInt16("Suggested_Max_TX_Octets")
            let time = try cursor.readUInt16("Suggested_Max_TX_Time")
            try cursor.expectEnd()
            guard (27...251).contains(octets), (0x0148...0x4290).contains(time) else {
                reject(opcode, status: HCIStatusCode.invalidParameters)
                return
            }
            suggestedDataLength = min(octets, configuration.maximumDataLength)
            emitCommandComplete(opcode, status: success)
        case Opcode.leAddDeviceToResolvingList:
            try cursor.skip(1 + 6 + 16 + 16, "resolving list entry")
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        case Opcode.leClearResolvingList:
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        case Opcode.leReadResolvingListSize:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success, Self.resolvingListSize])
        case Opcode.leSetAddressResolutionEnable:
            _ = try cursor.readUInt8("Address_Resolution_Enable")
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        case Opcode.leSetResolvablePrivateAddressTimeout:
            _ = try cursor.readUInt16("RPA_Timeout")
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        case Opcode.leReadMaximumDataLength:
            try cursor.expectEnd()
            let octets = configuration.maximumDataLength
            let time = LinkAirtime.maximumTime(octets: octets)
            emitCommandComplete(opcode, [success] + littleEndian(octets) + littleEndian(time) + littleEndian(octets) + littleEndian(time))
        case Opcode.leReadPHY:
            let handle = try cursor.readConnectionHandle()
            try cursor.expectEnd()
            guard let link = links[handle] else {
                emitCommandComplete(opcode, [HCIStatusCode.unknownConnection] + littleEndian(handle.rawValue) + [0, 0])
                return
            }
            emitCommandComplete(opcode, [success] + littleEndian(handle.rawValue) + [link.phy, link.phy])
        case Opcode.leSetDefaultPHY:
            _ = try cursor.readUInt8("All_PHYs")
            _ = try cursor.readUInt8("TX_PHYs")
            _ = try cursor.readUInt8("RX_PHYs")
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        case Opcode.leSetPHY:
            let handle = try cursor.readConnectionHandle()
            let allPHYs = try cursor.readUInt8("All_PHYs")
            let txPHYs = try cursor.readUInt8("TX_PHYs")
            let rxPHYs = try cursor.readUInt8("RX_PHYs")
            _ = try cursor.readUInt16("PHY_Options")
            try cursor.expectEnd()
            guard links[handle] != nil else {
                emitCommandStatus(opcode, status: HCIStatusCode.unknownConnection)
                return
            }
            // LE 2M when the host allows it in a direction it states a preference for;
            // Coded is not supported, so 1M otherwise.
            let prefersTX2M = allPHYs & 0x01 == 0 && txPHYs & 0x02 != 0
            let prefersRX2M = allPHYs & 0x02 == 0 && rxPHYs & 0x02 != 0
            emitCommandStatus(opcode, status: success)
            addProcedure(.phyUpdate(phy: prefersTX2M || prefersRX2M ? 2 : 1), to: handle, after: 2)
        case Opcode.leReadMaximumAdvertisingDataLength:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success] + littleEndian(31 as UInt16))
        case Opcode.leReadNumberOfSupportedAdvertisingSets:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success, 1])
        case Opcode.leReadTransmitPower:
            try cursor.expectEnd()
            emitCommandComplete(opcode, [success, UInt8(bitPattern: -20), UInt8(bitPattern: 8)])
        case Opcode.leSetHostFeature:
            _ = try cursor.readUInt8("Bit_Number")
            _ = try cursor.readUInt8("Bit_Value")
            try cursor.expectEnd()
            emitCommandComplete(opcode, status: success)
        default:
            statistics.unknownCommands += 1
            reject(opcode, status: HCIStatusCode.unknownCommand)
        }
    }

    func littleEndian(_ value: UInt16) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
    }
}
