import ArgumentParser
import BLEHost
import BLEWire
import DeviceSim
import GatewayPipeline
import Foundation
import WearMetrics
import Yams

/// The gateway's settings: flags over the --config file over defaults.
///
/// Everything is checked before the gateway opens anything (the database, the capture, the
/// controller), and every problem of the file and the flags is reported at once, so that an
/// operator fixes a config in one round and a failed start leaves no file behind.
struct GatewaySettings {
    var hci = "sim:quickstart"
    var db = "gaitway.db"
    var allow: [String] = []
    var maxConnections: Int?
    var duration: Double?
    var commitInterval = 1.0
    /// Seconds raw payloads are kept (`--keep-raw`); nil: until the quota needs their room.
    var keepRaw: Double?
    /// The database's quota in bytes (`--max-db-size`); nil: none.
    var maxDBSize: Int64?
    /// Who wears which devices (config file only: `wearers:`), for the per-wearer metrics.
    var wearers: [Wearer] = []
    /// Where the wearers' days begin (`time-zone`), UTC by default.
    var days = LocalDays.utc
    var timeZone: String?
    /// The uplink (`--upload`, `--token` or `--token-file`, `--upload-ca`, `--gateway-id`):
    /// nil when nothing is uploaded.
    var upload: UplinkService.Configuration?
    // As read, before they are checked together.
    private var uploadURL: String?
    private var tokenFile: String?
    private var uploadCA: String?
    private var gatewayID: String?
    private var fileToken: String?

    /// The smallest quota: the schema and one commit interval of a busy gateway fit.
    static let minimumDBSize: Int64 = 1_000_000

    /// Connections a controller can have: handles 0x000-0xEFF (Core v5.4, Vol 4, Part E,
    /// §5.4.2: the Connection_Handle's range).
    static let maxConnectionsRange = 1...0x0EFF
    /// Ten years: a board runs for months; beyond this a duration is a typo (1e13), and
    /// every later sum of seconds stays far from Double's integer precision.
    static let maximumDuration = 10 * 365 * 86_400.0
    /// Up to an hour between commits (the most a crash can lose; the batch held in
    /// memory grows with it).
    static let maximumCommitInterval = 3600.0

    /// Services that make a device worth connecting to: the standard ones our Protocols
    /// specs cover and our own devices' (the gateway reads nothing else).
    static let wantedServices: Set<BluetoothUUID> = [
        .heartRateService, .runningSpeedAndCadenceService, .pulseOximeterService, .healthThermometerService,
        .gaitwayInsoleService, .gaitwayWristbandService,
    ]

    init(command: GatewayCommand) throws {
        var problems = SettingsProblems()
        if let path = command.config { read(path, problems: &problems) }
        if let hci = command.hci { self.hci = hci }
        if let db = command.db { self.db = db }
        if !command.allow.isEmpty { allow = command.allow }
        if let value = command.maxConnections {
            maxConnections = problems.check(value, "--max-connections \(value)", Self.maxConnections)
        }
        if let value = command.duration { duration = problems.check(value, "--duration \(NumberArgument.format(value))", Self.duration) }
        if let value = command.commitInterval {
            commitInterval = problems.check(value, "--commit-interval \(NumberArgument.format(value))", Self.commitInterval) ?? commitInterval
        }
        // Where each checked value came from, for the messages: a flag, else the file.
        func source(_ flag: String, _ given: Bool, _ key: String) -> String {
            given || command.config == nil ? flag : "\(command.config ?? ""): \(key)"
        }
        if let text = command.keepRaw {
            keepRaw = problems.check(text, "--keep-raw \(text)", Self.keepRaw).flatMap(Self.seconds(in:))
        }
        if let text = command.maxDBSize {
            maxDBSize = problems.check(text, "--max-db-size \(text)", Self.maxDBSize).flatMap(Self.bytes(in:))
        }
        if let name = command.timeZone { timeZone = name }
        if let name = timeZone {
            if let days = Self.localDays(timeZone: name) {
                self.days = days
            } else {
                problems.add("\(source("--time-zone", command.timeZone != nil, "time-zone")) '\(name)' is not a time zone "
                    + "(an IANA name like Europe/Berlin or America/New_York, or UTC)")
            }
        }
        if let url = command.upload { uploadURL = url }
        if let file = command.tokenFile { tokenFile = file }
        if let file = command.uploadCA { uploadCA = file }
        if let name = command.gatewayID { gatewayID = name }
        upload = checkUpload(token: command.token ?? fileToken, problems: &problems)
        checkTogether(btsnoop: command.btsnoop, sources: (hci: source("--hci", command.hci != nil, "hci"),
                                                          db: source("--db", command.db != nil, "db"),
                                                          allow: source("--allow", !command.allow.isEmpty, "allow")),
                      problems: &problems)
        try problems.throwIfAny()
    }

