import BLEWire
import DeviceSim
import Foundation
import ProtocolSpecs
import Testing

/// What the simulated devices put in their adverts decodes with the same specs a gateway
/// uses: the insoles' manufacturer data (gaitway-advert) and the wristband's BTHome v2
/// service data (checked against bthome-ble in BTHomeReferenceTests).
@Suite struct AdvertisingContentTests {
    @Test func insolesAndWristbandsAdvertiseTheirState() throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try Scenario.load(file: try #require(ScenarioLoader.locate("quickstart")), options: .init(catalog: catalog))
        let simulation = try Simulation(scenario: scenario, catalog: catalog)
        simulation.advance(to: 12)
        var kinds: [String] = []
        var bthome = 0
        for device in simulation.devices {
            let data = device.advertisingData
            #expect(data.count <= 31, "legacy advertising limit")
            var iterator = ADStructureIterator(data.span.bytes)
            while let structure = try iterator.next() {
                if structure.type == .manufacturerSpecificData {
                    let manufacturer = try structure.manufacturerData()
                    #expect(manufacturer.companyID == 0xFFFF)
                    let spec = try #require(catalog.spec(forManufacturer: 0xFFFF))
                    let fields = try spec.decodeFields(manufacturer.data.copyBytes())
                    if case .text(let kind)? = fields["device_kind"] { kinds.append(kind) }
                    #expect(fields["battery_level"]?.doubleValue == 90)
                } else if structure.type == .serviceData16 {
                    let service = try structure.serviceData()
                    let spec = try #require(catalog.spec(forServiceData: service.uuid))
                    #expect(spec.name == "bthome-v2")
                    let fields = try spec.decodeFields(service.data.copyBytes())
                    #expect(fields["battery"] != nil && fields["temperature"] != nil)
                    bthome += 1
                }
            }
        }
        #expect(kinds.sorted() == ["insole_left", "insole_right"])
        #expect(bthome == 2, "both wristbands broadcast BTHome")
    }
}
