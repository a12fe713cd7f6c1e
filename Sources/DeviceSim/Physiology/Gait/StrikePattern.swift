/// Which part of the foot lands first; sets where the centre-of-pressure path starts and how
/// big the impact transient is.
public enum StrikePattern: Sendable, Equatable, CaseIterable {
    /// Rearfoot strike: the CoP starts under the heel and rolls to the toe (most walkers and
    /// most recreational runners).
    case heel
    /// Midfoot strike: the foot lands flat; the CoP starts at the midfoot.
    case midfoot
    /// Forefoot strike: the CoP starts under the metatarsal heads, moves back a little as the
    /// heel lowers, then forward to the toe; no impact peak.
    case forefoot
}
