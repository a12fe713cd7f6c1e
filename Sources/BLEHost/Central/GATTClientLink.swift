import BLEWire

/// The GATT client of one link: discovery, MTU exchange, subscriptions and reads, one ATT
/// request at a time (a client has at most one request outstanding, Vol 3, Part F, §3.3.2).
///
/// The procedures, in order (Vol 3, Part G, §4):
/// 1. Exchange MTU (§4.3.1).
/// 2. Discover All Primary Services: Read By Group Type 0x2800 from 0x0001 on (§4.4.1).
/// 3. Discover All Characteristics of each service: Read By Type 0x2803 over its range (§4.6.1).
/// 4. Discover the descriptors of each characteristic to subscribe to: Find Information
///    between its value handle and the next declaration (§4.7.1), for its CCCD (0x2902).
/// 5. Write the CCCD: 0x0001 notifications, else 0x0002 indications (§4.12.3, §3.3.3.3).
/// 6. Read each characteristic to read once (Device Information strings, Battery Level).
///
/// It produces request PDUs and consumes responses; `CentralHost` moves them over the link,
/// and the simulator's offline host (DeviceSim's `OfflineRun`) over its own, so that its
/// captures show the exchange a gateway has. A class: the notification path reads it once
/// per packet without copying its tables.
public final class GATTClientLink {
    struct Characteristic {
        var declaration: AttributeHandle
        var properties: CharacteristicProperties
        var valueHandle: AttributeHandle
        var uuid: BluetoothUUID
        /// Last handle that can belong to it (before the next declaration or the service end).
        var end: AttributeHandle
        var cccd: AttributeHandle?
    }

    enum Step: Equatable {
        case exchangingMTU
        case discoveringServices(from: AttributeHandle)
        case discoveringCharacteristics(service: Int, from: AttributeHandle)
        case discoveringDescriptors(characteristic: Int, from: AttributeHandle)
        case subscribing(characteristic: Int)
        case reading(characteristic: Int)
        case ready
    }

    var peer: CentralPeer
    let clientMTU: UInt16
    var step = Step.exchangingMTU
    var services: [(range: ATTHandleRange, uuid: BluetoothUUID)] = []
    var characteristics: [Characteristic] = []
    /// Value handle -> characteristic UUID, for notifications.
    var valueUUIDs: [AttributeHandle: BluetoothUUID] = [:]
    /// Which characteristics to subscribe to and which to read once, decided by the owner.
    let wantsSubscription: (BluetoothUUID) -> Bool
    let wantsRead: (BluetoothUUID) -> Bool
    var subscribed: [BluetoothUUID] = []
    var read: [BluetoothUUID] = []
    /// When the outstanding request was sent (host time), nil when none is.
    var requestSentAt: Double?
    /// Whether the owner was told that discovery is over.
    var readyReported = false

    init(peer: CentralPeer, clientMTU: UInt16, wantsSubscription: @escaping (BluetoothUUID) -> Bool,
         wantsRead: @escaping (BluetoothUUID) -> Bool) {
        self.peer = peer
        self.clientMTU = clientMTU
        self.wantsSubscription = wantsSubscription
        self.wantsRead = wantsRead
    }

    /// A client for the link `handle` to `address`, before the MTU exchange (ATT_MTU 23).
    public convenience init(handle: ConnectionHandle, address: BDAddress, addressType: UInt8, clientMTU: UInt16,
                            wantsSubscription: @escaping (BluetoothUUID) -> Bool, wantsRead: @escaping (BluetoothUUID) -> Bool) {
        self.init(peer: CentralPeer(handle: handle, address: address, addressType: addressType, name: nil, mtu: 23),
                  clientMTU: clientMTU, wantsSubscription: wantsSubscription, wantsRead: wantsRead)
    }

    /// The first request: Exchange MTU.
    public func start(at time: Double) -> [UInt8] {
        step = .exchangingMTU
        return request(at: time, Self.pdu { ATTPDU.encodeExchangeMTURequest(clientRxMTU: clientMTU, into: &$0) })
    }

