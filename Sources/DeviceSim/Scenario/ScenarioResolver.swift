import BLEWire
import ProtocolSpecs

extension ScenarioTemplate {
    /// Expands every `count` and group, draws every variation, derives seeds, addresses and names,
    /// and lays the activity timelines out in seconds. Deterministic: the same template, seed,
    /// device count and duration give the same ``Scenario``.
    ///
    /// - Parameters:
    ///   - seed: overrides the file's seed (`--seed`).
    ///   - devices: scales the scenario to exactly this many devices (`--devices`): people are
    ///     taken in order, then replicated round after round as further instances of their persona
    ///     or group (new seeds, new addresses), and the last person keeps only the devices still
    ///     needed (an insole pair may lose its right insole). People without devices are left out.
    ///   - duration: overrides the file's duration (`--duration`), seconds.
    public func resolve(seed: UInt64? = nil, devices deviceCount: Int? = nil, duration: Double? = nil) throws(ScenarioErrors) -> Scenario {
        let seed = seed ?? self.seed
        let duration = duration ?? self.duration
        var errors: [SpecError] = []
        guard duration > 0, duration <= ScenarioParser.maximumDuration else {
            throw ScenarioErrors([SpecError(file: file, line: 0, column: 0,
                                            message: "duration \(ScenarioValueReader.format(duration)) s is outside 1...\(ScenarioValueReader.format(ScenarioParser.maximumDuration))")])
        }
        if let deviceCount, !(1...1_000_000).contains(deviceCount) {
            throw ScenarioErrors([SpecError(file: file, line: 0, column: 0, message: "--devices \(deviceCount) is outside 1...1000000")])
        }

        // The people the file describes, in order: persona instances, then group members.
        var units: [(source: Source, instance: Int)] = []
        for (index, persona) in personas.enumerated() where !persona.isTemplate {
            for instance in 0..<persona.count { units.append((.persona(index), instance)) }
        }
        for (index, group) in groups.enumerated() {
            for instance in 0..<group.count { units.append((.group(index), instance)) }
        }

        var scenario = Scenario(name: name, description: description, seed: seed, duration: duration, start: start, file: file,
                                people: [], devices: [], faults: [])
        var addresses: [BDAddress: Int] = [:]
        if let deviceCount {
            guard !units.isEmpty else {
                throw ScenarioErrors([SpecError(file: file, line: 0, column: 0, message: "the scenario has nobody to replicate")])
            }
            // A generous bound: a round of a group may draw people without devices.
            let limit = (deviceCount + units.count) * 1000
            var step = 0
            while scenario.devices.count < deviceCount, step < limit {
                let unit = units[step % units.count]
                let replica = step / units.count
                step += 1
                let instance = unit.instance + replica * count(of: unit.source)
                add(unit.source, instance: instance, replica: replica, seed: seed, duration: duration,
                    maximumDevices: deviceCount - scenario.devices.count, to: &scenario, addresses: &addresses, errors: &errors)
            }
            if scenario.devices.count < deviceCount {
                errors.append(SpecError(file: file, line: 0, column: 0,
                                        message: "cannot reach \(deviceCount) devices: the scenario's people wear no devices"))
            }
        } else {
            for unit in units {
                add(unit.source, instance: unit.instance, replica: 0, seed: seed, duration: duration, maximumDevices: .max,
                    to: &scenario, addresses: &addresses, errors: &errors)
            }
        }

        var names: [String: Int] = [:]
        for person in scenario.people {
            if names[person.name] != nil {
                errors.append(SpecError(file: file, line: 0, column: 0,
                                        message: "two people are named '\(person.name)'; rename a persona or group"))
            }
            names[person.name, default: 0] += 1
        }

        let faultsSeed = ScenarioRandom.mix(seed, "faults")
        for (index, fault) in faults.enumerated() {
            let targets = scenario.devices.indices.filter { matches(fault, scenario.devices[$0], scenario.people[scenario.devices[$0].person]) }
            scenario.faults.append(FaultSpec(kind: fault.kind, timing: fault.timing, duration: fault.duration, devices: targets,
                                             target: fault.target, seed: ScenarioRandom.mix(faultsSeed, UInt64(index)),
                                             line: fault.line))
        }
        if !errors.isEmpty { throw ScenarioErrors(errors) }
        return scenario
    }

    /// How many devices ``resolve(seed:devices:duration:)`` gives without `devices` (group
    /// members count by what they draw, so this resolves).
    public func deviceCount(seed: UInt64? = nil) throws(ScenarioErrors) -> Int {
        try resolve(seed: seed).devices.count
    }

    enum Source {
        case persona(Int)
        case group(Int)
    }

    func count(of source: Source) -> Int {
        switch source {
        case let .persona(index): personas[index].count
        case let .group(index): groups[index].count
        }
    }

    // MARK: - People

