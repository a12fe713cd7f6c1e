/// One sample of a foot-mounted IMU in the sensor's own frame.
///
/// The accelerometer measures specific force, so a sensor at rest reads +9.81 m/s² along the
/// axis that points up; the gyroscope reads angular rate about the sensor axes.
public struct FootIMUSample: Sendable, Equatable {
    /// Seconds on the clock the stage is fed (gateway clock live, file time offline).
    public var time: Double
    /// Specific force, m/s², sensor frame, gravity included.
    public var acceleration: SIMD3<Double>
    /// Angular rate, rad/s, sensor frame.
    public var angularRate: SIMD3<Double>

    public init(time: Double, acceleration: SIMD3<Double>, angularRate: SIMD3<Double>) {
        self.time = time
        self.acceleration = acceleration
        self.angularRate = angularRate
    }
}

/// Standard gravity, m/s² (CGPM 1901).
let standardGravity = 9.80665
