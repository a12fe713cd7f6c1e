import GaitwayTestSupport
import Testing
@testable import BLEWire

/// A copy of one AD structure, so that tests can compare what the iterator yielded.
private struct SeenStructure: Equatable {
    var type: UInt8
    var offset: Int
    var data: [UInt8]
}

private func structures(_ bytes: [UInt8], base: Int = 0) throws(WireError) -> [SeenStructure] {
    var seen: [SeenStructure] = []
    let advert = AdvertisingData(bytes.span.bytes, base: base)
    try advert.forEach { structure throws(WireError) in
        seen.append(SeenStructure(type: structure.type.rawValue, offset: structure.offset, data: structure.copyData()))
    }
    return seen
}

/// Real adverts from an Android btsnoop capture (github.com/phlash/blefun, btsnoop_hci.log,
/// frames 131, 134 and 167 as tshark numbers them). The expected fields are what
/// `tshark -V` (Wireshark 4.x) prints for those frames.
private enum AndroidCapture {
    /// Frame 131: HCI LE Advertising Report event (no H4 indicator); AD data at 13..<40.
    static let advertisingReport = [UInt8](hex:
        "3e270201000045fd93f519001b0201061106615577678b3d32b4e04e8e53744d446105fff902fd459e")!
    static let advertisingDataRange = 13..<40
    /// Frame 134: the scan response of the same device.
    static let scanResponse = [UInt8](hex: "03198001020afe13094869676877617920636f6e74726f6c6c6572")!
    /// Frame 167: another device's advert.
    static let lgAdvert = [UInt8](hex: "02010207ffc40031702005")!
}

@Suite struct AdvertisingDataTests {
    // MARK: Real adverts

    @Test func parsesRealAdvertWithAbsoluteOffsets() throws {
        let event = AndroidCapture.advertisingReport
        let range = AndroidCapture.advertisingDataRange
        let seen = try structures(Array(event[range]), base: range.lowerBound)
        // tshark: Flags (len 2), 128-bit Service Class UUIDs (incomplete) (len 17), Manufacturer Specific (len 5)
        #expect(seen.map(\.type) == [0x01, 0x06, 0xFF])
        #expect(seen.map(\.offset) == [13, 16, 34])

        let span = event.span.bytes
        let advert = AdvertisingData(span.extracting(range), base: range.lowerBound)
        // tshark: "BR/EDR Not Supported: true", "LE General Discoverable Mode: true"
        #expect(try advert.flags() == [.brEDRNotSupported, .leGeneralDiscoverable])
        #expect(try advert.txPowerLevel() == nil)
        #expect(try advert.localNameString() == nil)
        // tshark: "Custom UUID: 61444d74-538e-4ee0-b432-3d8b67775561"
        let expectedUUID = BluetoothUUID("61444d74-538e-4ee0-b432-3d8b67775561")!
        var uuids: [BluetoothUUID] = []
        try advert.forEachServiceUUID { uuid throws(WireError) in uuids.append(uuid) }
        #expect(uuids == [expectedUUID])
        #expect(try advert.advertisesService(expectedUUID))
        #expect(try advert.advertisesService(BluetoothUUID(0x180D)) == false)
        // tshark: "Company ID: IMAGINATION TECHNOLOGIES LTD (0x02f9)", "Data: fd45"
        guard let manufacturer = try advert.manufacturerData() else { Issue.record("manufacturer missing"); return }
        let company = manufacturer.companyID
        let payload = manufacturer.data.copyBytes()
        let payloadOffset = manufacturer.dataOffset
        #expect(company == 0x02F9)
        #expect(payload == [0xFD, 0x45])
        #expect(payloadOffset == 38)
    }

    @Test func parsesRealScanResponse() throws {
        let bytes = AndroidCapture.scanResponse
        let advert = AdvertisingData(bytes.span.bytes)
        #expect(try advert.validate() == 3)
        // tshark: "Appearance: Generic Remote Control (0x0180)", "Power Level (dBm): -2",
        // "Device Name: Highway controller" (type 0x09)
        #expect(try advert.appearance() == 0x0180)
        #expect(try advert.txPowerLevel() == -2)
        #expect(try advert.localNameString() == "Highway controller")
        let nameLength = try advert.localName()?.byteCount ?? -1
        #expect(nameLength == 18)
        #expect(try advert.flags() == nil)
        guard let nameStructure = try advert.first(.completeLocalName) else { Issue.record("nameStructure missing"); return }
        let nameType = nameStructure.type
        let nameOffset = nameStructure.offset
        let nameDataOffset = nameStructure.dataOffset
        #expect(nameType == .completeLocalName)
        #expect(nameOffset == 7)
        #expect(nameDataOffset == 9)
    }

