// The gait metrics WearMetrics computes from a foot-mounted IMU (accelerometer + gyroscope on
// the shoe), one constant each. Method and reference are on the constant and on the stage
// that computes it; Gait/IMU/README.md has the table.

extension Metric {
    // MARK: Per foot, per stride (time = the stance onset that ends the stride's swing)

    /// Stride length: the horizontal distance the foot travels from one stance to the next, m.
    /// Strapdown integration of the foot IMU between two zero-velocity intervals
    /// (``FootStrideIntegrator``), stance detected by the SHOE detector
    /// (``ZeroVelocityDetector``, Skog et al., IEEE Trans Biomed Eng 57:2657, 2010), velocity
    /// reset to zero at each stance with linear de-drift over the swing (Foxlin, IEEE CG&A
    /// 25(6):38, 2005).
    public static let strideLength = Metric("stride_length", unit: "m")
    /// Gait speed: stride length / the time from the previous stance onset to this one, m/s.
    public static let gaitSpeed = Metric("gait_speed", unit: "m/s")
    /// Foot clearance: the highest point of the sensor above its stance height during the
    /// swing (de-drifted vertical position), m. This is the sensor's lift, not the toe's
    /// minimum clearance, which needs the sensor-to-toe lever arm.
    public static let footClearance = Metric("foot_clearance", unit: "m")

    // MARK: Episodes (time = start, end = end)

    /// Freezing of gait: an episode where the freezing index of the foot's vertical
    /// acceleration stays above its threshold (Moore et al., J Neurosci Methods 167:340, 2008;
    /// ``FreezingIndexDetector``); value = duration in s, quality = confidence.
    public static let freezingEpisode = Metric("freezing_episode", unit: "s")

    /// Every metric of the foot-IMU stages.
    public static let gaitIMU: [Metric] = [.strideLength, .gaitSpeed, .footClearance, .freezingEpisode]
}
