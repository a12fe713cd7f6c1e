import BLEWire

/// The services and characteristics the simulated devices expose (Bluetooth Assigned
/// Numbers §3.4 services, §3.8 characteristics), and the Gaitway vendor UUIDs
/// (Protocols/gaitway-insole.yaml, Protocols/gaitway-ppg.yaml, Protocols/gaitway-motion.yaml).
extension BluetoothUUID {
    // MARK: Services

    public static let genericAccessService = BluetoothUUID(0x1800)
    public static let genericAttributeService = BluetoothUUID(0x1801)
    public static let healthThermometerService = BluetoothUUID(0x1809)
    public static let deviceInformationService = BluetoothUUID(0x180A)
    public static let heartRateService = BluetoothUUID(0x180D)
    public static let batteryService = BluetoothUUID(0x180F)
    public static let runningSpeedAndCadenceService = BluetoothUUID(0x1814)
    public static let pulseOximeterService = BluetoothUUID(0x1822)

    // MARK: Characteristics

    public static let deviceName = BluetoothUUID(0x2A00)
    public static let appearance = BluetoothUUID(0x2A01)
    public static let serviceChanged = BluetoothUUID(0x2A05)
    public static let batteryLevel = BluetoothUUID(0x2A19)
    public static let temperatureMeasurement = BluetoothUUID(0x2A1C)
    public static let temperatureType = BluetoothUUID(0x2A1D)
    public static let modelNumberString = BluetoothUUID(0x2A24)
    public static let serialNumberString = BluetoothUUID(0x2A25)
    public static let firmwareRevisionString = BluetoothUUID(0x2A26)
    public static let hardwareRevisionString = BluetoothUUID(0x2A27)
    public static let softwareRevisionString = BluetoothUUID(0x2A28)
    public static let manufacturerNameString = BluetoothUUID(0x2A29)
    public static let heartRateMeasurement = BluetoothUUID(0x2A37)
    public static let bodySensorLocation = BluetoothUUID(0x2A38)
    public static let heartRateControlPoint = BluetoothUUID(0x2A39)
    public static let rscMeasurement = BluetoothUUID(0x2A53)
    public static let rscFeature = BluetoothUUID(0x2A54)
    public static let sensorLocation = BluetoothUUID(0x2A5D)
    public static let plxContinuousMeasurement = BluetoothUUID(0x2A5F)
    public static let plxFeatures = BluetoothUUID(0x2A60)
    public static let clientSupportedFeatures = BluetoothUUID(0x2B29)
    public static let databaseHash = BluetoothUUID(0x2B2A)

    // MARK: Gaitway vendor services (67610000-7761-7900-8000-000000000000 family)

    /// The insole's vendor service, 67610100-7761-7900-8000-000000000000.
    public static let gaitwayInsoleService = BluetoothUUID(high: 0x6761_0100_7761_7900, low: 0x8000_0000_0000_0000)
    /// The insole stream (Protocols/gaitway-insole.yaml), 67610101-….
    public static let gaitwayInsoleStream = BluetoothUUID(high: 0x6761_0101_7761_7900, low: 0x8000_0000_0000_0000)
    /// The wristband's vendor service, 67610200-7761-7900-8000-000000000000.
    public static let gaitwayWristbandService = BluetoothUUID(high: 0x6761_0200_7761_7900, low: 0x8000_0000_0000_0000)
    /// The raw PPG stream (Protocols/gaitway-ppg.yaml), 67610201-….
    public static let gaitwayPPGStream = BluetoothUUID(high: 0x6761_0201_7761_7900, low: 0x8000_0000_0000_0000)
    /// The wrist accelerometer stream (Protocols/gaitway-motion.yaml), 67610202-….
    public static let gaitwayMotionStream = BluetoothUUID(high: 0x6761_0202_7761_7900, low: 0x8000_0000_0000_0000)
}
