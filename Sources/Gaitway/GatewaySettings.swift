import ArgumentParser
import BLEWire
import Foundation
import Yams

/// The gateway's settings: flags over the --config file over defaults.
struct GatewaySettings {
    var hci = "sim:quickstart"
    var db = "gaitway.db"
    var allow: [String] = []
    var maxConnections: Int?
    var duration: Double?
    var commitInterval = 1.0

    /// Services that make a device worth connecting to: the standard ones our Protocols
    /// specs cover and our own devices' (the gateway reads nothing else).
    static let wantedServices: Set<BluetoothUUID> = [
        .heartRateService, .runningSpeedAndCadenceService, .pulseOximeterService, .healthThermometerService,
        .gaitwayInsoleService, .gaitwayWristbandService,
    ]

    init(command: GatewayCommand) throws {
        if let path = command.config { try read(path) }
        if let hci = command.hci { self.hci = hci }
        if let db = command.db { self.db = db }
        if !command.allow.isEmpty { allow = command.allow }
        if let value = command.maxConnections { maxConnections = value }
        if let value = command.duration { duration = value }
        if let value = command.commitInterval { commitInterval = value }
    }

    mutating func read(_ path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CleanExit.failure("cannot read config \(path): \(error.localizedDescription)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw CleanExit.failure("\(path): \(error)") }
        guard let mapping = node?.mapping else { throw CleanExit.failure("\(path): expected a mapping of settings") }
        for (key, value) in mapping {
            let name = key.string ?? ""
            func fail(_ expected: String) -> Error {
                CleanExit.failure("\(path):\(value.mark?.line ?? 0): '\(name)' must be \(expected)")
            }
            switch name {
            case "hci": hci = try value.string ?? { throw fail("a transport like tcp-client:127.0.0.1:9001") }()
            case "db": db = try value.string ?? { throw fail("a file path") }()
            case "allow":
                if let list = value.sequence { allow = list.compactMap(\.string) } else if let one = value.string { allow = [one] }
                else { throw fail("a list of addresses, UUIDs or names") }
            case "max-connections": maxConnections = try value.int.flatMap { $0 > 0 ? $0 : nil } ?? { throw fail("a positive integer") }()
            case "duration": duration = try value.float.flatMap { $0 > 0 ? $0 : nil } ?? { throw fail("positive seconds") }()
            case "commit-interval": commitInterval = try value.float.flatMap { $0 > 0 ? $0 : nil } ?? { throw fail("positive seconds") }()
            default:
                throw CleanExit.failure("\(path):\(key.mark?.line ?? 0): unknown setting '\(name)' "
                    + "(known: hci, db, allow, max-connections, duration, commit-interval)")
            }
        }
    }

    /// A random static address for the gateway (Vol 6, Part B, §1.3.2.1: the two most
    /// significant bits 0b11), new each run. Bumble's virtual link routes by random address.
    static func randomStaticAddress() -> BDAddress {
        BDAddress(rawValue: UInt64.random(in: 1..<(1 << 46)) | 0xC000_0000_0000)
    }
}
