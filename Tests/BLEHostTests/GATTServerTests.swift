import BLEHost
import BLEWire
import Testing

// A GATT client driven PDU by PDU against `GATTServer`: requests are built with
// BLEWire's ATT encoders, responses parsed with BLEWire's ATT parser, so the server is
// checked against code that was written (and tested) independently of it.

/// What a client learns about one service.
struct DiscoveredService: Equatable, CustomStringConvertible {
    var range: ATTHandleRange
    var uuid: BluetoothUUID
    var characteristics: [DiscoveredCharacteristic] = []
    var description: String { "\(uuid) \(range) \(characteristics)" }
}

/// What a client learns about one characteristic.
struct DiscoveredCharacteristic: Equatable, CustomStringConvertible {
    var declaration: AttributeHandle
    var properties: CharacteristicProperties
    var valueHandle: AttributeHandle
    var uuid: BluetoothUUID
    var descriptors: [DiscoveredDescriptor] = []
    var description: String { "0x\(String(declaration.rawValue, radix: 16)) \(uuid) [\(properties)] \(descriptors)" }
}

struct DiscoveredDescriptor: Equatable, CustomStringConvertible {
    var handle: AttributeHandle
    var uuid: BluetoothUUID
    var description: String { "0x\(String(handle.rawValue, radix: 16)) \(uuid)" }
}

/// Hex text to bytes (test literals only: a typo traps).
func hex(_ text: String) -> [UInt8] { [UInt8](hex: text)! }

struct UnexpectedResponse: Error, CustomStringConvertible {
    var bytes: [UInt8]?
    var description: String { "unexpected response \(bytes?.hexString ?? "none")" }
}

/// A GATT client over one in-process bearer: the procedures of Vol 3, Part G, §4.
struct GATTTestClient {
    var server: GATTServer
    /// Every request and response so far, as hex, for failure messages and size checks.
    var exchanges: [(request: [UInt8], response: [UInt8]?)] = []

    init(_ server: GATTServer) { self.server = server }

    /// Sends the PDU `encode` writes; returns the server's answer.
    @discardableResult
    mutating func send(_ encode: (inout ByteWriter) -> Void) -> [UInt8]? {
        var writer = ByteWriter()
        encode(&writer)
        let response = server.handle(request: writer.bytes)
        exchanges.append((writer.bytes, response))
        return response
    }

    /// The (request opcode, handle, error) of an Error Response, parsed by BLEWire.
    static func error(_ bytes: [UInt8]?) -> (ATTOpcode, AttributeHandle, ATTErrorCode)? {
        guard let bytes, let pdu = try? ATTPDU(parsing: bytes.span.bytes),
              case let .errorResponse(request, handle, error) = pdu else { return nil }
        return (request, handle, error)
    }

    mutating func exchangeMTU(_ clientRxMTU: UInt16) throws -> UInt16 {
        let bytes = send { ATTPDU.encodeExchangeMTURequest(clientRxMTU: clientRxMTU, into: &$0) }
        guard let bytes, case let .exchangeMTUResponse(serverMTU) = try ATTPDU(parsing: bytes.span.bytes) else {
            throw UnexpectedResponse(bytes: bytes)
        }
        return serverMTU
    }

    /// Primary service discovery (§4.4.1): Read By Group Type until Attribute Not Found.
    mutating func discoverServices() throws -> [DiscoveredService] {
        var services: [DiscoveredService] = []
        var start = AttributeHandle.first
        while true {
            let bytes = send { ATTPDU.encodeReadByGroupTypeRequest(ATTHandleRange(start: start, end: .last), type: .primaryService, into: &$0) }
            if let (_, _, error) = Self.error(bytes), error == .attributeNotFound { return services }
            guard let bytes, case let .readByGroupTypeResponse(list) = try ATTPDU(parsing: bytes.span.bytes) else {
                throw UnexpectedResponse(bytes: bytes)
            }
            try list.forEach(in: bytes.span.bytes) { (group: ATTHandleRange, value: RawSpan) throws(WireError) in
                services.append(DiscoveredService(range: group, uuid: try ServiceDeclaration(parsing: value).uuid))
            }
            guard let last = services.last, let next = last.range.end.successor else { return services }
            start = next
        }
    }

