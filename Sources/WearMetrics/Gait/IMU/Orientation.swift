#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A unit quaternion (w, x, y, z) that rotates sensor-frame vectors into the navigation frame
/// (x, y horizontal, z up). Hamilton convention, as in Foxlin 2005 and most strapdown texts.
struct Orientation: Sendable, Equatable {
    var w = 1.0, x = 0.0, y = 0.0, z = 0.0

    /// The orientation that tilts a sensor at rest to read `specificForce` as straight up,
    /// keeping the heading `yaw` (rad): roll and pitch from the accelerometer, yaw from before.
    static func levelled(specificForce f: SIMD3<Double>, yaw: Double) -> Orientation {
        let roll = atan2(f.y, f.z)
        let pitch = atan2(-f.x, (f.y * f.y + f.z * f.z).squareRoot())
        let (cr, sr) = (cos(roll / 2), sin(roll / 2))
        let (cp, sp) = (cos(pitch / 2), sin(pitch / 2))
        let (cy, sy) = (cos(yaw / 2), sin(yaw / 2))
        // Z-Y-X (yaw, pitch, roll) Tait-Bryan angles.
        return Orientation(w: cr * cp * cy + sr * sp * sy,
                           x: sr * cp * cy - cr * sp * sy,
                           y: cr * sp * cy + sr * cp * sy,
                           z: cr * cp * sy - sr * sp * cy)
    }

    var yaw: Double { atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)) }

    /// Integrates a body-frame angular rate over `dt` exactly for a constant rate:
    /// q ← q ⊗ [cos(|ω|dt/2), sin(|ω|dt/2)·ω/|ω|].
    mutating func integrate(angularRate omega: SIMD3<Double>, dt: Double) {
        let rate = (omega * omega).sum().squareRoot()
        guard rate * dt > 1e-12 else { return }
        let half = rate * dt / 2
        let s = sin(half) / rate
        let (dw, dx, dy, dz) = (cos(half), omega.x * s, omega.y * s, omega.z * s)
        let q = self
        w = q.w * dw - q.x * dx - q.y * dy - q.z * dz
        x = q.w * dx + q.x * dw + q.y * dz - q.z * dy
        y = q.w * dy - q.x * dz + q.y * dw + q.z * dx
        z = q.w * dz + q.x * dy - q.y * dx + q.z * dw
        let n = (w * w + x * x + y * y + z * z).squareRoot()
        w /= n; x /= n; y /= n; z /= n
    }

    /// R(q)·v: the sensor-frame vector in the navigation frame.
    func rotate(_ v: SIMD3<Double>) -> SIMD3<Double> {
        let (ww, xx, yy, zz) = (w * w, x * x, y * y, z * z)
        let (wx, wy, wz, xy, xz, yz) = (w * x, w * y, w * z, x * y, x * z, y * z)
        return SIMD3(
            (ww + xx - yy - zz) * v.x + 2 * (xy - wz) * v.y + 2 * (xz + wy) * v.z,
            2 * (xy + wz) * v.x + (ww - xx + yy - zz) * v.y + 2 * (yz - wx) * v.z,
            2 * (xz - wy) * v.x + 2 * (yz + wx) * v.y + (ww - xx - yy + zz) * v.z)
    }
}