    /// Reads the YAML config file at `path`, noting what is wrong with it in `problems`
    /// (each with its line) and going on with the next setting.
    mutating func read(_ path: String, problems: inout SettingsProblems) {
        if let problem = FileArgument.problem(path, option: "--config", mustExist: true) {
            problems.add(problem)
            return
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            problems.add("--config \(path): not UTF-8 text")
            return
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            problems.add("\(path): not YAML: \(error)")
            return
        }
        guard let mapping = node?.mapping else {
            problems.add("\(path): expected a mapping of settings (hci: ..., db: ...)")
            return
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            let place = "\(path):\((value.mark?.line).map(String.init) ?? "?")"
            func must(_ expected: String) { problems.add("\(place): '\(name)' must be \(expected)") }
            switch name {
            case "hci":
                if let text = value.string { hci = text } else { must("a transport like tcp-client:127.0.0.1:9001") }
            case "db":
                if let text = value.string { db = text } else { must("a file path") }
            case "allow":
                if let list = value.sequence, list.allSatisfy({ $0.string != nil }) {
                    allow = list.compactMap(\.string)
                } else if let one = value.string {
                    allow = [one]
                } else {
                    must("a list of addresses, UUIDs or names")
                }
            case "max-connections":
                if let number = value.int {
                    maxConnections = problems.check(number, "\(place): 'max-connections' \(number)", Self.maxConnections)
                } else {
                    must("a whole number from 1 to \(Self.maxConnectionsRange.upperBound)")
                }
            case "duration":
                if let number = value.float {
                    duration = problems.check(number, "\(place): 'duration' \(NumberArgument.format(number))", Self.duration)
                } else {
                    must("seconds, more than 0 and at most \(NumberArgument.format(Self.maximumDuration))")
                }
            case "commit-interval":
                if let number = value.float {
                    commitInterval = problems.check(number, "\(place): 'commit-interval' \(NumberArgument.format(number))", Self.commitInterval)
                        ?? commitInterval
                } else {
                    must("seconds, more than 0 and at most \(NumberArgument.format(Self.maximumCommitInterval))")
                }
            case "keep-raw":
                if let text = value.string {
                    keepRaw = problems.check(text, "\(place): 'keep-raw' \(text)", Self.keepRaw).flatMap(Self.seconds(in:))
                } else {
                    must("a period like 3600, 90m, 12h or 7d")
                }
            case "max-db-size":
                if let text = value.string {
                    maxDBSize = problems.check(text, "\(place): 'max-db-size' \(text)", Self.maxDBSize).flatMap(Self.bytes(in:))
                } else {
                    must("a size like 500MB, 2GB or 1GiB")
                }
            case "wearers":
                wearers = Self.wearers(value, path: path, problems: &problems)
            case "time-zone":
                if let text = value.string, !text.isEmpty { timeZone = text } else { must("a time zone like Europe/Berlin") }
            case "upload", "token", "token-file", "upload-ca", "gateway-id":
                guard let text = value.string, !text.isEmpty else {
                    must(name == "upload" ? "a URL like https://collector.example/v1/ingest"
                         : name == "gateway-id" ? "a name" : "a file path")
                    continue
                }
                switch name {
                case "upload": uploadURL = text
                case "token": fileToken = text
                case "token-file": tokenFile = text
                case "upload-ca": uploadCA = text
                default: gatewayID = text
                }
            default:
                problems.add("\(path):\((key.mark?.line).map(String.init) ?? "?"): unknown setting '\(name)' "
                    + "(known: hci, db, allow, max-connections, duration, commit-interval, keep-raw, max-db-size, "
                    + "upload, token, token-file, upload-ca, gateway-id, wearers, time-zone)")
            }
        }
    }