    /// Characteristic discovery (§4.6.1): Read By Type «Characteristic» over the service.
    mutating func discoverCharacteristics(in range: ATTHandleRange) throws -> [DiscoveredCharacteristic] {
        var characteristics: [DiscoveredCharacteristic] = []
        var start = range.start
        while start <= range.end {
            let bytes = send { ATTPDU.encodeReadByTypeRequest(ATTHandleRange(start: start, end: range.end), type: .characteristic, into: &$0) }
            if let (_, _, error) = Self.error(bytes), error == .attributeNotFound { break }
            guard let bytes, case let .readByTypeResponse(list) = try ATTPDU(parsing: bytes.span.bytes) else {
                throw UnexpectedResponse(bytes: bytes)
            }
            try list.forEach(in: bytes.span.bytes) { (handle: AttributeHandle, value: RawSpan) throws(WireError) in
                let declaration = try CharacteristicDeclaration(parsing: value)
                characteristics.append(DiscoveredCharacteristic(
                    declaration: handle, properties: declaration.properties, valueHandle: declaration.valueHandle,
                    uuid: declaration.uuid))
            }
            guard let last = characteristics.last, last.declaration < range.end, let next = last.declaration.successor else { break }
            start = next
        }
        return characteristics
    }

    /// Descriptor discovery (§4.7.1): Find Information over the handles after the value.
    mutating func discoverDescriptors(in range: ATTHandleRange) throws -> [DiscoveredDescriptor] {
        var descriptors: [DiscoveredDescriptor] = []
        var start = range.start
        while start <= range.end {
            let bytes = send { ATTPDU.encodeFindInformationRequest(ATTHandleRange(start: start, end: range.end), into: &$0) }
            if let (_, _, error) = Self.error(bytes), error == .attributeNotFound { break }
            guard let bytes, case let .findInformationResponse(list) = try ATTPDU(parsing: bytes.span.bytes) else {
                throw UnexpectedResponse(bytes: bytes)
            }
            try list.forEach(in: bytes.span.bytes) { (handle: AttributeHandle, uuid: BluetoothUUID) throws(WireError) in
                descriptors.append(DiscoveredDescriptor(handle: handle, uuid: uuid))
            }
            guard let last = descriptors.last, last.handle < range.end, let next = last.handle.successor else { break }
            start = next
        }
        return descriptors
    }

    /// Services, their characteristics and each characteristic's descriptors.
    mutating func discoverAll() throws -> [DiscoveredService] {
        var services = try discoverServices()
        for s in services.indices {
            var characteristics = try discoverCharacteristics(in: services[s].range)
            for c in characteristics.indices {
                let end = c + 1 < characteristics.count ? characteristics[c + 1].declaration.predecessor! : services[s].range.end
                if characteristics[c].valueHandle < end {
                    characteristics[c].descriptors = try discoverDescriptors(
                        in: ATTHandleRange(start: characteristics[c].valueHandle.successor!, end: end))
                }
            }
            services[s].characteristics = characteristics
        }
        return services
    }

    /// A Read Request; the value, or throws with the error response.
    mutating func read(_ handle: AttributeHandle) throws -> [UInt8] {
        let bytes = send { ATTPDU.encodeReadRequest(handle: handle, into: &$0) }
        guard let bytes, case let .readResponse(value) = try ATTPDU(parsing: bytes.span.bytes) else {
            throw UnexpectedResponse(bytes: bytes)
        }
        return Array(bytes[value])
    }

    /// A Write Request; nil on Write Response, else the raw answer.
    mutating func write(_ handle: AttributeHandle, _ value: [UInt8]) -> [UInt8]? {
        let bytes = send { ATTPDU.encodeWriteRequest(handle: handle, value: value, into: &$0) }
        return bytes == [ATTOpcode.writeResponse.rawValue] ? nil : (bytes ?? [])
    }
}