    @Test func parsesRealManufacturerAdvert() throws {
        let bytes = AndroidCapture.lgAdvert
        let advert = AdvertisingData(bytes.span.bytes)
        // tshark: Flags with only "LE General Discoverable Mode: true";
        // "Company ID: LG Electronics (0x00c4)", "Data: 31702005"
        #expect(try advert.flags() == [.leGeneralDiscoverable])
        guard let manufacturer = try advert.manufacturerData() else { Issue.record("manufacturer missing"); return }
        let company = manufacturer.companyID
        let payload = manufacturer.data.copyBytes()
        #expect(company == 0x00C4)
        #expect(payload == [0x31, 0x70, 0x20, 0x05])
    }

    @Test func builderReproducesRealAdverts() throws {
        var advert = AdvertisingDataBuilder(limit: .legacy)
        try advert.addFlags([.leGeneralDiscoverable, .brEDRNotSupported])
        try advert.addServiceUUIDs([BluetoothUUID("61444d74-538e-4ee0-b432-3d8b67775561")!], complete: false)
        try advert.addManufacturerData(companyID: 0x02F9, data: [0xFD, 0x45])
        #expect(advert.bytes == Array(AndroidCapture.advertisingReport[AndroidCapture.advertisingDataRange]))

        var response = AdvertisingDataBuilder(limit: .legacy)
        try response.addAppearance(0x0180)
        try response.addTXPowerLevel(-2)
        try response.addLocalName("Highway controller")
        #expect(response.bytes == AndroidCapture.scanResponse)
    }

    // MARK: Framing rules (Vol 3, Part C, §11)

    @Test func zeroLengthEndsTheSignificantPart() throws {
        // A controller reporting the whole 31-octet buffer: flags, then zero padding.
        let padded: [UInt8] = [0x02, 0x01, 0x06] + [UInt8](repeating: 0, count: 28)
        #expect(try structures(padded).map(\.type) == [0x01])
        // Whatever follows the terminating zero is the non-significant part and is not read,
        // even if it would not frame.
        let junkAfterEnd: [UInt8] = [0x02, 0x01, 0x06, 0x00, 0x1F, 0xFF]
        #expect(try structures(junkAfterEnd).map(\.type) == [0x01])
        #expect(try structures([]).isEmpty)
        #expect(try structures([0x00]).isEmpty)
    }

    @Test func typeOnlyStructureHasEmptyData() throws {
        let seen = try structures([0x01, 0x09, 0x02, 0x0A, 0x7F])
        #expect(seen == [SeenStructure(type: 0x09, offset: 0, data: []), SeenStructure(type: 0x0A, offset: 2, data: [0x7F])])
        let bytes: [UInt8] = [0x01, 0x09]
        #expect(try AdvertisingData(bytes.span.bytes).localNameString() == "")
    }

