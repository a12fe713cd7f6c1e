import BLEHost
import BLEWire
import Foundation
import Testing
@testable import DeviceSim

/// The requests the offline host sends (`gaitway sim --btsnoop`), read back from its capture,
/// against the GATT procedures (Core v5.4, Vol 3, Part G, §4) and each device's own GATT
/// database: primary services first, then the characteristics of each service over its
/// range, then the descriptors of each characteristic over its range, then a CCCD write for
/// every characteristic that notifies or indicates.
@Suite struct OfflineDiscoveryTests {
    /// One connection's ATT requests, in capture order.
    struct Link {
        var address: BDAddress
        var requests: [ATTPDU] = []
    }

    /// Connection handle -> the link, from LE Connection Complete events and the host's ACL
    /// packets (ACL header 4 octets, L2CAP basic header 4, then the ATT PDU on channel 0x0004).
    func links(in capture: URL) throws -> [Link] {
        let bytes = Array(try Data(contentsOf: capture))
        let file = bytes.span.bytes
        var reader = try BTSnoopReader(file: file)
        var links: [Link] = []
        var open: [ConnectionHandle: Int] = [:]
        try reader.forEach(in: file) { record, packet throws(WireError) in
            switch (record.packetType, record.direction) {
            case (.event, _):
                if case .leConnectionComplete(let event) = try HCIEvent(parsing: packet) {
                    open[event.connectionHandle] = links.count
                    links.append(Link(address: event.peerAddress))
                }
            case (.aclData, .sent):
                let header = packet.withUnsafeBytes { Array($0.prefix(2)) }
                guard header.count == 2, packet.byteCount > 8,
                      let link = open[ConnectionHandle(UInt16(header[0]) | UInt16(header[1] & 0x0F) << 8)] else { return }
                links[link].requests.append(try ATTPDU(parsing: packet.extracting(8...)))
            default:
                break
            }
        }
        return links
    }

    @Test func offlineHostFollowsTheGATTDiscoveryProcedures() throws {
        let offline = OfflineCaptureTests()
        let run = try offline.simulate(scenario: "quickstart", duration: 1)
        defer { try? FileManager.default.removeItem(at: run.folder) }
        let links = try links(in: run.capture)
        #expect(links.count == run.simulation.devices.count)

        for link in links {
            let device = try #require(run.simulation.devices.first { $0.address == link.address })
            let services = device.database.services
            var stage = 0  // 0 MTU, 1 services, 2 characteristics, 3 descriptors and CCCD writes
            var characteristicStarts: Set<AttributeHandle> = []
            var written: Set<AttributeHandle> = []
            for request in link.requests {
                switch request {
                case .exchangeMTURequest:
                    #expect(stage == 0, "\(link.address): Exchange MTU first (§4.3.1)")
                case .readByGroupTypeRequest(let range, let type):
                    #expect(stage <= 1 && type == BluetoothUUID(0x2800) && range.end == .last, "\(link.address): \(range) (§4.4.1)")
                    stage = 1
                case .readByTypeRequest(let range, let type):
                    // Within one service, up to its end (§4.6.1).
                    let service = services.first { $0.range.start <= range.start && range.start <= $0.range.end }
                    #expect(stage >= 1 && stage <= 2 && type == BluetoothUUID(0x2803) && service?.range.end == range.end,
                            "\(link.address): Read By Type \(range) is not over a service's range")
                    if service?.range.start == range.start { characteristicStarts.insert(range.start) }
                    stage = 2
                case .findInformationRequest(let range):
                    // After a characteristic's value, before the next declaration or the service end (§4.7.1).
                    let owner = services.flatMap { service in
                        service.characteristics.enumerated().map { index, characteristic in
                            let next = index + 1 < service.characteristics.count ? service.characteristics[index + 1].declaration.predecessor!
                                                                                    : service.range.end
                            return (characteristic, next)
                        }
                    }.first { $0.0.value.successor == range.start }
                    #expect(stage >= 2 && owner != nil && range.end <= owner?.1 ?? .reserved,
                            "\(link.address): Find Information \(range) is not over a characteristic's descriptors")
                    stage = 3
                case .writeRequest(let handle, _):
                    #expect(stage == 3, "\(link.address): CCCD written before its descriptors were discovered (§4.12.3)")
                    written.insert(handle)
                case .handleValueConfirmation:
                    break
                default:
                    Issue.record("\(link.address): unexpected request \(request)")
                }
            }
            #expect(characteristicStarts == Set(services.map(\.range.start)), "\(link.address): every service's characteristics")
            let configurable = services.flatMap(\.characteristics).compactMap(\.clientConfiguration)
            #expect(written == Set(configurable), "\(link.address): every CCCD written")
        }
    }
}