/// The database of the discovery tests: Heart Rate + Battery + Device Information + the
/// insole vendor service. Handles, as the layout rules give them:
///
/// ```
/// 0x01 HR service (0x01-0x08)   0x02/0x03/0x04 2A37 decl/value/CCCD
///                               0x05/0x06 2A38   0x07/0x08 2A39
/// 0x09 Battery (0x09-0x0c)      0x0a/0x0b/0x0c 2A19 decl/value/CCCD
/// 0x0d DIS (0x0d-0x19)          2A29 0x0e/0x0f, 2A24 0x10/0x11, 2A25 0x12/0x13,
///                               2A27 0x14/0x15, 2A26 0x16/0x17, 2A28 0x18/0x19
/// 0x1a Insole (0x1a-0x1e)       0x1b/0x1c/0x1d/0x1e 67610101 decl/value/CCCD/user description
/// ```
enum SampleDevice {
    static let manufacturer = "Gaitway Simulated Devices Incorporated"  // 38 bytes: longer than 22

    /// - Parameter coreServices: put Generic Access and Generic Attribute first, as
    ///   Bumble's server does (GATTServerBumbleClientTests); the handles above then move
    ///   up by 0x0d.
    static func database(battery: @escaping () -> UInt8 = { 87 }, reset: @escaping () -> Void = {},
                         coreServices: Bool = false) -> GATTDatabase {
        let core: [GATTService] = coreServices
            ? [.genericAccess(deviceName: "Gaitway Insole"),
               .genericAttribute(clientSupportedFeatures: true, databaseHash: [UInt8](repeating: 0, count: 16))]
            : []
        return GATTDatabase(services: core + [
            .heartRate(bodySensorLocation: 0x02, resetEnergyExpended: reset),
            .battery(level: battery),
            .deviceInformation(manufacturer: manufacturer, model: "GW-1", serialNumber: "0001",
                               hardwareRevision: "B", firmwareRevision: "1.2.3", softwareRevision: "sim"),
            .gaitwayInsole(),
        ])
    }

    static func uuid(_ short: UInt16) -> BluetoothUUID { BluetoothUUID(short) }

    static let expected: [DiscoveredService] = [
        DiscoveredService(range: ATTHandleRange(start: AttributeHandle(0x01), end: AttributeHandle(0x08)), uuid: uuid(0x180D), characteristics: [
            DiscoveredCharacteristic(declaration: AttributeHandle(0x02), properties: .notify, valueHandle: AttributeHandle(0x03), uuid: uuid(0x2A37),
                                     descriptors: [DiscoveredDescriptor(handle: AttributeHandle(0x04), uuid: uuid(0x2902))]),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x05), properties: .read, valueHandle: AttributeHandle(0x06), uuid: uuid(0x2A38)),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x07), properties: .write, valueHandle: AttributeHandle(0x08), uuid: uuid(0x2A39)),
        ]),
        DiscoveredService(range: ATTHandleRange(start: AttributeHandle(0x09), end: AttributeHandle(0x0C)), uuid: uuid(0x180F), characteristics: [
            DiscoveredCharacteristic(declaration: AttributeHandle(0x0A), properties: [.read, .notify], valueHandle: AttributeHandle(0x0B), uuid: uuid(0x2A19),
                                     descriptors: [DiscoveredDescriptor(handle: AttributeHandle(0x0C), uuid: uuid(0x2902))]),
        ]),
        DiscoveredService(range: ATTHandleRange(start: AttributeHandle(0x0D), end: AttributeHandle(0x19)), uuid: uuid(0x180A), characteristics: [
            DiscoveredCharacteristic(declaration: AttributeHandle(0x0E), properties: .read, valueHandle: AttributeHandle(0x0F), uuid: uuid(0x2A29)),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x10), properties: .read, valueHandle: AttributeHandle(0x11), uuid: uuid(0x2A24)),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x12), properties: .read, valueHandle: AttributeHandle(0x13), uuid: uuid(0x2A25)),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x14), properties: .read, valueHandle: AttributeHandle(0x15), uuid: uuid(0x2A27)),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x16), properties: .read, valueHandle: AttributeHandle(0x17), uuid: uuid(0x2A26)),
            DiscoveredCharacteristic(declaration: AttributeHandle(0x18), properties: .read, valueHandle: AttributeHandle(0x19), uuid: uuid(0x2A28)),
        ]),
        DiscoveredService(range: ATTHandleRange(start: AttributeHandle(0x1A), end: AttributeHandle(0x1E)), uuid: BluetoothUUID("67610100-7761-7900-8000-000000000000")!, characteristics: [
            DiscoveredCharacteristic(declaration: AttributeHandle(0x1B), properties: .notify, valueHandle: AttributeHandle(0x1C),
                                     uuid: BluetoothUUID("67610101-7761-7900-8000-000000000000")!,
                                     descriptors: [DiscoveredDescriptor(handle: AttributeHandle(0x1D), uuid: uuid(0x2902)),
                                                   DiscoveredDescriptor(handle: AttributeHandle(0x1E), uuid: uuid(0x2901))]),
        ]),
    ]
}

