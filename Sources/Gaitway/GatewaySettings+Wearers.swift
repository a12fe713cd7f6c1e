import BLEWire
import GatewayPipeline
import WearMetrics
import Yams

extension GatewaySettings {
    /// The keys of one entry of `wearers:`, in the order the messages list them.
    static let wearerKeys = ["name", "left-insole", "right-insole", "wristband", "age", "sex", "height-cm",
                             "weight-kg", "resting-hr", "max-hr"]

    /// `wearers:` in the config file: a list of people and the devices each wears,
    ///
    ///     wearers:
    ///       - name: ada
    ///         left-insole: D2:EE:5A:DE:B3:1A
    ///         right-insole: C9:06:E8:87:15:43
    ///         wristband: ED:9C:F4:86:CF:62
    ///         age: 67
    ///         sex: female
    ///         height-cm: 165
    ///         weight-kg: 60
    ///         resting-hr: 58
    ///         max-hr: 165
    ///
    /// Every problem is noted with its line: a missing or repeated name, an address that is
    /// not one or that two roles or wearers share, a value outside what a person can have.
    static func wearers(_ node: Node, path: String, problems: inout SettingsProblems) -> [Wearer] {
        guard let list = node.sequence else {
            problems.add("\(path):\(line(node)): 'wearers' must be a list of wearers (- name: ..., left-insole: ...)")
            return []
        }
        var wearers: [Wearer] = []
        var names: [String: Int] = [:]
        var owners: [BDAddress: String] = [:]
        for entry in list {
            let place = "\(path):\(line(entry))"
            guard let mapping = entry.mapping else {
                problems.add("\(place): a wearer must be a mapping (name: ..., left-insole: ...)")
                continue
            }
            var wearer = Wearer(name: "")
            var profile = WearerProfile()
            var roleLines: [Wearer.Role: Int] = [:]
            for (key, value) in mapping {
                let name = key.string ?? ""
                let at = "\(path):\(line(value)): '\(name)'"
                func number(_ range: ClosedRange<Double>, _ unit: String) -> Double? {
                    guard let number = value.float, range.contains(number) else {
                        problems.add("\(at) must be a number of \(unit) from \(NumberArgument.format(range.lowerBound)) "
                            + "to \(NumberArgument.format(range.upperBound))")
                        return nil
                    }
                    return number
                }
                func address(_ role: Wearer.Role) -> BDAddress? {
                    roleLines[role] = line(value)
                    guard let text = value.string, let address = BDAddress(text) else {
                        problems.add("\(at) must be a Bluetooth address (AA:BB:CC:DD:EE:FF)")
                        return nil
                    }
                    return address
                }
                switch name {
                case "name":
                    if let text = value.string, !text.allSatisfy(\.isWhitespace) { wearer.name = text } else {
                        problems.add("\(at) must be a name")
                    }
                case "left-insole": wearer.leftInsole = address(.leftInsole)
                case "right-insole": wearer.rightInsole = address(.rightInsole)
                case "wristband": wearer.wristband = address(.wristband)
                case "age": profile.age = number(WearerProfile.ageRange, "years")
                case "sex":
                    if let sex = value.string.flatMap(WearerProfile.Sex.init(rawValue:)) { profile.sex = sex } else {
                        problems.add("\(at) must be \(WearerProfile.Sex.allCases.map(\.rawValue).joined(separator: " or "))")
                    }
                case "height-cm": profile.height = number(WearerProfile.heightRange.scaled(by: 100), "centimetres").map { $0 / 100 }
                case "weight-kg": profile.weight = number(WearerProfile.weightRange, "kilograms")
                case "resting-hr": profile.restingHeartRate = number(WearerProfile.heartRateRange, "beats per minute")
                case "max-hr": profile.maximumHeartRate = number(WearerProfile.heartRateRange, "beats per minute")
                default:
                    problems.add("\(path):\(line(key)): unknown wearer setting '\(name)' (known: \(wearerKeys.joined(separator: ", ")))")
                }
            }
            if let resting = profile.restingHeartRate, let maximum = profile.maximumHeartRate, resting >= maximum {
                problems.add("\(place): 'resting-hr' \(NumberArgument.format(resting)) must be below 'max-hr' \(NumberArgument.format(maximum))")
            }
            wearer.profile = profile
            guard !wearer.name.isEmpty else {
                if mapping["name"] == nil { problems.add("\(place): a wearer needs a name") }
                continue
            }
            if let first = names[wearer.name] {
                problems.add("\(place): wearer '\(wearer.name)' is already named at line \(first)")
                continue
            }
            names[wearer.name] = line(entry)
            if wearer.devices.isEmpty {
                problems.add("\(place): wearer '\(wearer.name)' wears no device (give left-insole, right-insole or wristband)")
            }
            for (role, address) in wearer.devices {
                if let owner = owners[address] {
                    problems.add("\(path):\(roleLines[role] ?? line(entry)): \(address) (\(role.rawValue) of '\(wearer.name)') "
                        + "is already worn by '\(owner)'")
                } else {
                    owners[address] = wearer.name
                }
            }
            wearers.append(wearer)
        }
        return wearers
    }

    private static func line(_ node: Node) -> Int { (node.mark?.line).map { $0 } ?? 0 }
}

extension ClosedRange<Double> {
    func scaled(by factor: Double) -> ClosedRange<Double> { (lowerBound * factor)...(upperBound * factor) }
}

extension GatewaySettings {
    /// The settings of a config file alone (defaults for the rest), every problem of it reported
    /// together: for commands that read only part of it (`gaitway analyze capture` its wearers).
    init(configFile path: String) throws {
        var problems = SettingsProblems()
        read(path, problems: &problems)
        try problems.throwIfAny()
    }
}