    @Test func overrunningLengthIsReportedAtTheLengthOctet() throws {
        // Flags, then a name whose Length (5) runs 2 octets past the end.
        let bytes: [UInt8] = [0x02, 0x01, 0x06, 0x05, 0x09, 0x41, 0x42]
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "AD length", declared: 5, actual: 3), at: 3)) {
            _ = try structures(bytes)
        }
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "AD length", declared: 5, actual: 3), at: 16)) {
            _ = try structures(bytes, base: 13)
        }
        // A lone Length octet at the very end.
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "AD length", declared: 255, actual: 0), at: 3)) {
            _ = try structures([0x02, 0x01, 0x06, 0xFF])
        }
    }

    @Test func structuresBeforeAnErrorAreDelivered() throws {
        let bytes: [UInt8] = [0x02, 0x0A, 0x04, 0x09, 0x09]
        var iterator = ADStructureIterator(bytes.span.bytes)
        guard let first = try iterator.next() else { Issue.record("first missing"); return }
        let firstType = first.type
        #expect(firstType == .txPowerLevel)
        #expect(throws: WireError.self) { _ = try iterator.next() }
        // After an error the iterator is finished instead of throwing forever.
        let afterError = try iterator.next() == nil
        #expect(afterError)
    }

    // MARK: Typed accessors on malformed data

    @Test func typedAccessorsCheckLengths() throws {
        func first(_ bytes: [UInt8], _ check: (borrowing ADStructure) throws(WireError) -> Void) throws(WireError) {
            var iterator = ADStructureIterator(bytes.span.bytes, base: 100)
            guard let structure = try iterator.next() else { return }
            try check(structure)
        }
        // TX power must be exactly one octet.
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "TX power level AD length", declared: 3, actual: 2), at: 100)) {
            try first([0x03, 0x0A, 0x01, 0x02]) { s throws(WireError) in _ = try s.txPowerLevel() }
        }
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "appearance AD length", declared: 2, actual: 1), at: 100)) {
            try first([0x02, 0x19, 0x80]) { s throws(WireError) in _ = try s.appearance() }
        }
        // A 16-bit UUID list must hold whole UUIDs.
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "UUID list AD length", declared: 4, actual: 3), at: 100)) {
            try first([0x04, 0x03, 0x0D, 0x18, 0x0F]) { s throws(WireError) in try s.forEachUUID { _ throws(WireError) in } }
        }
        // Service data too short for its UUID: truncation at the first data octet.
        #expect(throws: WireError(.advertising, .truncated(field: "uuid16", needed: 2, available: 1), at: 102)) {
            try first([0x02, 0x16, 0xD2]) { s throws(WireError) in _ = try s.serviceData() }
        }
        #expect(throws: WireError(.advertising, .truncated(field: "company identifier", needed: 2, available: 1), at: 102)) {
            try first([0x02, 0xFF, 0x4C]) { s throws(WireError) in _ = try s.manufacturerData() }
        }
        // Asking a structure for the wrong thing names the AD type octet.
        #expect(throws: WireError(.advertising, .unknownType(field: "AD type for this accessor", value: 0x09), at: 101)) {
            try first([0x02, 0x09, 0x41]) { s throws(WireError) in _ = try s.txPowerLevel() }
        }
        #expect(throws: WireError(.advertising, .lengthMismatch(field: "advertising interval AD length", declared: 2, actual: 1), at: 100)) {
            try first([0x02, 0x1A, 0x20]) { s throws(WireError) in _ = try s.advertisingInterval() }
        }
    }

    @Test func readsEveryUUIDWidthAndServiceData() throws {
        let vendor = BluetoothUUID("6e400001-b5a3-f393-e0a9-e50e24dcca9e")!
        var builder = AdvertisingDataBuilder(limit: .extendedSinglePDU)
        try builder.addFlags(.leGeneralDiscoverableOnly)
        try builder.addServiceUUIDs([BluetoothUUID(0x180D), vendor, BluetoothUUID(uuid32: 0x1234_5678), BluetoothUUID(0x181A)])
        try builder.addServiceData(BluetoothUUID(0xFCD2), data: [0x40, 0x00, 0x01])
        try builder.addServiceData(BluetoothUUID(uuid32: 0xABCD_0001), data: [0x99])
        try builder.addServiceData(vendor, data: [])
        try builder.addManufacturerData(companyID: 0xFFFF, data: [1, 2, 3])
        try builder.addTXPowerLevel(4)
        try builder.add(.advertisingInterval, data: [0x40, 0x06])
        try builder.add(.leRole, data: [0x02])
        try builder.addLocalName("Gaitway Band")
        let bytes = builder.bytes

        // The 16-bit list comes first and holds both 16-bit UUIDs in their given order.
        #expect(Array(bytes[3..<9]) == [0x05, 0x03, 0x0D, 0x18, 0x1A, 0x18])
        #expect(Array(bytes[9..<15]) == [0x05, 0x05, 0x78, 0x56, 0x34, 0x12])

        let advert = AdvertisingData(bytes.span.bytes)
        var uuids: [BluetoothUUID] = []
        try advert.forEachServiceUUID { uuid throws(WireError) in uuids.append(uuid) }
        #expect(uuids == [BluetoothUUID(0x180D), BluetoothUUID(0x181A), BluetoothUUID(uuid32: 0x1234_5678), vendor])

        guard let bthome = try advert.serviceData(for: BluetoothUUID(0xFCD2)) else { Issue.record("bthome missing"); return }
        let bthomeData = bthome.data.copyBytes()
        #expect(bthomeData == [0x40, 0x00, 0x01])
        guard let sd32 = try advert.serviceData(for: BluetoothUUID(uuid32: 0xABCD_0001)) else { Issue.record("sd32 missing"); return }
        let sd32Data = sd32.data.copyBytes()
        #expect(sd32Data == [0x99])
        guard let sd128 = try advert.serviceData(for: vendor) else { Issue.record("sd128 missing"); return }
        let sd128Count = sd128.data.byteCount
        #expect(sd128Count == 0)
        let absent = try advert.serviceData(for: BluetoothUUID(0x180F)) == nil
        #expect(absent)

        var intervals: [UInt32] = []
        var roles: [UInt8] = []
        var uuidCounts: [Int] = []
        try advert.forEach { s throws(WireError) in
            if s.type == .advertisingInterval { intervals.append(try s.advertisingInterval()) }
            if s.type == .leRole { roles.append(try s.leRole()) }
            if s.type.uuidListWidth != nil { uuidCounts.append(try s.uuidCount()) }
        }
        #expect(intervals == [0x0640])
        #expect(roles == [2])
        #expect(uuidCounts == [2, 1, 1])
        #expect(try advert.txPowerLevel() == 4)
        #expect(try advert.localNameString() == "Gaitway Band")
        #expect(try advert.validate() == 12)
    }

    // MARK: Builder limits

    @Test func builderEnforcesTheLegacyLimit() throws {
        var builder = AdvertisingDataBuilder(limit: .legacy)
        try builder.addFlags(.leGeneralDiscoverableOnly)
        try builder.addManufacturerData(companyID: 0x0059, data: [UInt8](repeating: 0xAA, count: 22))  // 3 + 26 = 29
        let before = builder.bytes
        #expect(throws: WireError(.advertising, .oversize(field: "advertising data", limit: 31, actual: 32), at: 29)) {
            try builder.addTXPowerLevel(0)
        }
        #expect(builder.bytes == before)
        #expect(builder.remainingCapacity == 2)
        try builder.add(.leRole, data: [])  // exactly fills 31
        #expect(builder.bytes.count == 31)
    }

    @Test func builderEnforcesExtendedLimitsAndStructureSize() throws {
        var single = AdvertisingDataBuilder(limit: .extendedSinglePDU)
        try single.addManufacturerData(companyID: 1, data: [UInt8](repeating: 0, count: 250))  // 254 octets
        #expect(throws: WireError.self) { try single.addTXPowerLevel(0) }

        var chained = AdvertisingDataBuilder(limit: .extendedChained)
        #expect(throws: WireError(.advertising, .oversize(field: "AD data", limit: 254, actual: 255), at: 0)) {
            try chained.add(.manufacturerSpecificData, data: [UInt8](repeating: 0, count: 255))
        }
        for _ in 0..<6 { try chained.add(.manufacturerSpecificData, data: [UInt8](repeating: 0, count: 254)) }  // 1536
        try chained.add(.manufacturerSpecificData, data: [UInt8](repeating: 0, count: 112))  // 1650
        #expect(chained.bytes.count == 1650)
        #expect(throws: WireError.self) { try chained.add(.leRole, data: []) }
        #expect(try AdvertisingData(chained.bytes.span.bytes).validate() == 7)
    }

    @Test func longNamesAreShortenedOnlyWhenAsked() throws {
        var builder = AdvertisingDataBuilder(limit: .legacy)
        try builder.addFlags(.leGeneralDiscoverableOnly)  // 3 octets; 26 left for name data
        let name = "Gaitway Insole Left Foot—walking lab 3"  // the em dash fills octets 24..<27
        #expect(throws: WireError.self) { try builder.addLocalName(name) }
        try builder.addLocalName(name, shortenToFit: true)
        let advert = AdvertisingData(builder.bytes.span.bytes)
        guard let shortened = try advert.first(.shortenedLocalName) else { Issue.record("shortened missing"); return }
        let text = try shortened.localNameString()
        // 26 octets would cut the 3-octet em dash after its first octet: the cut backs off.
        #expect(text == "Gaitway Insole Left Foot")
        #expect(builder.bytes.count == 3 + 2 + 24)
        #expect(name.hasPrefix(text))
    }

    // MARK: Robustness

    @Test func arbitraryBytesNeverCrash() throws {
        // Exhaustive over short inputs, then seeded random inputs.
        var inputs: [[UInt8]] = []
        for a in 0...255 { inputs.append([UInt8(a)]) }
        for a in 0...40 { for b in 0...255 { inputs.append([UInt8(a), UInt8(b)]) } }
        let seed: UInt64 = 0x5EED_AD5
        print("AdvertisingDataTests.arbitraryBytesNeverCrash seed \(seed)")
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<5_000 {
            let count = Int(generator.next() % 40)
            inputs.append((0..<count).map { _ in
                // Bias towards small lengths and known types so accessors get exercised.
                let r = generator.next()
                return r % 3 == 0 ? UInt8(r >> 8 & 0x1F) : UInt8(truncatingIfNeeded: r >> 16)
            })
        }
        var framed = 0
        for input in inputs {
            let advert = AdvertisingData(input.span.bytes)
            do {
                try advert.forEach { s throws(WireError) in
                    framed += 1
                    _ = try? s.flags()
                    _ = try? s.txPowerLevel()
                    _ = try? s.appearance()
                    _ = try? s.advertisingInterval()
                    _ = try? s.leRole()
                    _ = try? s.uuidCount()
                    _ = try? s.forEachUUID { _ throws(WireError) in }
                    _ = try? s.serviceData().data.byteCount
                    _ = try? s.manufacturerData().data.byteCount
                    _ = try? s.localNameString()
                }
            } catch {
                #expect(error.layer == .advertising)
                #expect(error.offset >= 0 && error.offset < input.count)
            }
        }
        #expect(framed > 1_000)
    }
}