@Suite struct GATTServerDiscoveryTests {
    @Test(arguments: [UInt16(23), 247])
    func fullDiscoveryFindsExactlyTheDatabase(clientMTU: UInt16) throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database()))
        if clientMTU != 23 {
            #expect(try client.exchangeMTU(clientMTU) == 247)
        }
        #expect(client.server.mtu == clientMTU)
        let services = try client.discoverAll()
        #expect(services == SampleDevice.expected)
        // No response ever exceeds the MTU.
        for exchange in client.exchanges {
            #expect((exchange.response?.count ?? 0) <= Int(clientMTU), "\(exchange.request.hexString)")
        }
    }

    @Test func primaryServicesPageByMTUAndLength() throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database()))
        // MTU 23: three 6-byte entries (16-bit UUIDs) fit in 21 bytes; the 128-bit service
        // has a different length, so it comes alone in the next response.
        let first = client.send { ATTPDU.encodeReadByGroupTypeRequest(.all, type: .primaryService, into: &$0) }
        #expect(first == hex("11 06 0100 0800 0d18 0900 0c00 0f18 0d00 1900 0a18"))
        let second = client.send { ATTPDU.encodeReadByGroupTypeRequest(ATTHandleRange(start: AttributeHandle(0x1A), end: AttributeHandle(0xFFFF)), type: .primaryService, into: &$0) }
        #expect(second == hex("11 14 1a00 1e00") + BluetoothUUID.gaitwayInsoleService.littleEndianBytes)
        let end = client.send { ATTPDU.encodeReadByGroupTypeRequest(ATTHandleRange(start: AttributeHandle(0x1F), end: AttributeHandle(0xFFFF)), type: .primaryService, into: &$0) }
        #expect(end == hex("01 10 1f00 0a"))
    }

    @Test func manyServicesAtMTU23ComeThreeAtATime() throws {
        let services = (0..<10).map { GATTService(BluetoothUUID(0x1800 + UInt16($0)), characteristics: []) }
        var client = GATTTestClient(GATTServer(database: GATTDatabase(services: services)))
        let found = try client.discoverServices()
        #expect(found.map(\.uuid) == services.map(\.uuid))
        #expect(found.map(\.range.start.rawValue) == Array(1...10))
        // 10 services at 3 per response: 4 responses, then Attribute Not Found.
        #expect(client.exchanges.count == 5)
        #expect(client.exchanges.dropLast().map { $0.response?.count } == [20, 20, 20, 8])
        // At MTU 247 one response holds all ten.
        var wide = GATTTestClient(GATTServer(database: GATTDatabase(services: services)))
        _ = try wide.exchangeMTU(247)
        _ = try wide.discoverServices()
        #expect(wide.exchanges.count == 3)
        #expect(wide.exchanges[1].response?.count == 2 + 6 * 10)
    }

    @Test func discoverServiceByUUID() throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database()))
        let battery = client.send { ATTPDU.encodeFindByTypeValueRequest(.all, type: 0x2800, value: [0x0F, 0x18], into: &$0) }
        #expect(battery == hex("07 0900 0c00"))
        // 128-bit service UUID.
        let insole = client.send {
            ATTPDU.encodeFindByTypeValueRequest(.all, type: 0x2800, value: BluetoothUUID.gaitwayInsoleService.littleEndianBytes, into: &$0)
        }
        #expect(insole == hex("07 1a00 1e00"))
        // A 16-bit service asked for in its 128-bit form is still found.
        let longForm = client.send {
            ATTPDU.encodeFindByTypeValueRequest(.all, type: 0x2800, value: BluetoothUUID(0x180A).littleEndianBytes, into: &$0)
        }
        #expect(longForm == hex("07 0d00 1900"))
        let absent = client.send { ATTPDU.encodeFindByTypeValueRequest(.all, type: 0x2800, value: [0x09, 0x18], into: &$0) }
        #expect(absent == hex("01 06 0100 0a"))
    }

    @Test func readUsingCharacteristicUUID() throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database(battery: { 42 })))
        let level = client.send { ATTPDU.encodeReadByTypeRequest(.all, type: .batteryLevel, into: &$0) }
        #expect(level == hex("09 03 0b00 2a"))
        // DIS strings differ in length: only the first is returned.
        let strings = client.send { ATTPDU.encodeReadByTypeRequest(ATTHandleRange(start: AttributeHandle(0x11), end: AttributeHandle(0x19)), type: .modelNumberString, into: &$0) }
        #expect(strings == hex("09 06 1100") + Array("GW-1".utf8))
    }
}

