/// The AD type octet that opens every AD structure: what the rest of the structure holds.
///
/// Values from Bluetooth Assigned Numbers §2.3 ("Common Data Types"); their formats from the
/// Core Specification Supplement v11, Part A, §1. A struct rather than an enum so that
/// types assigned after this code was written still parse (and print as hex).
public struct ADType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    // MARK: Flags and service UUID lists (CSS Part A §1.3, §1.1)

    public static let flags = ADType(0x01)
    public static let incompleteServiceUUIDs16 = ADType(0x02)
    public static let completeServiceUUIDs16 = ADType(0x03)
    public static let incompleteServiceUUIDs32 = ADType(0x04)
    public static let completeServiceUUIDs32 = ADType(0x05)
    public static let incompleteServiceUUIDs128 = ADType(0x06)
    public static let completeServiceUUIDs128 = ADType(0x07)

    // MARK: Names, power, classic pairing (CSS Part A §1.2, §1.5, §1.6)

    public static let shortenedLocalName = ADType(0x08)
    public static let completeLocalName = ADType(0x09)
    public static let txPowerLevel = ADType(0x0A)
    public static let classOfDevice = ADType(0x0D)
    public static let simplePairingHashC192 = ADType(0x0E)
    public static let simplePairingRandomizerR192 = ADType(0x0F)
    /// Also "Device ID" in the Device ID profile; same code.
    public static let securityManagerTKValue = ADType(0x10)
    public static let securityManagerOOBFlags = ADType(0x11)
    public static let peripheralConnectionIntervalRange = ADType(0x12)

    // MARK: Solicitation, service data, addresses, appearance (CSS Part A §1.10–§1.14)

    public static let solicitationUUIDs16 = ADType(0x14)
    public static let solicitationUUIDs128 = ADType(0x15)
    public static let serviceData16 = ADType(0x16)
    public static let publicTargetAddress = ADType(0x17)
    public static let randomTargetAddress = ADType(0x18)
    public static let appearance = ADType(0x19)
    /// Advertising interval in units of 0.625 ms, 2 octets (CSS Part A §1.15).
    public static let advertisingInterval = ADType(0x1A)
    public static let leBluetoothDeviceAddress = ADType(0x1B)
    /// LE Role: 0x00 peripheral only … 0x03 both, central preferred (CSS Part A §1.17).
    public static let leRole = ADType(0x1C)
    public static let simplePairingHashC256 = ADType(0x1D)
    public static let simplePairingRandomizerR256 = ADType(0x1E)
    public static let solicitationUUIDs32 = ADType(0x1F)
    public static let serviceData32 = ADType(0x20)
    public static let serviceData128 = ADType(0x21)
    public static let leSecureConnectionsConfirmation = ADType(0x22)
    public static let leSecureConnectionsRandom = ADType(0x23)
    public static let uri = ADType(0x24)
    public static let indoorPositioning = ADType(0x25)
    public static let transportDiscoveryData = ADType(0x26)
    public static let leSupportedFeatures = ADType(0x27)
    public static let channelMapUpdateIndication = ADType(0x28)
    public static let pbADV = ADType(0x29)
    public static let meshMessage = ADType(0x2A)
    public static let meshBeacon = ADType(0x2B)
    public static let bigInfo = ADType(0x2C)
    public static let broadcastCode = ADType(0x2D)
    public static let resolvableSetIdentifier = ADType(0x2E)
    /// Advertising interval in units of 0.625 ms, 3 or 4 octets (CSS Part A §1.15).
    public static let advertisingIntervalLong = ADType(0x2F)
    public static let broadcastName = ADType(0x30)
    public static let encryptedAdvertisingData = ADType(0x31)
    public static let periodicAdvertisingResponseTiming = ADType(0x32)
    public static let electronicShelfLabel = ADType(0x34)
    public static let threeDInformationData = ADType(0x3D)
    /// Company identifier (2 octets, little-endian) then vendor data (CSS Part A §1.4).
    public static let manufacturerSpecificData = ADType(0xFF)

    /// The width in octets of each UUID in a service UUID list or solicitation list, or nil
    /// when this type is not a UUID list.
    @inlinable
    public var uuidListWidth: Int? {
        switch rawValue {
        case 0x02, 0x03, 0x14: 2
        case 0x04, 0x05, 0x1F: 4
        case 0x06, 0x07, 0x15: 16
        default: nil
        }
    }

    /// The width in octets of the UUID that opens a service data structure, or nil when
    /// this type is not service data.
    @inlinable
    public var serviceDataUUIDWidth: Int? {
        switch rawValue {
        case 0x16: 2
        case 0x20: 4
        case 0x21: 16
        default: nil
        }
    }

    /// Whether this is one of the "complete list" service UUID types (0x03, 0x05, 0x07).
    @inlinable public var isCompleteUUIDList: Bool { rawValue == 0x03 || rawValue == 0x05 || rawValue == 0x07 }

    public var description: String {
        switch rawValue {
        case 0x01: "flags"
        case 0x02: "incomplete-uuid16-list"
        case 0x03: "complete-uuid16-list"
        case 0x04: "incomplete-uuid32-list"
        case 0x05: "complete-uuid32-list"
        case 0x06: "incomplete-uuid128-list"
        case 0x07: "complete-uuid128-list"
        case 0x08: "shortened-local-name"
        case 0x09: "complete-local-name"
        case 0x0A: "tx-power-level"
        case 0x14: "solicitation-uuid16-list"
        case 0x15: "solicitation-uuid128-list"
        case 0x16: "service-data-uuid16"
        case 0x19: "appearance"
        case 0x1A: "advertising-interval"
        case 0x1C: "le-role"
        case 0x1F: "solicitation-uuid32-list"
        case 0x20: "service-data-uuid32"
        case 0x21: "service-data-uuid128"
        case 0x24: "uri"
        case 0x2F: "advertising-interval-long"
        case 0x30: "broadcast-name"
        case 0xFF: "manufacturer-specific-data"
        default:
            "ad-type-0x" + (rawValue < 0x10 ? "0" : "") + String(rawValue, radix: 16)
        }
    }
}
