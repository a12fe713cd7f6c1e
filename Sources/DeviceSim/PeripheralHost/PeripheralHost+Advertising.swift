import BLEHost
import BLEWire

/// How the peripheral host puts its devices on the air: the legacy commands for one
/// device, or one extended advertising set per device.
extension PeripheralHost {
    /// The device's random address, parameters, data and scan response, then advertising
    /// on (Vol 4, Part E, §7.8.4-§7.8.9).
    func startLegacyAdvertising() throws(PeripheralHostError) {
        let device = hosted[0].device
        let random = device.addressType == .randomDevice || device.addressType == .randomIdentity
        if random {
            _ = try execute(HCICommand.leSetRandomAddress(device.address).encoded, .leSetRandomAddress)
        }
        let interval = LegacyAdvertisingCommand.intervalUnits(seconds: device.advertisingInterval)
        let parameters = LegacyAdvertisingCommand.setParameters(
            intervalMin: interval, intervalMax: interval,
            type: device.isConnectable ? .connectableUndirected : .scannableUndirected,
            ownAddressType: random ? 0x01 : 0x00)
        _ = try execute(parameters)
        try sendInitialData(0)
        if device.isAdvertising {
            _ = try execute(LegacyAdvertisingCommand.setEnable(true))
            markAdvertising([0])
        }
        hosted[0].lastAdvertisingRefresh = simulationTime
    }

    /// Per device: its set's parameters (which create the set, §7.8.53), its random address
    /// (§7.8.52), data (§7.8.54) and scan response (§7.8.55); then every set that should
    /// advertise is enabled, as many per command as fit (§7.8.56).
    func startAdvertisingSets() throws(PeripheralHostError) {
        for index in hosted.indices {
            let device = hosted[index].device, handle = hosted[index].advertisingHandle
            let random = device.addressType == .randomDevice || device.addressType == .randomIdentity
            let interval = UInt32(LegacyAdvertisingCommand.intervalUnits(seconds: device.advertisingInterval))
            let parameters = ExtendedAdvertisingCommand.setParameters(
                handle: handle,
                properties: device.isConnectable ? .legacyConnectableUndirected : .legacyScannableUndirected,
                intervalMin: interval, intervalMax: interval, ownAddressType: random ? 0x01 : 0x00)
            _ = try execute(parameters)
            if random { _ = try execute(ExtendedAdvertisingCommand.setRandomAddress(handle: handle, address: device.address)) }
            try sendInitialData(index)
        }
        if let first = hosted.first?.device, first.addressType == .randomDevice || first.addressType == .randomIdentity {
            // See `followNewestLink`: the controller's own address starts as the first device's.
            _ = try execute(HCICommand.leSetRandomAddress(first.address).encoded, .leSetRandomAddress)
        }
        let advertising = hosted.indices.filter { hosted[$0].device.isAdvertising }
        var batch = advertising[...]
        while !batch.isEmpty {
            let handles = batch.prefix(ExtendedAdvertisingCommand.maximumSetsPerEnable)
            _ = try execute(ExtendedAdvertisingCommand.setEnable(true, handles: handles.map { hosted[$0].advertisingHandle }))
            batch = batch.dropFirst(handles.count)
        }
        markAdvertising(advertising)
        let now = simulationTime
        for index in hosted.indices { hosted[index].lastAdvertisingRefresh = now }
    }

    /// The device's advertising and scan response data, remembered so that only changes
    /// are sent later.
    func sendInitialData(_ index: Int) throws(PeripheralHostError) {
        let device = hosted[index].device
        hosted[index].sentAdvertisingData = device.advertisingData
        hosted[index].sentScanResponseData = device.scanResponseData
        for command in dataCommands(index, data: device.advertisingData, scanResponse: device.scanResponseData) {
            _ = try execute(command)
        }
    }

    /// The commands that set a device's advertising data and scan response (either may be nil).
    func dataCommands(_ index: Int, data: [UInt8]?, scanResponse: [UInt8]?) -> [any PeripheralHostCommand] {
        let handle = hosted[index].advertisingHandle
        var commands: [any PeripheralHostCommand] = []
        if usesAdvertisingSets {
            if let data { commands.append(ExtendedAdvertisingCommand.setData(handle: handle, data)) }
            if let scanResponse { commands.append(ExtendedAdvertisingCommand.setScanResponseData(handle: handle, scanResponse)) }
        } else {
            if let data { commands.append(LegacyAdvertisingCommand.setData(data)) }
            if let scanResponse { commands.append(LegacyAdvertisingCommand.setScanResponseData(scanResponse)) }
        }
        return commands
    }

    func markAdvertising(_ indices: [Int]) {
        for index in indices { hosted[index].advertisingEnabled = true }
        statistics.advertisingStarts += indices.count
    }

    /// Keeps a device's advertising on while it wants it, with its current data.
    func refreshAdvertising(_ index: Int, at time: Double) {
        let device = hosted[index].device
        let wanted = device.isAdvertising && time >= hosted[index].advertiseAfter
        if wanted, time - hosted[index].lastAdvertisingRefresh >= Self.advertisingRefreshInterval {
            hosted[index].lastAdvertisingRefresh = time
            let data = device.advertisingData, scanResponse = device.scanResponseData
            let newData = data != hosted[index].sentAdvertisingData ? data : nil
            let newScanResponse = scanResponse != hosted[index].sentScanResponseData ? scanResponse : nil
            hosted[index].sentAdvertisingData = data
            hosted[index].sentScanResponseData = scanResponse
            // Complete data (Operation 0x03) may replace a set's data while it advertises (§7.8.54).
            for command in dataCommands(index, data: newData, scanResponse: newScanResponse) {
                link.send(command: command.encoded)
            }
        }
        if wanted != hosted[index].advertisingEnabled { setAdvertising(index, wanted) }
    }

    func setAdvertising(_ index: Int, _ enable: Bool) {
        if enable {
            markAdvertising([index])
        } else {
            hosted[index].advertisingEnabled = false
        }
        link.send(command: usesAdvertisingSets
            ? ExtendedAdvertisingCommand.setEnable(enable, handles: [hosted[index].advertisingHandle]).encoded
            : LegacyAdvertisingCommand.setEnable(enable).encoded)
    }

    /// With sets, the controller's own random address (LE Set Random Address, §7.8.4)
    /// follows the device of the newest link. On a controller that follows the spec it
    /// plays no part here: a set advertises and is connected with its own address (§7.8.52),
    /// and the §7.8.4 address serves legacy advertising, scanning and initiating, none of
    /// which this host does with sets (so the command is allowed, §7.8.4). Bumble's virtual
    /// link, though, stamps every LE ACL packet with the sending controller's §7.8.4 address
    /// and the central's controller looks the link up by it (bumble/link.py, send_acl_data,
    /// 0.0.236): without this, no ATT response of a second device would reach its central.
    func followNewestLink(_ index: Int) {
        let device = hosted[index].device
        guard usesAdvertisingSets, device.addressType == .randomDevice || device.addressType == .randomIdentity else {
            return
        }
        link.send(command: HCICommand.leSetRandomAddress(device.address).encoded)
    }
}
