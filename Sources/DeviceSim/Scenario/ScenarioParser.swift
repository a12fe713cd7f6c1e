import BLEWire
import Foundation
import ProtocolSpecs

/// Turns a scenario file's YAML nodes into a ``ScenarioTemplate``, collecting every error.
struct ScenarioParser {
    var reader = ScenarioValueReader()
    let specNames: [String]
    let locator: ScenarioDataLocator

    static let topKeys = ["name", "description", "seed", "duration", "start", "personas", "groups", "faults"]
    static let personaKeys = ["name", "count", "template", "age", "sex", "height", "weight", "heart", "gait", "devices",
                              "activity", "activities", "replay"]
    static let heartKeys = ["resting", "max", "fitness", "hrv"]
    static let hrvKeys = ["lf", "hf", "lf_frequency", "respiration"]
    static let gaitKeys = ["cadence", "stride_length", "stance_share", "asymmetry", "variability", "dfa_alpha", "strike",
                           "shuffle", "freezing", "limp"]
    static let deviceKeys = ["kind", "cells", "imu", "side", "specs", "firmware"]
    static let firmwareKeys = ["sample_rate", "frames_per_notification", "mtu", "connection_interval",
                               "advertising_interval", "clock_drift", "jitter", "battery", "address", "name"]
    static let segmentKeys = ["do", "speed", "at", "for", "until", "transition"]
    static let faultKinds = ["disconnect", "packet_loss", "corrupt", "truncate", "duplicate", "reboot", "clock_jump",
                             "stuck_cell", "saturated_cell", "ectopic_beats"]
    static let defaultSpecs: [DeviceTemplate.Kind: [String]] = [
        .insoles: ["gaitway-insole", "rsc-measurement", "battery-level"],
        .wristband: ["heart-rate-measurement", "gaitway-ppg", "plx-continuous-measurement", "temperature-measurement",
                     "battery-level"],
    ]
    static let maximumDuration = 30.0 * 86400

    // MARK: - Top level

    mutating func parse(_ root: SpecNode) -> ScenarioTemplate? {
        guard let top = reader.fields(root, Self.topKeys, in: "a scenario") else { return nil }
        var name: String?
        if let node = top["name"] {
            name = reader.text(node, "name")
            if let text = name, text.isEmpty || !text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                reader.report(node.error("scenario name '\(text)' must be letters, digits, '-' and '_'"))
            }
        } else {
            reader.report(root.error("a scenario needs a 'name'"))
        }
        let description = top["description"].flatMap { reader.text($0, "description") }
        var seed: UInt64 = 0
        if let node = top["seed"], let text = reader.text(node, "seed") {
            if let value = ScenarioParser.parseSeed(text) { seed = value } else {
                reader.report(node.error("seed must be a whole number 0...18446744073709551615 (or 0x hex), not '\(text)'"))
            }
        }
        let duration = top["duration"].flatMap { reader.time($0, "duration", 1...Self.maximumDuration) } ?? 300
        var start: Date?
        if let node = top["start"], let text = reader.text(node, "start") {
            start = ScenarioParser.parseStart(text)
            if start == nil {
                reader.report(node.error("start must be an ISO 8601 UTC time such as 2025-03-01T08:00:00Z, not '\(text)'"))
            }
        }