    /// The offsets of the IANA time zone `name` from UTC and their changes (summer time) from
    /// 2000 to 2100, as the system's time-zone database gives them; nil for an unknown name.
    static func localDays(timeZone name: String) -> LocalDays? {
        guard let zone = TimeZone(identifier: name) else { return nil }
        var instant = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01
        let end = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01
        var changes = [LocalDays.Change(from: .min, offset: Int64(zone.secondsFromGMT(for: instant)))]
        while let next = zone.nextDaylightSavingTimeTransition(after: instant), next < end {
            changes.append(LocalDays.Change(from: Int64(next.timeIntervalSince1970), offset: Int64(zone.secondsFromGMT(for: next))))
            instant = next
        }
        return LocalDays(changes: changes)
    }

    /// The uplink's configuration from --upload and its token, CA and name, or nil without
    /// --upload; every problem noted.
    func checkUpload(token: String?, problems: inout SettingsProblems) -> UplinkService.Configuration? {
        guard let url = uploadURL else {
            if token != nil || tokenFile != nil || uploadCA != nil {
                problems.add("--token, --token-file and --upload-ca need --upload (the collector's ingest URL)")
            }
            return nil
        }
        if let problem = UplinkService.problem(url: url) { problems.add("--upload \(url): \(problem)") }
        var secret = token
        if token != nil && tokenFile != nil { problems.add("--token and --token-file (or token and token-file): give one of them") }
        if let tokenFile {
            if let problem = FileArgument.problem(tokenFile, option: "--token-file", mustExist: true) {
                problems.add(problem)
            } else if let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) {
                secret = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) }
                if secret?.isEmpty ?? true { problems.add("--token-file \(tokenFile): the first line is empty") }
            } else {
                problems.add("--token-file \(tokenFile): not UTF-8 text")
            }
        }
        if secret == nil && tokenFile == nil { problems.add("--upload needs the collector's gateway token: --token-file FILE (or --token)") }
        if let secret, secret.contains(where: { $0.isWhitespace || !$0.isASCII }) {
            problems.add("the gateway token must be printable ASCII without spaces (RFC 6750 section 2.1)")
        }
        if let uploadCA, let problem = FileArgument.problem(uploadCA, option: "--upload-ca", mustExist: true) {
            problems.add(problem)
        }
        let name = gatewayID ?? ProcessInfo.processInfo.hostName
        if name.isEmpty || name.utf8.count > 255 { problems.add("--gateway-id: 1 to 255 bytes") }
        return UplinkService.Configuration(url: url, token: secret ?? "", gateway: name.isEmpty ? "gateway" : name,
                                           caFile: uploadCA)
    }

    /// The checks of settings whatever their source: the transport parses, its files and
    /// scenario exist, every --allow entry means something, and the database and capture
    /// files can be created.
    func checkTogether(btsnoop: String?, sources: (hci: String, db: String, allow: String),
                       problems: inout SettingsProblems) {
        switch Result(catching: { try TransportSpec(parsing: hci) }) {
        case .failure(let error):
            problems.add("\(sources.hci): \(error)")
        case .success(.btsnoop(let path)):
            if let problem = FileArgument.problem(path, option: "\(sources.hci) btsnoop:", mustExist: true) { problems.add(problem) }
            if btsnoop != nil {
                problems.add("--btsnoop: a replay (--hci btsnoop:) sends nothing to a controller, so there is nothing to record")
            }
        case .success(.simulator(let name)):
            if let name, ScenarioLoader.locate(name) == nil {
                problems.add("\(sources.hci) sim:\(name): no such scenario (a name in Simulators/ or a YAML file)")
            }
        case .success:
            break
        }
        for entry in allow {
            if let problem = Self.allowProblem(entry) { problems.add("\(sources.allow) '\(entry)': \(problem)") }
        }
        if let problem = FileArgument.problem(db, option: sources.db, mustExist: false) { problems.add(problem) }
        if let btsnoop, let problem = FileArgument.problem(btsnoop, option: "--btsnoop", mustExist: false) {
            problems.add(problem)
        }
    }

    /// What is wrong with an `--allow` entry, nil when it is an address, a UUID or a name
    /// pattern. Entries that look like a mistyped address or UUID are refused rather than
    /// taken as a name no device has.
    static func allowProblem(_ entry: String) -> String? {
        if entry.allSatisfy(\.isWhitespace) {
            return "an empty entry matches no device; give an address (AA:BB:CC:DD:EE:FF), a service UUID (180D) "
                + "or a name pattern (Gaitway*)"
        }
        if entry.first?.isWhitespace == true || entry.last?.isWhitespace == true {
            return "spaces at the start or end (names are matched exactly, from their first character)"
        }
        if BDAddress(entry) != nil || BluetoothUUID(entry) != nil { return nil }
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 1, parts.allSatisfy({ $0.count <= 2 && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }) {
            return "not a Bluetooth address: six two-digit hexadecimal octets, AA:BB:CC:DD:EE:FF"
        }
        let lowered = entry.lowercased()
        let dashes = [8, 13, 18, 23].map { lowered.index(lowered.startIndex, offsetBy: $0, limitedBy: lowered.endIndex) }
        if lowered.hasPrefix("0x") || (lowered.count == 36 && dashes.allSatisfy { $0.map { lowered[$0] == "-" } ?? false }) {
            return "not a service UUID: 4 or 8 hexadecimal digits (180D, 0x180D) or 128 bits "
                + "(0000180d-0000-1000-8000-00805f9b34fb)"
        }
        return nil
    }

    static func maxConnections(_ value: Int) -> String? {
        maxConnectionsRange.contains(value) ? nil : "must be a whole number from 1 to \(maxConnectionsRange.upperBound)"
    }

    static func duration(_ value: Double) -> String? { seconds(value, atMost: maximumDuration) }

    /// A period: seconds, or a number with s, m, h or d (`90m`, `7d`).
    static func seconds(in text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var scale = 1.0
        if let last = number.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), let value = Double(number) else { return nil }
        return value * scale
    }

    static func keepRaw(_ text: String) -> String? {
        guard let value = seconds(in: text) else { return "must be a period: seconds, or a number with s, m, h or d (90m, 7d)" }
        return seconds(value, atMost: maximumDuration)
    }

    /// A size: bytes, or a number with kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
    /// TiB (powers of 1024); `500M` and `2G` are read as MB and GB.
    static func bytes(in text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scales: [String: Double] = [
            "": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let number = Double(digits), let scale = scales[unit] else { return nil }
        let value = (number * scale).rounded()
        // 2^62: far beyond any disk, and no overflow in the page arithmetic.
        guard value <= Double(1 << 62) else { return nil }
        return Int64(value)
    }

    static func maxDBSize(_ text: String) -> String? {
        guard let value = bytes(in: text) else {
            return "must be a size: bytes, or a number with kB, MB, GB, TB or KiB, MiB, GiB, TiB (500MB, 2GiB)"
        }
        return value >= minimumDBSize ? nil : "must be at least 1 MB (the schema and a commit must fit)"
    }

    static func commitInterval(_ value: Double) -> String? { seconds(value, atMost: maximumCommitInterval) }

    static func seconds(_ value: Double, atMost maximum: Double) -> String? {
        value > 0 && value <= maximum ? nil : "must be seconds, more than 0 and at most \(NumberArgument.format(maximum))"
    }

    /// A random static address for the gateway (Vol 6, Part B, §1.3.2.1: the two most
    /// significant bits 0b11), new each run. Bumble's virtual link routes by random address.
    static func randomStaticAddress() -> BDAddress {
        BDAddress(rawValue: UInt64.random(in: 1..<(1 << 46)) | 0xC000_0000_0000)
    }
}

/// The problems found in the gateway's settings, reported together.
struct SettingsProblems {
    private(set) var messages: [String] = []

    mutating func add(_ message: String) { messages.append(message) }

    /// `value` if `rule` finds nothing wrong with it; nil, and the problem noted, otherwise.
    mutating func check<Value>(_ value: Value, _ what: String, _ rule: (Value) -> String?) -> Value? {
        guard let problem = rule(value) else { return value }
        add("\(what): \(problem)")
        return nil
    }

    func throwIfAny() throws {
        switch messages.count {
        case 0: return
        case 1: throw CleanExit.failure(messages[0])
        default:
            throw CleanExit.failure("\(messages.count) problems in the gateway's settings:\n"
                + messages.map { "  " + $0 }.joined(separator: "\n"))
        }
    }
}