    /// What a response (or error response) to the outstanding request leads to: the next
    /// request, or nil when discovery is over (or the PDU was not a response).
    public func handleResponse(_ pdu: RawSpan, _ parsed: ATTPDU, at time: Double) throws(WireError) -> [UInt8]? {
        requestSentAt = nil
        switch (step, parsed) {
        case (.exchangingMTU, .exchangeMTUResponse(let serverMTU)):
            // The smaller of the two is used (§3.4.2.2); never below the LE default of 23.
            peer.mtu = max(23, min(clientMTU, serverMTU))
            return nextStep(after: .exchangingMTU, at: time)
        case (.exchangingMTU, .errorResponse):
            // A server without Exchange MTU keeps 23 (Request Not Supported).
            return nextStep(after: .exchangingMTU, at: time)

        // Each discovery step must move forward (Vol 3, Part G, §4.4.1: the next request
        // starts after the last handle found); a server that answers with handles before
        // the ones asked for ends that step instead of repeating it for ever.
        case (.discoveringServices(let start), .readByGroupTypeResponse(let list)):
            var last = AttributeHandle.reserved
            try list.forEach(in: pdu) { group, value throws(WireError) in
                let declaration = try ServiceDeclaration(parsing: value)
                services.append((group, declaration.uuid))
                last = max(last, group.end)
            }
            // After a group ending at 0xFFFF there is nothing left to ask for.
            guard last >= start, let next = last.successor else { return nextStep(after: step, at: time) }
            return discoverServices(from: next, at: time)
        case (.discoveringServices, .errorResponse):
            return nextStep(after: step, at: time)  // Attribute Not Found: no more services

        case (.discoveringCharacteristics(let service, let start), .readByTypeResponse(let list)):
            var last = AttributeHandle.reserved
            try list.forEach(in: pdu) { handle, value throws(WireError) in
                let declaration = try CharacteristicDeclaration(parsing: value)
                characteristics.append(Characteristic(declaration: handle, properties: declaration.properties,
                                                      valueHandle: declaration.valueHandle, uuid: declaration.uuid,
                                                      end: services[service].range.end))
                valueUUIDs[declaration.valueHandle] = declaration.uuid
                last = max(last, handle)
            }
            let range = services[service].range
            guard last >= start, last < range.end, let next = last.successor else { return nextStep(after: step, at: time) }
            return discoverCharacteristics(service: service, from: next, at: time)
        case (.discoveringCharacteristics, .errorResponse):
            return nextStep(after: step, at: time)

        case (.discoveringDescriptors(let index, let start), .findInformationResponse(let list)):
            var last = AttributeHandle.reserved
            try list.forEach(in: pdu) { handle, uuid throws(WireError) in
                if uuid == BluetoothUUID(0x2902) { characteristics[index].cccd = handle }
                last = max(last, handle)
            }
            guard characteristics[index].cccd == nil, last >= start, last < characteristics[index].end,
                  let next = last.successor else {
                return nextStep(after: step, at: time)
            }
            return discoverDescriptors(index, from: next, at: time)
        case (.discoveringDescriptors, .errorResponse):
            return nextStep(after: step, at: time)

        case (.subscribing(let index), .writeResponse):
            subscribed.append(characteristics[index].uuid)
            return nextStep(after: step, at: time)
        case (.subscribing, .errorResponse):
            return nextStep(after: step, at: time)

        case (.reading(let index), .readResponse):
            read.append(characteristics[index].uuid)
            return nextStep(after: step, at: time)
        case (.reading, .errorResponse):
            return nextStep(after: step, at: time)

        default:
            return nil
        }
    }

    /// The characteristic a pending read is for, when `step` is reading.
    var readingCharacteristic: BluetoothUUID? {
        if case .reading(let index) = step { return characteristics[index].uuid }
        return nil
    }

    // MARK: Steps

    func nextStep(after finished: Step, at time: Double) -> [UInt8]? {
        switch finished {
        case .exchangingMTU:
            return discoverServices(from: .first, at: time)
        case .discoveringServices:
            return discoverCharacteristics(service: 0, from: services.first?.range.start, at: time)
        case .discoveringCharacteristics(let service, _):
            return discoverCharacteristics(service: service + 1, from: nil, at: time)
        case .discoveringDescriptors(let index, _):
            return subscribe(from: index, descriptorsDone: true, at: time)
        case .subscribing(let index):
            return subscribe(from: index + 1, descriptorsDone: false, at: time)
        case .reading(let index):
            return readNext(from: index + 1, at: time)
        case .ready:
            return nil
        }
    }