    private func add(_ source: Source, instance: Int, replica: Int, seed: UInt64, duration: Double, maximumDevices: Int,
                     to scenario: inout Scenario, addresses: inout [BDAddress: Int], errors: inout [SpecError]) {
        let sourceName: String, total: Int
        switch source {
        case let .persona(index): sourceName = personas[index].name; total = personas[index].count
        case let .group(index): sourceName = groups[index].name; total = groups[index].count
        }
        let personSeed = ScenarioRandom.mix(ScenarioRandom.mix(seed, sourceName), UInt64(instance))
        let template: PersonaTemplate, group: String?
        switch source {
        case let .persona(index):
            template = personas[index]
            group = nil
        case let .group(index):
            let mix = groups[index].mix
            let choice = pick(weights: mix.map(\.weight), ScenarioRandom.uniform(ScenarioRandom.mix(personSeed, "persona"), 0))
            template = personas[mix[choice].persona]
            group = groups[index].name
        }
        let isPersonaSingleton = group == nil && total == 1 && instance == 0
        let name = isPersonaSingleton ? sourceName : "\(sourceName)-\(instance + 1)"
        if maximumDevices != .max, template.insoles == nil, template.wristband == nil { return }

        func draw(_ varied: Varied?, _ path: String) -> Double? { varied?.value(ScenarioRandom.mix(personSeed, path)) }
        var person = PersonaSpec(name: name, template: template.name, group: group, instance: instance, seed: personSeed)
        person.age = draw(template.age, "age") ?? 35
        person.sex = template.sex ?? (ScenarioRandom.uniform(ScenarioRandom.mix(personSeed, "sex"), 0) < 0.5 ? .female : .male)
        person.height = draw(template.height, "height") ?? 1.70
        person.weight = draw(template.weight, "weight") ?? 70

        let heart = template.heart
        person.heart = HeartSpec(
            restingHeartRate: draw(heart.resting, "heart.resting"), maximumHeartRate: draw(heart.maximum, "heart.max"),
            fitness: draw(heart.fitness, "heart.fitness") ?? 0.5,
            lowFrequencyPower: draw(heart.lowFrequencyPower, "heart.hrv.lf"),
            highFrequencyPower: draw(heart.highFrequencyPower, "heart.hrv.hf"),
            lowFrequency: draw(heart.lowFrequency, "heart.hrv.lf_frequency"),
            respirationRate: draw(heart.respiration, "heart.hrv.respiration"))
        // Drawn independently, resting and maximum could cross; keep a 20 bpm reserve.
        if let resting = person.heart.restingHeartRate, let maximum = person.heart.maximumHeartRate, maximum < resting + 20 {
            person.heart.maximumHeartRate = resting + 20
        }

        let gait = template.gait
        person.gait = GaitStyleSpec(
            cadence: draw(gait.cadence, "gait.cadence"), strideLength: draw(gait.strideLength, "gait.stride_length"),
            stanceShare: draw(gait.stanceShare, "gait.stance_share"), asymmetry: draw(gait.asymmetry, "gait.asymmetry") ?? 0,
            variability: draw(gait.variability, "gait.variability"), dfaAlpha: draw(gait.dfaAlpha, "gait.dfa_alpha"),
            strike: gait.strike, shuffle: draw(gait.shuffle, "gait.shuffle") ?? 0,
            freezing: gait.freezing.map {
                .init(perMinute: draw($0.rate, "gait.freezing.rate") ?? 0, meanDuration: draw($0.duration, "gait.freezing.duration") ?? 3)
            },
            limp: gait.limp.map { .init(side: $0.side, severity: draw($0.severity, "gait.limp.severity") ?? 0.3) })

        var segments: [SegmentTemplate] = []
        if !template.timelines.isEmpty {
            let choice = pick(weights: template.timelines.map(\.weight),
                              ScenarioRandom.uniform(ScenarioRandom.mix(personSeed, "activities"), 0))
            segments = template.timelines[choice].segments
        }
        person.activity = layout(segments, personSeed: personSeed, duration: duration)
        person.replay = template.replay

        let personIndex = scenario.people.count
        var roles: [(DeviceSpec.Role, DeviceTemplate)] = []
        if let insoles = template.insoles { roles += insoles.roles.map { ($0, insoles) } }
        if let wristband = template.wristband { roles.append((.wristband, wristband)) }
        for (role, device) in roles.prefix(maximumDevices) {
            let deviceSeed = ScenarioRandom.mix(personSeed, role.rawValue)
            func drawDevice(_ varied: Varied?, _ path: String) -> Double? { varied?.value(ScenarioRandom.mix(deviceSeed, path)) }
            let firmwareTemplate = device.firmware
            var address: BDAddress
            if replica == 0, let fixed = firmwareTemplate.addresses[role] {
                address = fixed.address
                if let other = addresses[address] {
                    errors.append(SpecError(file: file, line: fixed.line, column: fixed.column,
                                            message: "address \(address) is already used by \(scenario.people[scenario.devices[other].person].name)"))
                }
            } else {
                var attempt: UInt64 = 0
                repeat {
                    address = Self.staticRandomAddress(ScenarioRandom.mix(ScenarioRandom.mix(deviceSeed, "address"), attempt))
                    attempt += 1
                } while addresses[address] != nil
            }
            addresses[address] = scenario.devices.count
            let suffix = String(address.rawValue & 0xFFFF, radix: 16, uppercase: true)
            let padded = String(repeating: "0", count: 4 - suffix.count) + suffix
            let defaultName: String = switch role {
            case .leftInsole: "Gaitway Insole L \(padded)"
            case .rightInsole: "Gaitway Insole R \(padded)"
            case .wristband: "Gaitway Band \(padded)"
            }
            let firmware = FirmwareSpec(
                sampleRate: drawDevice(firmwareTemplate.sampleRate, "firmware.sample_rate") ?? (device.kind == .insoles ? 100 : 25),
                framesPerNotification: firmwareTemplate.framesPerNotification,
                mtu: firmwareTemplate.mtu ?? 247,
                connectionInterval: drawDevice(firmwareTemplate.connectionInterval, "firmware.connection_interval") ?? 0.030,
                advertisingInterval: drawDevice(firmwareTemplate.advertisingInterval, "firmware.advertising_interval") ?? 0.100,
                clockDriftPPM: drawDevice(firmwareTemplate.clockDrift, "firmware.clock_drift") ?? 0,
                jitter: drawDevice(firmwareTemplate.jitter, "firmware.jitter") ?? 0,
                batteryCapacity: drawDevice(firmwareTemplate.batteryCapacity, "firmware.battery.capacity") ?? (device.kind == .insoles ? 120 : 200),
                batteryLevel: drawDevice(firmwareTemplate.batteryLevel, "firmware.battery.level") ?? 100,
                address: address,
                name: (replica == 0 ? firmwareTemplate.names[role] : nil) ?? defaultName)
            person.devices.append(scenario.devices.count)
            scenario.devices.append(DeviceSpec(person: personIndex, role: role, cells: device.cells, imu: device.imu,
                                               specs: device.specs, firmware: firmware, seed: deviceSeed))
        }
        scenario.people.append(person)
    }

