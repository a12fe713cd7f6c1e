/// One injected fault, with its targets resolved to devices.
public struct FaultSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The link drops; the device advertises again after `downtime` seconds.
        case disconnect(downtime: Double)
        /// Notifications are lost with `probability`, in bursts of `burst` packets on average
        /// (a Gilbert–Elliott channel with that mean burst length).
        case packetLoss(probability: Double, burst: Double)
        /// Notifications get `bytes` random bytes flipped, with `probability`.
        case corruptPackets(probability: Double, bytes: Int)
        /// Notifications are cut short at a random length, with `probability`.
        case truncatedPackets(probability: Double)
        /// Notifications are sent twice, with `probability`.
        case duplicateNotifications(probability: Double)
        /// The firmware restarts: counters and device clock reset, link lost, back after `downtime`.
        case firmwareReboot(downtime: Double)
        /// The device clock jumps by `seconds` (negative: backwards).
        case clockJump(seconds: Double)
        /// An insole cell keeps reporting the value it had when the fault began.
        case stuckCell(cell: Int)
        /// An insole cell reports full scale.
        case saturatedCell(cell: Int)
        /// Premature beats, `perMinute` on average, each followed by a compensatory pause.
        case ectopicBeats(perMinute: Double)

        /// The name used in scenario files and ground truth.
        public var name: String {
            switch self {
            case .disconnect: "disconnect"
            case .packetLoss: "packet_loss"
            case .corruptPackets: "corrupt"
            case .truncatedPackets: "truncate"
            case .duplicateNotifications: "duplicate"
            case .firmwareReboot: "reboot"
            case .clockJump: "clock_jump"
            case .stuckCell: "stuck_cell"
            case .saturatedCell: "saturated_cell"
            case .ectopicBeats: "ectopic_beats"
            }
        }
    }

    public enum Timing: Sendable, Equatable {
        /// Once, at this scenario time (seconds).
        case at(Double)
        /// At random times, a Poisson process of this many events per second, drawn from ``FaultSpec/seed``.
        case random(perSecond: Double)
        /// From the start of the run.
        case always
    }

    public var kind: Kind
    public var timing: Timing
    /// How long each occurrence lasts for the faults that are states (loss, corrupt, truncate,
    /// duplicate, stuck and saturated cells, ectopic beats), seconds; `nil`: to the end of the run.
    /// Disconnects and reboots carry their downtime in ``Kind`` instead.
    public var duration: Double?
    /// Indices into ``Scenario/devices``.
    public var devices: [Int]
    /// The target as written in the file (`all`, a persona, a group, `persona/role`).
    public var target: String
    public var seed: UInt64
    /// Line of the fault in the scenario file, to name it in logs and ground truth.
    public var line: Int

    public init(kind: Kind, timing: Timing, duration: Double? = nil, devices: [Int], target: String = "all",
                seed: UInt64 = 0, line: Int = 0) {
        self.kind = kind
        self.timing = timing
        self.duration = duration
        self.devices = devices
        self.target = target
        self.seed = seed
        self.line = line
    }
}