    func discoverServices(from start: AttributeHandle, at time: Double) -> [UInt8] {
        step = .discoveringServices(from: start)
        return request(at: time, Self.pdu {
            ATTPDU.encodeReadByGroupTypeRequest(ATTHandleRange(start: start, end: .last),
                                                type: BluetoothUUID(0x2800), into: &$0)
        })
    }

    func discoverCharacteristics(service: Int, from start: AttributeHandle?, at time: Double) -> [UInt8]? {
        guard service < services.count else {
            finishCharacteristicRanges()
            return subscribe(from: 0, descriptorsDone: false, at: time)
        }
        let range = services[service].range
        let first = start ?? range.start
        guard first <= range.end, range.isValid else { return discoverCharacteristics(service: service + 1, from: nil, at: time) }
        step = .discoveringCharacteristics(service: service, from: first)
        return request(at: time, Self.pdu {
            ATTPDU.encodeReadByTypeRequest(ATTHandleRange(start: first, end: range.end),
                                           type: BluetoothUUID(0x2803), into: &$0)
        })
    }

    /// A characteristic ends before the next declaration of its service (§3.3).
    func finishCharacteristicRanges() {
        for index in characteristics.indices where index + 1 < characteristics.count {
            let next = characteristics[index + 1].declaration
            if next > characteristics[index].valueHandle, let before = next.predecessor {
                characteristics[index].end = min(characteristics[index].end, before)
            }
        }
    }

    /// Finds the next characteristic to subscribe to from `index` on: discovers its
    /// descriptors first, then writes its CCCD.
    func subscribe(from index: Int, descriptorsDone: Bool, at time: Double) -> [UInt8]? {
        var index = index
        var descriptorsDone = descriptorsDone
        while index < characteristics.count {
            let characteristic = characteristics[index]
            let notifiable = !characteristic.properties.intersection([.notify, .indicate]).isEmpty
            if notifiable, wantsSubscription(characteristic.uuid) {
                // A value at the end of its range (or at 0xFFFF, from a broken server) has no
                // room for a CCCD after it.
                if !descriptorsDone, characteristic.valueHandle < characteristic.end,
                   let afterValue = characteristic.valueHandle.successor {
                    return discoverDescriptors(index, from: afterValue, at: time)
                }
                if let cccd = characteristic.cccd {
                    let value: ClientCharacteristicConfiguration =
                        characteristic.properties.contains(.notify) ? .notification : .indication
                    step = .subscribing(characteristic: index)
                    return request(at: time, Self.pdu { ATTPDU.encodeWriteRequest(handle: cccd, value: value.bytes, into: &$0) })
                }
            }
            index += 1
            descriptorsDone = false
        }
        return readNext(from: 0, at: time)
    }

    func discoverDescriptors(_ index: Int, from start: AttributeHandle, at time: Double) -> [UInt8]? {
        let end = characteristics[index].end
        guard start <= end else { return subscribe(from: index + 1, descriptorsDone: false, at: time) }
        step = .discoveringDescriptors(characteristic: index, from: start)
        return request(at: time, Self.pdu { ATTPDU.encodeFindInformationRequest(ATTHandleRange(start: start, end: end), into: &$0) })
    }

    func readNext(from index: Int, at time: Double) -> [UInt8]? {
        var index = index
        while index < characteristics.count {
            let characteristic = characteristics[index]
            if characteristic.properties.contains(.read), wantsRead(characteristic.uuid) {
                step = .reading(characteristic: index)
                return request(at: time, Self.pdu { ATTPDU.encodeReadRequest(handle: characteristic.valueHandle, into: &$0) })
            }
            index += 1
        }
        step = .ready
        return nil
    }

    /// Notes that `pdu` is the outstanding request from `time` on, and returns it.
    func request(at time: Double, _ pdu: [UInt8]) -> [UInt8] {
        requestSentAt = time
        return pdu
    }

    static func pdu(_ encode: (inout ByteWriter) -> Void) -> [UInt8] {
        var writer = ByteWriter(capacity: 32)
        encode(&writer)
        return writer.bytes
    }
}