    /// A static random address (Core Specification v5.4, Vol 6, Part B, §1.3.2.1): the two most
    /// significant bits 1, the other 46 bits neither all 0 nor all 1.
    static func staticRandomAddress(_ bits: UInt64) -> BDAddress {
        var random = bits & 0x3FFF_FFFF_FFFF
        if random == 0 || random == 0x3FFF_FFFF_FFFF { random ^= 1 }
        return BDAddress(rawValue: 0xC000_0000_0000 | random)
    }

    /// The index whose cumulative weight share first exceeds `u` (in 0..<1).
    func pick(weights: [Double], _ u: Double) -> Int {
        let total = weights.reduce(0, +)
        guard total > 0 else { return 0 }
        var cumulative = 0.0
        for (index, weight) in weights.enumerated() {
            cumulative += weight / total
            if u < cumulative, weight > 0 { return index }
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }

    // MARK: - Timelines

    /// Segments in seconds covering `0..<duration`: gaps become rest, a varied `for` is cut short
    /// by a following `at`, the last segment without an end runs to the end, and an empty
    /// timeline is one walk at the preferred speed.
    func layout(_ segments: [SegmentTemplate], personSeed: UInt64, duration: Double) -> [ActivitySegment] {
        guard !segments.isEmpty else { return [ActivitySegment(kind: .walk(speed: nil), start: 0, end: duration)] }
        var result: [ActivitySegment] = []
        var cursor = 0.0
        for (index, segment) in segments.enumerated() {
            let stream = ScenarioRandom.mix(personSeed, "activity[\(index)]")
            let start = max(segment.at ?? cursor, cursor)
            guard start < duration else { break }
            if start > cursor { result.append(ActivitySegment(kind: .rest, start: cursor, end: start)) }
            let nextAt = index + 1 < segments.count ? segments[index + 1].at : nil
            var end = segment.until
                ?? segment.length.map { start + $0.value(ScenarioRandom.mix(stream, "for")) }
                ?? nextAt ?? duration
            if let nextAt { end = min(end, nextAt) }
            end = min(end, duration)
            let speed = segment.speed?.value(ScenarioRandom.mix(stream, "speed"))
            let kind: ActivitySegment.Kind = switch segment.kind {
            case .rest: .rest
            case .stand: .stand
            case .walk: .walk(speed: speed)
            case .run: .run(speed: speed ?? 3.0)
            case .sleep: .sleep
            }
            if end > start { result.append(ActivitySegment(kind: kind, start: start, end: end, transition: segment.transition ?? 3)) }
            cursor = max(cursor, end)
        }
        if cursor < duration { result.append(ActivitySegment(kind: .rest, start: cursor, end: duration)) }
        return result
    }

    // MARK: - Faults

    func matches(_ fault: FaultTemplate, _ device: DeviceSpec, _ person: PersonaSpec) -> Bool {
        if let name = fault.targetName, person.template != name, person.group != name { return false }
        switch fault.targetRole {
        case "left": if device.role != .leftInsole { return false }
        case "right": if device.role != .rightInsole { return false }
        case "insoles": if !device.isInsole { return false }
        case "wristband": if device.role != .wristband { return false }
        default: break
        }
        switch fault.kind {
        case let .stuckCell(cell), let .saturatedCell(cell): return device.isInsole && cell < device.cells
        case .ectopicBeats: return device.role == .wristband
        default: return true
        }
    }
}
