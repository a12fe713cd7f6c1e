import BLEWire
import WearMetrics

/// A person and the devices they wear: the unit of the metrics that need both feet (double
/// support, symmetry) or several devices (cadence from the insoles next to heart rate from
/// the band). Named in the gateway's configuration (`wearers:`); the name is what metric
/// records of the wearer are stored and queried under.
public struct Wearer: Sendable, Equatable {
    public var name: String
    public var leftInsole: BDAddress?
    public var rightInsole: BDAddress?
    public var wristband: BDAddress?
    public var profile: WearerProfile

    public init(name: String, leftInsole: BDAddress? = nil, rightInsole: BDAddress? = nil,
                wristband: BDAddress? = nil, profile: WearerProfile = WearerProfile()) {
        self.name = name
        self.leftInsole = leftInsole
        self.rightInsole = rightInsole
        self.wristband = wristband
        self.profile = profile
    }

    /// The devices the wearer has, with the role of each.
    public var devices: [(role: Role, address: BDAddress)] {
        [(Role.leftInsole, leftInsole), (.rightInsole, rightInsole), (.wristband, wristband)]
            .compactMap { role, address in address.map { (role, $0) } }
    }

    public enum Role: String, Sendable, CaseIterable {
        case leftInsole = "left-insole"
        case rightInsole = "right-insole"
        case wristband
    }
}
