import BLEWire
import Foundation
import ProtocolSpecs

/// A whole run: the people of a scenario, the devices they wear, and the faults scripted
/// for them, on one simulation clock (seconds from the start of the run).
public final class Simulation {
    public let scenario: Scenario
    public let bodies: [PersonaBody]
    /// In scenario order (``Scenario/devices``).
    public let devices: [DeviceFirmware]
    /// Seconds since 1970 at simulation time 0: the clock of captures and ground truth.
    public let epoch: Double

    /// 2026-11-21T10:00:00Z: where a scenario without a `start` begins, so that a seed gives
    /// the same bytes on every run.
    public static let defaultEpoch: Double = 1_795_255_200

    public init(scenario: Scenario, catalog: ProtocolCatalog, truth: GroundTruthSink? = nil,
                epoch: Double? = nil) throws(SimulationError) {
        self.scenario = scenario
        let epoch = epoch ?? scenario.start?.timeIntervalSince1970 ?? Self.defaultEpoch
        self.epoch = epoch
        var bodies: [PersonaBody] = []
        for person in scenario.people {
            let ectopic = scenario.faults.reduce(0.0) { total, fault in
                guard case .ectopicBeats(let perMinute) = fault.kind,
                      fault.devices.contains(where: { person.devices.contains($0) }) else { return total }
                return total + perMinute
            }
            let wristband = person.devices.map { scenario.devices[$0] }.first { $0.role == .wristband }
            bodies.append(try PersonaBody(spec: person, ectopicPerMinute: ectopic,
                                          ppgRate: wristband?.firmware.sampleRate ?? 50, hasHeartSensor: wristband != nil))
        }
        var devices: [DeviceFirmware] = []
        for (index, device) in scenario.devices.enumerated() {
            let faults = scenario.faults.filter { $0.devices.contains(index) }
            let body = bodies[device.person]
            let firmware: DeviceFirmware
            switch device.role {
            case .wristband:
                firmware = WristbandFirmware(spec: device, body: body, catalog: catalog, faults: faults, epoch: epoch)
            case .leftInsole, .rightInsole:
                // The pair's id: the left insole's address, low 32 bits (unique among the
                // scenario's devices, stable across runs of the scenario).
                let insoles = scenario.people[device.person].devices.map { scenario.devices[$0] }.filter(\.isInsole)
                let left = insoles.first { $0.role == .leftInsole }
                let pairID = insoles.count == 2 ? left.map { UInt32(truncatingIfNeeded: $0.firmware.address.rawValue) } : nil
                firmware = try InsoleFirmware(spec: device, body: body, catalog: catalog, faults: faults, epoch: epoch,
                                              pairID: pairID)
            }
            firmware.truth = truth
            devices.append(firmware)
        }
        self.bodies = bodies
        self.devices = devices
        if let truth {
            for body in bodies {
                for segment in body.spec.activity {
                    truth.record(.activity(person: body.spec.name, activity: segment.kind.name,
                                           start: epoch + segment.start, end: epoch + segment.end))
                }
                for night in body.nights {
                    for period in night.periods {
                        truth.record(.sleepStage(person: body.spec.name, stage: period.stage.rawValue,
                                                 start: epoch + period.start, end: epoch + period.end))
                    }
                }
            }
        }
    }

    /// Brings every person and device to `time`.
    public func advance(to time: Double) {
        for device in devices { device.advance(to: time) }
    }
}
