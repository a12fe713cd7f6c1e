/// One foot at one instant: what an insole measures, before it is spread over the cells and
/// quantised by the firmware.
public struct GaitFootSample: Sendable, Equatable {
    /// Vertical ground reaction force under the foot, N (0 in swing).
    public var force: Double
    /// Centre of pressure in the insole geometry's coordinates (gaitpdb units: origin
    /// between the feet, +y forward, +x to the right; heel y ≈ −800, toe y ≈ +800).
    public var copX: Double
    public var copY: Double
    /// True between heel strike and toe-off.
    public var inStance: Bool
    /// Foot-mounted accelerometer, m/s² (specific force: +9.81 on z at rest). Axes: x
    /// forward along the foot, y to the left, z up out of the sole.
    public var accel: SIMD3<Double>
    /// Gyroscope, °/s, same axes; +y is toes-down (plantarflexion) rotation.
    public var gyro: SIMD3<Double>

    public init(force: Double = 0, copX: Double = 0, copY: Double = 0, inStance: Bool = false,
                accel: SIMD3<Double> = .zero, gyro: SIMD3<Double> = .zero) {
        self.force = force
        self.copX = copX
        self.copY = copY
        self.inStance = inStance
        self.accel = accel
        self.gyro = gyro
    }
}
