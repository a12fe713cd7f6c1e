import BLEWire

extension GATTService {
    /// A vendor service with a 128-bit UUID whose characteristics are notify-only
    /// streams, each with a CCCD and, when named, a Characteristic User Description.
    public static func vendorStreams(_ uuid: BluetoothUUID, streams: [(uuid: BluetoothUUID, name: String?)]) -> GATTService {
        GATTService(uuid, characteristics: streams.map { stream in
            GATTCharacteristic(stream.uuid, properties: .notify, userDescription: stream.name)
        })
    }

    /// The Gaitway insole service (67610100-…) with its stream 67610101-…
    /// (Protocols/gaitway-insole.yaml).
    public static func gaitwayInsole() -> GATTService {
        vendorStreams(.gaitwayInsoleService, streams: [(.gaitwayInsoleStream, "Insole Stream")])
    }

    /// The Gaitway wristband service (67610200-…) with its raw PPG stream 67610201-…
    /// (Protocols/gaitway-ppg.yaml) and, when `motion`, its accelerometer stream 67610202-…
    /// (Protocols/gaitway-motion.yaml).
    public static func gaitwayWristband(motion: Bool = false) -> GATTService {
        vendorStreams(.gaitwayWristbandService, streams: [(.gaitwayPPGStream, "PPG Stream")]
            + (motion ? [(.gaitwayMotionStream, "Motion Stream")] : []))
    }
}