@Suite struct GATTServerAccessTests {
    @Test func readsComeFromProvidersAndBlobsCoverLongValues() throws {
        var level: UInt8 = 100
        var client = GATTTestClient(GATTServer(database: SampleDevice.database(battery: { level })))
        #expect(try client.read(AttributeHandle(0x0B)) == [100])
        level = 99
        #expect(try client.read(AttributeHandle(0x0B)) == [99])

        // A DIS string longer than MTU - 1 (22): read then read blob (Vol 3, Part G, §4.8.3).
        let manufacturer = Array(SampleDevice.manufacturer.utf8)
        let head = try client.read(AttributeHandle(0x0F))
        #expect(head == Array(manufacturer.prefix(22)))
        var value = head
        while true {
            let offset = UInt16(value.count)
            let bytes = client.send { ATTPDU.encodeReadBlobRequest(handle: AttributeHandle(0x0F), offset: offset, into: &$0) }
            guard let bytes, case let .readBlobResponse(part) = try ATTPDU(parsing: bytes.span.bytes) else {
                Issue.record("no blob response: \(String(describing: bytes))")
                return
            }
            value += bytes[part]
            if part.count < 22 { break }
        }
        #expect(value == manufacturer)
        // Reading exactly at the end gives an empty part; past it, Invalid Offset.
        let atEnd = client.send { ATTPDU.encodeReadBlobRequest(handle: AttributeHandle(0x0F), offset: UInt16(manufacturer.count), into: &$0) }
        #expect(atEnd == [0x0D])
        let past = client.send { ATTPDU.encodeReadBlobRequest(handle: AttributeHandle(0x0F), offset: UInt16(manufacturer.count + 1), into: &$0) }
        #expect(past == hex("01 0c 0f00 07"))
    }