        var personas: [PersonaTemplate] = []
        if let node = top["personas"] {
            for element in reader.sequence(node, "personas") ?? [] {
                if let persona = parsePersona(element) { personas.append(persona) }
            }
        } else {
            reader.report(root.error("a scenario needs 'personas' (a list)"))
        }
        var seen: [String: Int] = [:]
        for persona in personas {
            if let line = seen[persona.name] {
                reader.report(SpecError(file: root.file, line: persona.line, column: persona.column,
                                        message: "persona '\(persona.name)' is already defined on line \(line)"))
            }
            seen[persona.name] = persona.line
        }
        var groups: [GroupTemplate] = []
        for element in top["groups"].flatMap({ reader.sequence($0, "groups") }) ?? [] {
            if let group = parseGroup(element, personas: personas, taken: &seen) { groups.append(group) }
        }
        if !personas.isEmpty, personas.allSatisfy(\.isTemplate), groups.isEmpty {
            reader.report(root.error("every persona is a template and no group uses them: the scenario has nobody in it"))
        }
        var faults: [FaultTemplate] = []
        for element in top["faults"].flatMap({ reader.sequence($0, "faults") }) ?? [] {
            if let fault = parseFault(element, personas: personas, groups: groups) { faults.append(fault) }
        }
        guard let name, reader.errors.isEmpty else { return nil }
        return ScenarioTemplate(name: name, description: description, seed: seed, duration: duration, start: start,
                                file: root.file, personas: personas, groups: groups, faults: faults)
    }

    static func parseSeed(_ text: String) -> UInt64? {
        let body = text.replacingOccurrences(of: "_", with: "")
        if body.lowercased().hasPrefix("0x") { return UInt64(body.dropFirst(2), radix: 16) }
        return UInt64(body)
    }

    static func parseStart(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    // MARK: - Personas

    mutating func parsePersona(_ node: SpecNode) -> PersonaTemplate? {
        guard let fields = reader.fields(node, Self.personaKeys, in: "a persona") else { return nil }
        guard let nameNode = fields["name"] else {
            reader.report(node.error("a persona needs a 'name'"))
            return nil
        }
        guard let name = reader.text(nameNode, "name") else { return nil }
        if name.isEmpty || name == "all" || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            reader.report(nameNode.error("persona name '\(name)' must be letters, digits, '-' and '_' (and not 'all')"))
        }
        let count = fields["count"].flatMap { reader.integer($0, "count", 1...100_000) } ?? 1
        let isTemplate = fields["template"].flatMap { reader.bool($0, "template") } ?? false
        let age = fields["age"].flatMap { reader.varied($0, "age", 5...110, unit: "years") }
        var sex: PersonaSpec.Sex? = .female
        if let sexNode = fields["sex"], let text = reader.choice(sexNode, "sex", ["female", "male", "any"]) {
            sex = PersonaSpec.Sex(rawValue: text)
        }
        let height = fields["height"].flatMap { reader.varied($0, "height", 0.5...2.5, unit: "m") }
        let weight = fields["weight"].flatMap { reader.varied($0, "weight", 15...300, unit: "kg") }
        let heart = fields["heart"].flatMap { parseHeart($0) } ?? HeartTemplate()
        let gait = fields["gait"].flatMap { parseGait($0) } ?? GaitTemplate()

        var insoles: DeviceTemplate?, wristband: DeviceTemplate?
        for element in fields["devices"].flatMap({ reader.sequence($0, "devices") }) ?? [] {
            guard let device = parseDevice(element, count: count) else { continue }
            switch device.kind {
            case .insoles where insoles != nil, .wristband where wristband != nil:
                reader.report(element.error("persona '\(name)' already wears \(device.kind == .insoles ? "an insole pair" : "a wristband") (at most one insole pair and one wristband each)"))
            case .insoles: insoles = device
            case .wristband: wristband = device
            }
        }

        var timelines: [(weight: Double, segments: [SegmentTemplate])] = []
        if let activityNode = fields["activity"] {
            if let activitiesKey = fields.key("activities") {
                reader.report(activitiesKey.error("give either 'activity' (one timeline) or 'activities' (alternatives), not both"))
            }
            if let segments = parseTimeline(activityNode) { timelines.append((1, segments)) }
        } else if let activitiesNode = fields["activities"] {
            for element in reader.sequence(activitiesNode, "activities") ?? [] {
                guard let entry = reader.fields(element, ["weight", "timeline"], in: "an activities alternative") else { continue }
                let weight = entry["weight"].flatMap { reader.number($0, "weight", 0...1_000_000) } ?? 1
                guard let timelineNode = entry["timeline"] else {
                    reader.report(element.error("an activities alternative needs a 'timeline'"))
                    continue
                }
                if let segments = parseTimeline(timelineNode) { timelines.append((weight, segments)) }
            }
            if timelines.isEmpty || timelines.allSatisfy({ $0.weight == 0 }) {
                reader.report(activitiesNode.error("'activities' needs at least one timeline with a weight above 0"))
            }
        }

        var replay: [ReplaySpec] = []
        if let replayNode = fields["replay"] {
            replay = parseReplay(replayNode, insoles: insoles, wristband: wristband)
        }

        return PersonaTemplate(
            name: name, line: nameNode.line, column: nameNode.column, count: count, isTemplate: isTemplate,
            age: age ?? Varied(form: .fixed(35), range: 5...110), sex: sex,
            height: height ?? Varied(form: .fixed(1.70), range: 0.5...2.5),
            weight: weight ?? Varied(form: .fixed(70), range: 15...300),
            heart: heart, gait: gait, insoles: insoles, wristband: wristband, timelines: timelines, replay: replay)
    }

    mutating func parseHeart(_ node: SpecNode) -> HeartTemplate? {
        guard let fields = reader.fields(node, Self.heartKeys, in: "heart") else { return nil }
        var heart = HeartTemplate()
        heart.resting = fields["resting"].flatMap { reader.varied($0, "resting", 25...120, unit: "bpm") }
        heart.maximum = fields["max"].flatMap { reader.varied($0, "max", 100...230, unit: "bpm") }
        heart.fitness = fields["fitness"].flatMap { reader.varied($0, "fitness", 0...1) }
        if case let .fixed(resting)? = heart.resting?.form, case let .fixed(maximum)? = heart.maximum?.form,
           maximum < resting + 20, let maxNode = fields["max"] {
            reader.report(maxNode.error("max \(ScenarioValueReader.format(maximum)) bpm must be at least 20 bpm above resting (\(ScenarioValueReader.format(resting)) bpm)"))
        }
        if let hrvNode = fields["hrv"], let hrv = reader.fields(hrvNode, Self.hrvKeys, in: "hrv") {
            heart.lowFrequencyPower = hrv["lf"].flatMap { reader.varied($0, "lf", 0...100_000, unit: "ms²") }
            heart.highFrequencyPower = hrv["hf"].flatMap { reader.varied($0, "hf", 0...100_000, unit: "ms²") }
            heart.lowFrequency = hrv["lf_frequency"].flatMap { reader.varied($0, "lf_frequency", 0.04...0.15, unit: "Hz") }
            heart.respiration = hrv["respiration"].flatMap { reader.varied($0, "respiration", 0.1...0.6, unit: "Hz") }
        }
        return heart
    }

    mutating func parseGait(_ node: SpecNode) -> GaitTemplate? {
        guard let fields = reader.fields(node, Self.gaitKeys, in: "gait") else { return nil }
        var gait = GaitTemplate()
        gait.cadence = fields["cadence"].flatMap { reader.varied($0, "cadence", 20...250, unit: "steps/min") }
        gait.strideLength = fields["stride_length"].flatMap { reader.varied($0, "stride_length", 0.1...3, unit: "m") }
        gait.stanceShare = fields["stance_share"].flatMap { reader.varied($0, "stance_share", 0.3...0.9) }
        gait.asymmetry = fields["asymmetry"].flatMap { reader.varied($0, "asymmetry", -0.5...0.5) }
        gait.variability = fields["variability"].flatMap { reader.varied($0, "variability", 0...0.5) }
        gait.dfaAlpha = fields["dfa_alpha"].flatMap { reader.varied($0, "dfa_alpha", 0.2...1.5) }
        if let strikeNode = fields["strike"],
           let text = reader.choice(strikeNode, "strike", GaitStyleSpec.Strike.allCases.map(\.rawValue)) {
            gait.strike = GaitStyleSpec.Strike(rawValue: text) ?? .heel
        }
        gait.shuffle = fields["shuffle"].flatMap { reader.varied($0, "shuffle", 0...1) }
        if let freezingNode = fields["freezing"], let freezing = reader.fields(freezingNode, ["rate", "duration"], in: "freezing") {
            let rate = freezing["rate"].flatMap {
                reader.varied($0, "freezing rate", 0...10, unit: "per minute",
                              parse: { ScenarioValueReader.ratePerSecond($0).map { $0 * 60 } }, expected: "a rate (per minute, or 3/min, 20/h)")
            }
            let duration = freezing["duration"].flatMap {
                reader.varied($0, "freezing duration", 0.5...120, unit: "s", parse: ScenarioValueReader.duration, expected: "a duration")
            }
            if freezing["rate"] == nil { reader.report(freezingNode.error("freezing needs a 'rate' (episodes per minute of walking)")) }
            if let rate {
                gait.freezing = (rate, duration ?? Varied(form: .fixed(3), range: 0.5...120))
            }
        }
        if let limpNode = fields["limp"], let limp = reader.fields(limpNode, ["side", "severity"], in: "limp") {
            var side: GaitStyleSpec.Side?
            if let sideNode = limp["side"] {
                side = reader.choice(sideNode, "side", ["left", "right"]).flatMap(GaitStyleSpec.Side.init(rawValue:))
            } else {
                reader.report(limpNode.error("limp needs a 'side' (left or right)"))
            }
            let severity = limp["severity"].flatMap { reader.varied($0, "severity", 0...1) } ?? Varied(form: .fixed(0.3), range: 0...1)
            if let side { gait.limp = (side, severity) }
        }
        return gait
    }

    // MARK: - Devices

    mutating func parseDevice(_ node: SpecNode, count: Int) -> DeviceTemplate? {
        guard let fields = reader.fields(node, Self.deviceKeys, in: "a device") else { return nil }
        guard let kindNode = fields["kind"] else {
            reader.report(node.error("a device needs a 'kind' (insoles or wristband)"))
            return nil
        }
        guard let kind = reader.choice(kindNode, "kind", DeviceTemplate.Kind.allCases.map(\.rawValue))
            .flatMap(DeviceTemplate.Kind.init(rawValue:)) else { return nil }
        var cells = 0, imu = false
        var roles: [DeviceSpec.Role] = kind == .insoles ? [.leftInsole, .rightInsole] : [.wristband]
        if kind == .insoles {
            if let cellsNode = fields["cells"], let value = reader.integer(cellsNode, "cells", 0...64) {
                if value == 8 || value == 16 { cells = value } else { reader.report(cellsNode.error("cells must be 8 or 16, not \(value)")) }
            } else {
                cells = 8
            }
            imu = fields["imu"].flatMap { reader.bool($0, "imu") } ?? true
            if let sideNode = fields["side"], let side = reader.choice(sideNode, "side", ["left", "right", "both"]) {
                roles = side == "left" ? [.leftInsole] : side == "right" ? [.rightInsole] : roles
            }
        } else {
            for key in ["cells", "imu", "side"] {
                if let keyNode = fields.key(key) { reader.report(keyNode.error("'\(key)' applies to insoles, not to a wristband")) }
            }
        }
        var specs = Self.defaultSpecs[kind] ?? []
        if let specsNode = fields["specs"] {
            specs = []
            let elements = specsNode.isScalar ? [specsNode] : (reader.sequence(specsNode, "specs") ?? [])
            for element in elements {
                guard let name = reader.text(element, "spec name") else { continue }
                if specNames.contains(name) {
                    specs.append(name)
                } else {
                    let hint = ScenarioValueReader.suggestion(for: name, in: specNames).map { "did you mean '\($0)'? " } ?? ""
                    reader.report(element.error("unknown spec '\(name)' (\(hint)the catalog has: \(specNames.joined(separator: ", ")))"))
                }
            }
        }
        var firmware = FirmwareTemplate()
        if let firmwareNode = fields["firmware"] {
            firmware = parseFirmware(firmwareNode, kind: kind, count: count) ?? firmware
        }
        return DeviceTemplate(kind: kind, cells: cells, imu: imu, roles: roles, specs: specs, firmware: firmware, line: node.line)
    }

    mutating func parseFirmware(_ node: SpecNode, kind: DeviceTemplate.Kind, count: Int) -> FirmwareTemplate? {
        guard let fields = reader.fields(node, Self.firmwareKeys, in: "firmware") else { return nil }
        var firmware = FirmwareTemplate()
        firmware.sampleRate = fields["sample_rate"].flatMap { reader.varied($0, "sample_rate", 1...1000, unit: "Hz") }
        if let framesNode = fields["frames_per_notification"], reader.text(framesNode, "frames_per_notification") != "auto" {
            firmware.framesPerNotification = reader.integer(framesNode, "frames_per_notification", 1...255)
        }
        firmware.mtu = fields["mtu"].flatMap { reader.integer($0, "mtu", 23...517, unit: "bytes") }
        // Core Specification v5.4, Vol 6, Part B, §4.5.1 (connInterval 7.5 ms...4 s) and §4.4.2.2.1
        // (advInterval 20 ms...10.24 s for legacy advertising).
        firmware.connectionInterval = fields["connection_interval"]
            .flatMap { reader.varied($0, "connection_interval", 7.5...4000, unit: "ms") }.map { $0.scaled(by: 0.001) }
        firmware.advertisingInterval = fields["advertising_interval"]
            .flatMap { reader.varied($0, "advertising_interval", 20...10240, unit: "ms") }.map { $0.scaled(by: 0.001) }
        firmware.clockDrift = fields["clock_drift"].flatMap { reader.varied($0, "clock_drift", -1000...1000, unit: "ppm") }
        firmware.jitter = fields["jitter"].flatMap { reader.varied($0, "jitter", 0...100, unit: "ms") }.map { $0.scaled(by: 0.001) }
        if let batteryNode = fields["battery"], let battery = reader.fields(batteryNode, ["capacity", "level"], in: "battery") {
            firmware.batteryCapacity = battery["capacity"].flatMap { reader.varied($0, "capacity", 1...10000, unit: "mAh") }
            firmware.batteryLevel = battery["level"].flatMap { reader.varied($0, "level", 0...100, unit: "%") }
        }
        let roles: [DeviceSpec.Role] = kind == .insoles ? [.leftInsole, .rightInsole] : [.wristband]
        // An insole pair gives `{left: ..., right: ...}`; a wristband a single value.
        func perRole(_ key: String) -> [(DeviceSpec.Role, SpecNode)] {
            guard let valueNode = fields[key] else { return [] }
            if kind == .wristband { return [(.wristband, valueNode)] }
            guard let sides = reader.fields(valueNode, ["left", "right"], in: "\(key) of an insole pair") else { return [] }
            return roles.compactMap { role in sides[role.rawValue].map { (role, $0) } }
        }
        for (role, valueNode) in perRole("address") {
            guard let text = reader.text(valueNode, "address") else { continue }
            guard let address = BDAddress(text) else {
                reader.report(valueNode.error("address '\(text)' is not AA:BB:CC:DD:EE:FF"))
                continue
            }
            if count > 1 {
                reader.report(valueNode.error("a fixed address on a persona with count \(count) would repeat; leave it out to derive one per person from the seed"))
                continue
            }
            firmware.addresses[role] = (address, valueNode.line, valueNode.column)
        }
        for (role, valueNode) in perRole("name") {
            guard let text = reader.text(valueNode, "name") else { continue }
            if text.isEmpty || text.utf8.count > 248 {
                reader.report(valueNode.error("a device name is 1...248 bytes of UTF-8 (Core Specification Vol 3, Part C, §12.1)"))
            } else {
                firmware.names[role] = text
            }
        }
        return firmware
    }

    // MARK: - Timelines

    mutating func parseTimeline(_ node: SpecNode) -> [SegmentTemplate]? {
        guard let elements = reader.sequence(node, "a timeline") else { return nil }
        let errorsBefore = reader.errors.count
        var segments: [(segment: SegmentTemplate, node: SpecNode, fields: ScenarioFields)] = []
        for element in elements {
            guard let fields = reader.fields(element, Self.segmentKeys, in: "an activity segment") else { continue }
            guard let doNode = fields["do"] else {
                reader.report(element.error("an activity segment needs 'do' (rest, stand, walk, run or sleep)"))
                continue
            }
            guard let kind = reader.choice(doNode, "do", SegmentTemplate.Kind.allCases.map(\.rawValue))
                .flatMap(SegmentTemplate.Kind.init(rawValue:)) else { continue }
            var segment = SegmentTemplate(kind: kind, line: element.line)
            if let speedNode = fields["speed"] {
                switch kind {
                case .walk: segment.speed = reader.varied(speedNode, "walking speed", 0.1...3, unit: "m/s")
                case .run: segment.speed = reader.varied(speedNode, "running speed", 1...12, unit: "m/s")
                default: reader.report(speedNode.error("'speed' applies to walk and run, not to \(kind.rawValue)"))
                }
            }
            segment.at = fields["at"].flatMap { reader.time($0, "at", 0...Self.maximumDuration) }
            segment.length = fields["for"].flatMap {
                reader.varied($0, "for", 0.1...Self.maximumDuration, unit: "s", parse: ScenarioValueReader.duration, expected: "a duration")
            }
            segment.until = fields["until"].flatMap { reader.time($0, "until", 0...Self.maximumDuration) }
            segment.transition = fields["transition"].flatMap { reader.time($0, "transition", 0...300) }
            if fields.has("for"), let untilKey = fields.key("until") {
                reader.report(untilKey.error("give either 'for' (a duration) or 'until' (an end time), not both"))
            }
            segments.append((segment, element, fields))
        }
        guard reader.errors.count == errorsBefore else { return nil }

        // Order and overlap, as far as the file fixes the times (a varied `for` counts with its smallest value).
        var previous: (start: Double?, end: Double?, kind: String)?
        for (index, entry) in segments.enumerated() {
            let segment = entry.segment
            let start = segment.at ?? previous?.end ?? (previous == nil ? 0 : nil)
            if let at = segment.at, let atNode = entry.fields["at"], let previous {
                if let previousStart = previous.start, at < previousStart {
                    reader.report(atNode.error("segments out of order: this one starts at \(ScenarioValueReader.format(at)) s, before the previous one (\(previous.kind) from \(ScenarioValueReader.format(previousStart)) s)"))
                } else if let previousEnd = previous.end, at < previousEnd {
                    reader.report(atNode.error("this segment (at \(ScenarioValueReader.format(at)) s) overlaps the previous one (\(previous.kind) until \(ScenarioValueReader.format(previousEnd)) s)"))
                }
            }
            var end: Double?
            if let until = segment.until {
                if let start, until <= start, let untilNode = entry.fields["until"] {
                    reader.report(untilNode.error("until \(ScenarioValueReader.format(until)) s is not after the segment's start (\(ScenarioValueReader.format(start)) s)"))
                }
                end = until
            } else if let length = segment.length {
                end = start.map { $0 + length.lowest }
            } else if index + 1 < segments.count, segments[index + 1].segment.at == nil {
                reader.report(entry.node.error("this \(segment.kind.rawValue) segment has no 'for' or 'until' but another segment follows it without 'at'"))
            }
            previous = (start, end, segment.kind.rawValue)
        }
        guard reader.errors.count == errorsBefore else { return nil }
        return segments.map(\.segment)
    }

    // MARK: - Replay

    mutating func parseReplay(_ node: SpecNode, insoles: DeviceTemplate?, wristband: DeviceTemplate?) -> [ReplaySpec] {
        guard let fields = reader.fields(node, ["insoles", "rr", "ppg"], in: "replay") else { return [] }
        var result: [ReplaySpec] = []
        for (name, keyNode, valueNode) in fields.entries {
            let allowed = name == "ppg" ? ["file", "loop", "offset", "column", "sample_rate"] : ["file", "loop", "offset"]
            guard let entry = reader.fields(valueNode, allowed, in: "replay \(name)") else { continue }
            switch name {
            case "insoles":
                if insoles == nil {
                    reader.report(keyNode.error("replaying insole data needs an insole pair in 'devices'"))
                } else if insoles?.cells != 8 {
                    reader.report(keyNode.error("gaitpdb recordings have 8 cells per foot; these insoles have \(insoles?.cells ?? 0)"))
                }
            default:
                if wristband == nil { reader.report(keyNode.error("replaying \(name == "rr" ? "RR intervals" : "PPG") needs a wristband in 'devices'")) }
            }
            guard let fileNode = entry["file"] else {
                reader.report(valueNode.error("replay \(name) needs a 'file'"))
                continue
            }
            guard let declared = reader.text(fileNode, "file") else { continue }
            let loop = entry["loop"].flatMap { reader.bool($0, "loop") } ?? true
            let offset = entry["offset"].flatMap { reader.time($0, "offset", 0...Self.maximumDuration) } ?? 0
            var kind = ReplaySpec.Kind.gaitpdb
            if name == "rr" { kind = .rrIntervals }
            if name == "ppg" {
                let column = entry["column"].flatMap { reader.text($0, "column") } ?? "ppg"
                let rate = entry["sample_rate"].flatMap { reader.number($0, "sample_rate", 1...10000, unit: "Hz") }
                kind = .ppg(column: column, sampleRate: rate)
            }
            guard let path = locator.find(declared) else {
                reader.report(fileNode.error("replay file '\(declared)' not found (looked in: \(locator.searchDirectories.joined(separator: ", ")))"))
                continue
            }
            // The recording's own mistakes point into the recording.
            let checked = reader.attempt { () throws(SpecError) -> Bool in
                switch kind {
                case .gaitpdb: try ReplaySpec.checkGaitpdb(path: path)
                case .rrIntervals: _ = try ReplaySpec.readRRIntervals(path: path)
                case let .ppg(column, rate): _ = try ReplaySpec.readPPG(path: path, column: column, sampleRate: rate)
                }
                return true
            }
            if checked == true {
                result.append(ReplaySpec(kind: kind, path: path, declaredPath: declared, loop: loop, offset: offset))
            }
        }
        return result
    }

    // MARK: - Groups

    mutating func parseGroup(_ node: SpecNode, personas: [PersonaTemplate], taken: inout [String: Int]) -> GroupTemplate? {
        guard let fields = reader.fields(node, ["name", "count", "mix"], in: "a group") else { return nil }
        guard let nameNode = fields["name"], let name = reader.text(nameNode, "name") else {
            if fields["name"] == nil { reader.report(node.error("a group needs a 'name'")) }
            return nil
        }
        if let line = taken[name] {
            reader.report(nameNode.error("'\(name)' is already the name of a persona or group (line \(line))"))
        }
        taken[name] = nameNode.line
        guard let countNode = fields["count"] else {
            reader.report(node.error("a group needs a 'count' (how many people)"))
            return nil
        }
        let count = reader.integer(countNode, "count", 1...100_000)
        guard let mixNode = fields["mix"] else {
            reader.report(node.error("a group needs a 'mix' (personas and their weights)"))
            return nil
        }
        var mix: [(persona: Int, weight: Double)] = []
        let elements = reader.sequence(mixNode, "mix") ?? []
        for element in elements {
            guard let entry = reader.fields(element, ["persona", "weight"], in: "a mix entry") else { continue }
            guard let personaNode = entry["persona"], let personaName = reader.text(personaNode, "persona") else {
                if entry["persona"] == nil { reader.report(element.error("a mix entry needs a 'persona'")) }
                continue
            }
            let weight = entry["weight"].flatMap { reader.number($0, "weight", 0...1_000_000) } ?? 1
            guard let index = personas.firstIndex(where: { $0.name == personaName }) else {
                reader.report(personaNode.error(unknownPersona(personaName, personas: personas, groups: [])))
                continue
            }
            mix.append((index, weight))
        }
        guard let count, !mix.isEmpty else {
            if elements.isEmpty, mixNode.isSequence { reader.report(mixNode.error("a group's mix needs at least one persona")) }
            return nil
        }
        guard mix.contains(where: { $0.weight > 0 }) else {
            reader.report(mixNode.error("a group's mix needs a weight above 0"))
            return nil
        }
        return GroupTemplate(name: name, count: count, mix: mix, line: nameNode.line)
    }

    func unknownPersona(_ name: String, personas: [PersonaTemplate], groups: [GroupTemplate]) -> String {
        let names = personas.map(\.name) + groups.map(\.name)
        let hint = ScenarioValueReader.suggestion(for: name, in: names).map { "did you mean '\($0)'? " } ?? ""
        var known = "personas: \(personas.map(\.name).joined(separator: ", "))"
        if !groups.isEmpty { known += "; groups: \(groups.map(\.name).joined(separator: ", "))" }
        return "unknown persona '\(name)' (\(hint)\(known))"
    }

    // MARK: - Faults

    mutating func parseFault(_ node: SpecNode, personas: [PersonaTemplate], groups: [GroupTemplate]) -> FaultTemplate? {
        guard node.isMapping else {
            reader.report(node.error("a fault must be a mapping (kind: ..., target: ...)"))
            return nil
        }
        guard let kindNode = node["kind"] else {
            reader.report(node.error("a fault needs a 'kind' (\(Self.faultKinds.joined(separator: ", ")))"))
            return nil
        }
        guard let kindName = reader.choice(kindNode, "fault kind", Self.faultKinds) else { return nil }
        let timingKeys = kindName == "ectopic_beats" ? ["at", "duration"] : ["at", "rate", "duration"]
        let parameterKeys: [String] = switch kindName {
        case "packet_loss": ["probability", "burst"]
        case "corrupt": ["probability", "bytes"]
        case "truncate", "duplicate": ["probability"]
        case "clock_jump": ["seconds"]
        case "stuck_cell", "saturated_cell": ["cell"]
        case "ectopic_beats": ["rate"]
        default: []
        }
        let keys = ["kind", "target"] + parameterKeys + timingKeys.filter { !parameterKeys.contains($0) }
            .filter { !(kindName == "clock_jump" && $0 == "duration") }
        guard let fields = reader.fields(node, keys, in: "a \(kindName) fault") else { return nil }
        let errorsBefore = reader.errors.count

        func required(_ key: String, _ what: String) -> SpecNode? {
            if let value = fields[key] { return value }
            reader.report(node.error("a \(kindName) fault needs '\(key)' (\(what))"))
            return nil
        }
        let isEvent = ["disconnect", "reboot", "clock_jump"].contains(kindName)
        let at = fields["at"].flatMap { reader.time($0, "at", 0...Self.maximumDuration) }
        var timing = FaultSpec.Timing.always
        if kindName != "ectopic_beats", let rateNode = fields["rate"] {
            if let atKey = fields.key("at") {
                reader.report(atKey.error("give either 'at' (once) or 'rate' (at random), not both"))
            }
            if let rate = reader.number(rateNode, "rate", 0...100, unit: "per second", parse: ScenarioValueReader.ratePerSecond,
                                        expected: "a rate (per minute, or 6/h, 2/min, 1/s)") {
                timing = .random(perSecond: rate)
            }
        } else if let at {
            timing = .at(at)
        } else if isEvent {
            reader.report(node.error("a \(kindName) fault needs 'at' (a time) or 'rate' (random occurrences, e.g. 6/h)"))
        }
        let durationRange: ClosedRange<Double> = isEvent ? 0...86400 : 0.01...Self.maximumDuration
        var duration = fields["duration"].flatMap { reader.time($0, "duration", durationRange) }
        if duration == nil, case .random = timing, !isEvent { duration = 10 }

        func probability() -> Double? {
            required("probability", "per notification, 0...1").flatMap { reader.number($0, "probability", 0...1) }
        }
        var kind: FaultSpec.Kind?
        switch kindName {
        case "disconnect": kind = .disconnect(downtime: duration ?? 5)
        case "reboot": kind = .firmwareReboot(downtime: duration ?? 2)
        case "packet_loss":
            let burst = fields["burst"].flatMap { reader.number($0, "burst", 1...1000, unit: "packets") } ?? 1
            kind = probability().map { .packetLoss(probability: $0, burst: burst) }
        case "corrupt":
            let bytes = fields["bytes"].flatMap { reader.integer($0, "bytes", 1...64) } ?? 1
            kind = probability().map { .corruptPackets(probability: $0, bytes: bytes) }
        case "truncate": kind = probability().map { .truncatedPackets(probability: $0) }
        case "duplicate": kind = probability().map { .duplicateNotifications(probability: $0) }
        case "clock_jump":
            if let node = required("seconds", "how far the device clock jumps; negative goes back"),
               let seconds = reader.number(node, "seconds", -86400...86400, unit: "s", parse: ScenarioValueReader.duration) {
                if seconds == 0 { reader.report(node.error("a clock jump of 0 s does nothing")) }
                kind = .clockJump(seconds: seconds)
            }
        case "stuck_cell", "saturated_cell":
            if let cell = required("cell", "the cell index, 0...15").flatMap({ reader.integer($0, "cell", 0...15) }) {
                kind = kindName == "stuck_cell" ? .stuckCell(cell: cell) : .saturatedCell(cell: cell)
            }
        default:
            kind = required("rate", "ectopic beats per minute").flatMap {
                reader.number($0, "ectopic rate", 0...60, unit: "per minute",
                              parse: { ScenarioValueReader.ratePerSecond($0).map { $0 * 60 } }, expected: "a rate per minute")
            }.map { .ectopicBeats(perMinute: $0) }
        }
        if isEvent { duration = nil }

        // The target: all, a persona or group, optionally with a role.
        var target = "all", targetName: String?, targetRole: String?
        let targetNode = fields["target"]
        if let targetNode, let text = reader.text(targetNode, "target") {
            target = text
            if text != "all" {
                let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
                targetName = parts.first
                targetRole = parts.count == 2 ? parts[1] : nil
                if let role = targetRole, !["left", "right", "insoles", "wristband"].contains(role) {
                    reader.report(targetNode.error("target role '\(role)' is not one of: left, right, insoles, wristband"))
                }
                if let name = targetName, !personas.contains(where: { $0.name == name }), !groups.contains(where: { $0.name == name }) {
                    reader.report(targetNode.error(unknownPersona(name, personas: personas, groups: groups)))
                }
            }
        }
        guard reader.errors.count == errorsBefore, let kind else { return nil }

        // Does the target have a device this fault can act on?
        let wearers: [PersonaTemplate] = {
            guard let name = targetName else { return personas }
            if let persona = personas.first(where: { $0.name == name }) { return [persona] }
            return groups.first(where: { $0.name == name })?.mix.map { personas[$0.persona] } ?? []
        }()
        let reportNode = targetNode ?? kindNode
        switch kind {
        case let .stuckCell(cell), let .saturatedCell(cell):
            let cells = wearers.compactMap { $0.insoles?.cells }
            if cells.isEmpty || targetRole == "wristband" {
                reader.report(reportNode.error("a \(kindName) fault needs insoles, and target '\(target)' wears none"))
            } else if let most = cells.max(), cell >= most {
                reader.report((fields["cell"] ?? node).error("cell \(cell) does not exist: the targeted insoles have \(most) cells (0...\(most - 1))"))
            }
        case .ectopicBeats:
            if wearers.allSatisfy({ $0.wristband == nil }) || (targetRole != nil && targetRole != "wristband") {
                reader.report(reportNode.error("ectopic beats show on a wristband, and target '\(target)' has none"))
            }
        default:
            if let role = targetRole {
                let hasRole = wearers.contains { role == "wristband" ? $0.wristband != nil : $0.insoles != nil }
                if !hasRole { reader.report(reportNode.error("target '\(target)' wears no \(role == "wristband" ? "wristband" : "insoles")")) }
            } else if wearers.allSatisfy({ $0.insoles == nil && $0.wristband == nil }) {
                reader.report(reportNode.error("target '\(target)' wears no device"))
            }
        }
        guard reader.errors.count == errorsBefore else { return nil }
        return FaultTemplate(kind: kind, timing: timing, duration: duration, target: target, targetName: targetName,
                             targetRole: targetRole, line: node.line, column: node.column)
    }
}

extension Varied {
    /// The same variation in other units (milliseconds in the file, seconds in the model).
    func scaled(by factor: Double) -> Varied {
        let range = (self.range.lowerBound * factor)...(self.range.upperBound * factor)
        switch form {
        case let .fixed(value): return Varied(form: .fixed(value * factor), range: range)
        case let .normal(mean, sd): return Varied(form: .normal(mean: mean * factor, sd: sd * factor), range: range)
        case let .uniform(low, high): return Varied(form: .uniform(min: low * factor, max: high * factor), range: range)
        }
    }
}
