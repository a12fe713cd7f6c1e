extension Metric {
    /// Steps counted from a wrist accelerometer in an epoch (WristStepDetector).
    public static let steps = Metric("steps", unit: "{steps}")
}

/// Steps from a wrist-worn accelerometer, streaming, by the pedometer design Analog Devices
/// published for 3-axis accelerometers (Zhao, "Full-Featured Pedometer Design Realized with
/// 3-Axis Digital Accelerometer", Analog Dialogue 44-06, 2010), on the magnitude of the
/// acceleration rather than on the most active axis (a band does not know how it is worn):
///
/// 1. a moving average of the last 4 samples;
/// 2. a dynamic threshold, (max + min) / 2 of the filtered signal over the last ``window``
///    samples (50: a second at 50 Hz), renewed every ``window`` samples;
/// 3. dynamic precision: the tracked value moves only when the filtered one differs from it by
///    more than ``precision`` g, so noise does not cross the threshold;
/// 4. a step candidate where the tracked value falls through the threshold (the old above,
///    the new below), if the window's max − min is at least ``minimumSwing`` g (our addition: a
///    still arm has no threshold worth crossing);
/// 5. time window: a candidate 0.2 to 2 s after the one before is rhythmic, one sooner is
///    ignored, one later starts the search again;
/// 6. count regulation: steps are counted only once ``regulation`` (4) rhythmic candidates
///    have come in a row, and then those 4 with them; each later rhythmic candidate counts one.
///
/// Constant memory, nothing allocated per sample.
public struct WristStepDetector: Sendable {
    public let rate: Double
    public let window: Int
    public let precision: Double
    public let minimumSwing: Double
    public let regulation: Int

    private var recent = InlineArray<4, Double>(repeating: 1)
    private var recentCount = 0
    private var windowMinimum = Double.infinity, windowMaximum = -Double.infinity, windowCount = 0
    private var threshold: Double?
    private var swing = 0.0
    private var tracked: Double?
    /// Samples since the last candidate; nil before the first.
    private var sinceCandidate: Int?
    private var rhythmic = 0
    private var counting = false

    /// `rate`: samples per second.
    public init(rate: Double, window: Int = 50, precision: Double = 0.02, minimumSwing: Double = 0.1, regulation: Int = 4) {
        self.rate = rate
        self.window = window
        self.precision = precision
        self.minimumSwing = minimumSwing
        self.regulation = regulation
    }

    /// One sample (g): the steps it counts (0, 1, or the regulation's first ``regulation``).
    public mutating func add(_ x: Double, _ y: Double, _ z: Double) -> Int {
        let magnitude = (x * x + y * y + z * z).squareRoot()
        guard magnitude.isFinite else { return 0 }
        recent[recentCount % 4] = magnitude
        recentCount += 1
        let filtered = recentCount >= 4 ? (recent[0] + recent[1] + recent[2] + recent[3]) / 4 : magnitude
        windowMinimum = min(windowMinimum, filtered)
        windowMaximum = max(windowMaximum, filtered)
        windowCount += 1
        if windowCount == window {
            threshold = (windowMaximum + windowMinimum) / 2
            swing = windowMaximum - windowMinimum
            windowMinimum = .infinity
            windowMaximum = -.infinity
            windowCount = 0
        }
        if let since = sinceCandidate { sinceCandidate = since + 1 }
        let old = tracked ?? filtered
        if tracked == nil || abs(filtered - old) > precision { tracked = filtered }
        guard let threshold, let new = tracked, old > threshold, new < threshold, swing >= minimumSwing else {
            if let since = sinceCandidate, Double(since) > 2 * rate {
                rhythmic = 0
                counting = false
            }
            return 0
        }
        let interval = sinceCandidate.map { Double($0) / rate }
        if let interval, interval < 0.2 { return 0 }  // too soon: part of the same step
        sinceCandidate = 0
        guard let interval, interval <= 2 else {
            // The first candidate, or one after a pause: the search starts again with it.
            rhythmic = 1
            counting = false
            return 0
        }
        if counting { return 1 }
        rhythmic += 1
        guard rhythmic >= regulation else { return 0 }
        counting = true
        return rhythmic
    }
}
