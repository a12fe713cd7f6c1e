import BLEWire

// Factories for the Bluetooth SIG services the simulated devices offer. Layouts follow
// each service specification's characteristic table; optional characteristics are
// included when their parameter is given.

extension GATTService {
    /// Generic Access (0x1800; Core v5.4, Vol 3, Part C, §12): Device Name (2A00) and
    /// Appearance (2A01), both read-only.
    public static func genericAccess(deviceName: String, appearance: UInt16 = 0) -> GATTService {
        GATTService(.genericAccessService, characteristics: [
            GATTCharacteristic(.deviceName, properties: .read, value: .utf8(deviceName)),
            GATTCharacteristic(.appearance, properties: .read, value: .uint16(appearance)),
        ])
    }

    /// Generic Attribute (0x1801; Core v5.4, Vol 3, Part G, §7): Service Changed (2A05,
    /// indicate, with a CCCD), then optionally Client Supported Features (2B29, read and
    /// write) and Database Hash (2B2A, read).
    ///
    /// - Parameter databaseHash: the 16-byte hash of Vol 3, Part G, §7.3, computed by the
    ///   caller (AES-CMAC is not in the standard library); leave nil to omit the
    ///   characteristic, so that clients do not cache on a wrong hash.
    /// - Note: Client Supported Features is stored once for all connections, not per
    ///   client as §7.2 wants; the simulated devices never change their database.
    public static func genericAttribute(clientSupportedFeatures: Bool = false, databaseHash: [UInt8]? = nil) -> GATTService {
        var characteristics = [
            GATTCharacteristic(.serviceChanged, properties: .indicate, value: .fixed([0x01, 0x00, 0xFF, 0xFF])),
        ]
        if clientSupportedFeatures {
            characteristics.append(GATTCharacteristic(.clientSupportedFeatures, properties: [.read, .write], value: .uint8(0)))
        }
        if let databaseHash {
            characteristics.append(GATTCharacteristic(.databaseHash, properties: .read, value: .fixed(databaseHash)))
        }
        return GATTService(.genericAttributeService, characteristics: characteristics)
    }

    /// Heart Rate (0x180D; Heart Rate Service 1.0, §3): Heart Rate Measurement (2A37,
    /// notify), optional Body Sensor Location (2A38, read), optional Heart Rate Control
    /// Point (2A39, write).
    ///
    /// - Parameters:
    ///   - bodySensorLocation: e.g. 0x02 wrist, 0x06 foot; nil omits 2A38.
    ///   - resetEnergyExpended: called when a client writes 0x01 ("Reset Energy
    ///     Expended") to the control point; nil omits 2A39. Any other value is answered
    ///     with 0x80 "Control Point Not Supported" (HRS §3.3.1).
    public static func heartRate(bodySensorLocation: UInt8? = nil, resetEnergyExpended: (() -> Void)? = nil) -> GATTService {
        var characteristics = [GATTCharacteristic(.heartRateMeasurement, properties: .notify)]
        if let bodySensorLocation {
            characteristics.append(GATTCharacteristic(.bodySensorLocation, properties: .read, value: .uint8(bodySensorLocation)))
        }
        if let resetEnergyExpended {
            characteristics.append(GATTCharacteristic(.heartRateControlPoint, properties: .write) { value in
                guard value == [0x01] else { return ATTErrorCode(0x80) }
                resetEnergyExpended()
                return nil
            })
        }
        return GATTService(.heartRateService, characteristics: characteristics)
    }

    /// Running Speed and Cadence (0x1814; RSCS 1.0, §3): RSC Measurement (2A53, notify),
    /// RSC Feature (2A54, read), optional Sensor Location (2A5D, read).
    ///
    /// - Parameter features: the RSC Feature bits (bit 0 instantaneous stride length,
    ///   bit 1 total distance, bit 2 walking or running status, ...).
    public static func runningSpeedAndCadence(features: UInt16, sensorLocation: UInt8? = nil) -> GATTService {
        var characteristics = [
            GATTCharacteristic(.rscMeasurement, properties: .notify),
            GATTCharacteristic(.rscFeature, properties: .read, value: .uint16(features)),
        ]
        if let sensorLocation {
            characteristics.append(GATTCharacteristic(.sensorLocation, properties: .read, value: .uint8(sensorLocation)))
        }
        return GATTService(.runningSpeedAndCadenceService, characteristics: characteristics)
    }

    /// Pulse Oximeter (0x1822; PLXS 1.0, §3): PLX Continuous Measurement (2A5F, notify)
    /// and PLX Features (2A60, read).
    ///
    /// - Parameter features: the PLX Features value: Supported Features (u16), then
    ///   Measurement Status Support (u16) and Device and Sensor Status Support (u24) when
    ///   bits 0 and 1 announce them.
    public static func pulseOximeter(features: [UInt8] = [0x00, 0x00]) -> GATTService {
        GATTService(.pulseOximeterService, characteristics: [
            GATTCharacteristic(.plxContinuousMeasurement, properties: .notify),
            GATTCharacteristic(.plxFeatures, properties: .read, value: .fixed(features)),
        ])
    }

    /// Health Thermometer (0x1809; HTS 1.0, §3): Temperature Measurement (2A1C,
    /// indicate) and optional Temperature Type (2A1D, read; e.g. 0x02 body, 0x04 finger).
    public static func healthThermometer(temperatureType: UInt8? = nil) -> GATTService {
        var characteristics = [GATTCharacteristic(.temperatureMeasurement, properties: .indicate)]
        if let temperatureType {
            characteristics.append(GATTCharacteristic(.temperatureType, properties: .read, value: .uint8(temperatureType)))
        }
        return GATTService(.healthThermometerService, characteristics: characteristics)
    }

    /// Battery (0x180F; BAS 1.1, §3.1): Battery Level (2A19, read and notify), a
    /// percentage read from `level` on every read.
    public static func battery(level: @escaping () -> UInt8) -> GATTService {
        GATTService(.batteryService, characteristics: [
            GATTCharacteristic(.batteryLevel, properties: [.read, .notify], value: .provided { [level()] }),
        ])
    }

    /// Device Information (0x180A; DIS 1.1, §3): the read-only strings given, in the
    /// order Manufacturer Name (2A29), Model Number (2A24), Serial Number (2A25),
    /// Hardware Revision (2A27), Firmware Revision (2A26), Software Revision (2A28).
    public static func deviceInformation(manufacturer: String? = nil, model: String? = nil, serialNumber: String? = nil,
                                         hardwareRevision: String? = nil, firmwareRevision: String? = nil,
                                         softwareRevision: String? = nil) -> GATTService {
        let strings: [(BluetoothUUID, String?)] = [
            (.manufacturerNameString, manufacturer), (.modelNumberString, model), (.serialNumberString, serialNumber),
            (.hardwareRevisionString, hardwareRevision), (.firmwareRevisionString, firmwareRevision),
            (.softwareRevisionString, softwareRevision),
        ]
        return GATTService(.deviceInformationService, characteristics: strings.compactMap { uuid, text in
            text.map { GATTCharacteristic(uuid, properties: .read, value: .utf8($0)) }
        })
    }
}
