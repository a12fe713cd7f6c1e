import Foundation
@testable import GatewayStore

/// A fresh folder under the system's temporary directory, removed when released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("gaitway-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
    }

    /// A path inside the folder (not created).
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Addresses chosen so that their order of first appearance (which fixes their
/// database ids) differs from their alphabetical order: sorting by id instead of by
/// address would show.
enum TestAddress {
    static let c = "C0:00:00:00:00:03"
    static let a = "A0:00:00:00:00:01"
    static let b = "B0:00:00:00:00:02"
    static let all = [c, a, b]
}

/// The reference order of samples: time, then address, quantity, channel.
func referenceOrder(_ lhs: StoredSample, _ rhs: StoredSample) -> Bool {
    (lhs.gatewayTimeMicros, lhs.address, lhs.quantity, lhs.channel)
        < (rhs.gatewayTimeMicros, rhs.address, rhs.quantity, rhs.channel)
}

/// A small known dataset: 3 devices x 10 instants 1 ms apart x (heart_rate scalar +
/// plantar_force cells 0...2) = 120 samples. Only device A sends a device clock.
enum Dataset {
    static let start: Int64 = 1_000_000

    static var samples: [StoredSample] {
        var samples: [StoredSample] = []
        for t in 0..<10 {
            let time = start + Int64(t) * 1000
            for (i, address) in TestAddress.all.enumerated() {
                let deviceTime: Int64? = address == TestAddress.a ? Int64(t) * 1000 + 7 : nil
                samples.append(StoredSample(
                    gatewayTimeMicros: time, deviceTimeMicros: deviceTime, address: address,
                    quantity: "heart_rate", unit: "bpm", channel: -1, value: Double(60 + t + i * 100)))
                for cell in 0..<3 {
                    samples.append(StoredSample(
                        gatewayTimeMicros: time, deviceTimeMicros: deviceTime, address: address,
                        quantity: "plantar_force", unit: "N", channel: cell,
                        value: Double(t * 10 + cell) + Double(i * 1000) + 0.25))
                }
            }
        }
        return samples
    }

    /// A batch holding `samples` in the given order.
    static func batch(_ samples: [StoredSample]) -> StoreBatch {
        var batch = StoreBatch()
        for sample in samples {
            batch.appendSample(
                gatewayTimeMicros: sample.gatewayTimeMicros, deviceTimeMicros: sample.deviceTimeMicros,
                address: sample.address, quantity: sample.quantity, unit: sample.unit,
                channel: sample.channel, value: sample.value)
        }
        return batch
    }
}

/// Permission bits of a file, or nil if it does not exist.
func permissions(_ path: String) -> Int? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
          let mode = attributes[.posixPermissions] as? NSNumber
    else { return nil }
    return mode.intValue & 0o777
}
