import BLEWire
import DeviceSim
import ProtocolSpecs
import Testing

/// A scenario's disconnect fault reaches the air through the virtual controller: the
/// device goes silent and the host sees the link end in a supervision timeout (0x08).
@Suite struct ScriptedLinkFaultTests {
    static let scenario = """
        name: drop-at-3s
        seed: 5
        duration: 30s
        personas:
          - name: sleeper
            age: 50
            sex: male
            height: 1.80
            weight: 80
            devices:
              - kind: wristband
            activity: [{do: rest}]
        faults:
          - {kind: disconnect, target: sleeper/wristband, at: 3s, duration: 5s}
        """

    @Test func disconnectFaultEndsTheLinkInASupervisionTimeout() throws {
        let catalog = try ProtocolCatalog.bundled()
        let scenario = try ScenarioLoader.load(yaml: Self.scenario, file: "drop.yaml", options: .init(catalog: catalog))
            .resolve()
        let truth = GroundTruthLog()
        let simulation = try Simulation(scenario: scenario, catalog: catalog, truth: truth)
        let device = try #require(simulation.devices.first)
        let controller = VirtualController(peripherals: simulation.devices)
        let host = ScriptedHost(controller)
        host.powerOn()
        // Supervision timeout 200 × 10 ms = 2 s.
        let handle = try #require(host.connect(to: device.address, interval: 24, timeout: 200))
        var ended: (time: Double, reason: UInt8)?
        for _ in 0..<200 where ended == nil {
            for packet in host.advance(by: 0.05) {
                guard packet.type == .event, let event = try? HCIEvent(parsing: packet.bytes.span.bytes),
                      case .disconnectionComplete(let complete) = event, complete.connectionHandle == handle else { continue }
                ended = (packet.time, complete.reason)
            }
        }
        let link = try #require(ended)
        #expect(link.reason == 0x08, "connection timeout")
        #expect(link.time >= 3 + 2 - 0.1 && link.time <= 3 + 2 + 0.5, "silent from 3 s, timeout 2 s: \(link.time)")
        #expect(truth.events.contains { if case .fault(kind: "disconnect", _, _, _) = $0 { true } else { false } })
    }
}