    @Test func readMultiple() throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database(battery: { 7 })))
        let both = client.send { ATTPDU.encodeReadMultipleRequest(handles: [AttributeHandle(0x0B), AttributeHandle(0x06)], into: &$0) }
        #expect(both == [0x0F, 7, 0x02])
        let variable = client.send { ATTPDU.encodeReadMultipleVariableRequest(handles: [AttributeHandle(0x0B), AttributeHandle(0x11)], into: &$0) }
        #expect(variable == hex("21 0100 07 0400") + Array("GW-1".utf8))
        // Cut at MTU - 1.
        let long = client.send { ATTPDU.encodeReadMultipleRequest(handles: [AttributeHandle(0x0F), AttributeHandle(0x0F)], into: &$0) }
        #expect(long == [0x0F] + Array(SampleDevice.manufacturer.utf8.prefix(22)))
        let unreadable = client.send { ATTPDU.encodeReadMultipleRequest(handles: [AttributeHandle(0x0B), AttributeHandle(0x03)], into: &$0) }
        #expect(unreadable == hex("01 0e 0300 02"))
        let invalid = client.send { ATTPDU.encodeReadMultipleRequest(handles: [AttributeHandle(0x0B), AttributeHandle(0x40)], into: &$0) }
        #expect(invalid == hex("01 0e 4000 01"))
    }

    @Test func subscribeNotifyUnsubscribe() throws {
        var changes: [GATTSubscriptionChange] = []
        var server = GATTServer(database: SampleDevice.database())
        server.onSubscriptionChange = { changes.append($0) }
        var client = GATTTestClient(server)
        let measurement: [UInt8] = [0x10, 72, 0x00, 0x04]

        // Not subscribed: nothing to send.
        #expect(client.server.notification(handle: AttributeHandle(0x03), value: measurement) == nil)
        #expect(!client.server.isSubscribed(handle: AttributeHandle(0x03)))
        #expect(try client.read(AttributeHandle(0x04)) == [0x00, 0x00])

        #expect(client.write(AttributeHandle(0x04), ClientCharacteristicConfiguration.notification.bytes) == nil)
        #expect(client.server.isSubscribed(handle: AttributeHandle(0x03)))
        #expect(try client.read(AttributeHandle(0x04)) == [0x01, 0x00])
        let pdu = try #require(client.server.notification(handle: AttributeHandle(0x03), value: measurement))
        guard case let .handleValueNotification(handle, value) = try ATTPDU(parsing: pdu.span.bytes) else {
            Issue.record("not a notification: \(pdu.hexString)")
            return
        }
        #expect(handle == AttributeHandle(0x03))
        #expect(Array(pdu[value]) == measurement)
        // Subscribing to the HR measurement says nothing about the insole stream.
        #expect(client.server.notification(handle: AttributeHandle(0x1C), value: [1]) == nil)

        #expect(client.write(AttributeHandle(0x04), [0x00, 0x00]) == nil)
        #expect(client.server.notification(handle: AttributeHandle(0x03), value: measurement) == nil)
        #expect(changes.map(\.configuration) == [.notification, []])
        #expect(changes.map(\.uuid) == [.heartRateMeasurement, .heartRateMeasurement])
        #expect(changes.map(\.valueHandle) == [AttributeHandle(0x03), AttributeHandle(0x03)])

        // Write Command on a CCCD works too, without an answer.
        let none = client.send { ATTPDU.encodeWriteCommand(handle: AttributeHandle(0x1D), value: [0x01, 0x00], into: &$0) }
        #expect(none == nil)
        #expect(client.server.isSubscribed(handle: AttributeHandle(0x1C), to: .notification))
    }

    @Test func notificationsRespectTheMTU() throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database()))
        #expect(client.write(AttributeHandle(0x1D), [0x01, 0x00]) == nil)
        let frame = [UInt8](repeating: 0xAB, count: 100)
        #expect(client.server.maximumUpdateLength == 20)
        #expect(throws: GATTSendError.valueTooLong(length: 100, maximum: 20)) {
            try client.server.makeNotification(handle: AttributeHandle(0x1C), value: frame)
        }
        // The plain form cuts the value at MTU - 3, as Vol 3, Part G, §4.10.1 says.
        #expect(client.server.notification(handle: AttributeHandle(0x1C), value: frame) == [0x1B, 0x1C, 0x00] + frame.prefix(20))
        _ = try client.exchangeMTU(185)
        #expect(try client.server.makeNotification(handle: AttributeHandle(0x1C), value: frame).count == 103)
        #expect(throws: GATTSendError.notConfigurable(handle: AttributeHandle(0x06))) {
            try client.server.makeNotification(handle: AttributeHandle(0x06), value: [1])
        }
        #expect(throws: GATTSendError.notSubscribed(handle: AttributeHandle(0x0B))) {
            try client.server.makeNotification(handle: AttributeHandle(0x0B), value: [1])
        }
    }

    @Test func oneOutstandingIndication() throws {
        let database = GATTDatabase(services: [.healthThermometer(temperatureType: 0x02)])
        let measurement = database.characteristic(.temperatureMeasurement)!
        var client = GATTTestClient(GATTServer(database: database))
        #expect(measurement.value == AttributeHandle(0x03) && measurement.clientConfiguration == AttributeHandle(0x04))
        // Notifications are not what this characteristic does: enabling them sends nothing.
        #expect(client.write(AttributeHandle(0x04), [0x01, 0x00]) == nil)
        #expect(client.server.notification(handle: AttributeHandle(0x03), value: [0]) == nil)
        #expect(client.server.indication(handle: AttributeHandle(0x03), value: [0]) == nil)

        #expect(client.write(AttributeHandle(0x04), [0x02, 0x00]) == nil)
        let first = client.server.indication(handle: AttributeHandle(0x03), value: [0x00, 0x6E, 0x01, 0x00, 0xFF])
        #expect(first == [0x1D, 0x03, 0x00, 0x00, 0x6E, 0x01, 0x00, 0xFF])
        #expect(client.server.pendingIndication == AttributeHandle(0x03))
        #expect(client.server.indication(handle: AttributeHandle(0x03), value: [1]) == nil)
        #expect(throws: GATTSendError.indicationPending(handle: AttributeHandle(0x03))) {
            try client.server.makeIndication(handle: AttributeHandle(0x03), value: [1])
        }
        #expect(client.send { ATTPDU.encodeHandleValueConfirmation(into: &$0) } == nil)
        #expect(client.server.pendingIndication == nil)
        #expect(client.server.indication(handle: AttributeHandle(0x03), value: [1]) == [0x1D, 0x03, 0x00, 0x01])
    }

    @Test func writesReachHandlersAndStoredValues() throws {
        var resets = 0
        var client = GATTTestClient(GATTServer(database: SampleDevice.database(reset: { resets += 1 })))
        #expect(client.write(AttributeHandle(0x08), [0x01]) == nil)
        #expect(resets == 1)
        // Heart Rate Control Point: anything else is 0x80 Control Point Not Supported.
        #expect(client.write(AttributeHandle(0x08), [0x02]) == hex("01 12 0800 80"))
        #expect(resets == 1)

        // A writable fixed value keeps what was written, for every connection.
        let database = GATTDatabase(services: [
            GATTService(BluetoothUUID(0xFFF0), characteristics: [
                GATTCharacteristic(BluetoothUUID(0xFFF1), properties: [.read, .write, .writeWithoutResponse], value: .fixed([0])),
            ]),
        ])
        var first = GATTTestClient(GATTServer(database: database))
        var second = GATTTestClient(GATTServer(database: database))
        #expect(first.write(AttributeHandle(0x03), [5, 6]) == nil)
        #expect(try second.read(AttributeHandle(0x03)) == [5, 6])
        #expect(second.send { ATTPDU.encodeWriteCommand(handle: AttributeHandle(0x03), value: [7], into: &$0) } == nil)
        #expect(try first.read(AttributeHandle(0x03)) == [7])
    }

    @Test func mtuExchange() throws {
        var client = GATTTestClient(GATTServer(database: SampleDevice.database(), serverRxMTU: 100))
        #expect(client.server.mtu == 23)
        #expect(try client.exchangeMTU(517) == 100)
        #expect(client.server.mtu == 100)
        var small = GATTTestClient(GATTServer(database: SampleDevice.database()))
        // A client Rx MTU below 23 is invalid: the MTU stays at the default.
        #expect(try small.exchangeMTU(10) == 247)
        #expect(small.server.mtu == 23)
    }
}
