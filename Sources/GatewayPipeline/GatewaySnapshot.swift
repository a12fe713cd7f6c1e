import BLEHost

/// What the gateway looks like at one moment, taken on the BLE thread once a second and
/// handed to the status display (on another thread): plain values, nothing shared.
public struct GatewaySnapshot: Sendable {
    /// Gateway time, seconds since the Unix epoch.
    public var time: Double
    public var connected: Int
    public var heard: Int
    public var statistics: GatewayStatistics
    public var devices: [DeviceStatus]
    /// The wearers' latest gait and heart (``GatewayIngest/wearerStatuses``).
    public var wearers: [WearerStatus]
    /// What the store service committed, and how many batches wait for it.
    public var committedSamples: Int
    public var pendingBatches: Int
    /// The store's last failure while it has not recovered (a full disk).
    public var storeError: String?
    /// The uplink's state, nil without `--upload`.
    public var uplink: UplinkStatus?

    public init(time: Double, connected: Int, heard: Int, statistics: GatewayStatistics, devices: [DeviceStatus],
                committedSamples: Int, pendingBatches: Int, storeError: String?, wearers: [WearerStatus] = [],
                uplink: UplinkStatus? = nil) {
        self.time = time
        self.connected = connected
        self.heard = heard
        self.statistics = statistics
        self.devices = devices
        self.wearers = wearers
        self.committedSamples = committedSamples
        self.pendingBatches = pendingBatches
        self.storeError = storeError
        self.uplink = uplink
    }
}
