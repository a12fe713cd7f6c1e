/// What a persona's legs are doing; the gait model ramps towards a new activity over a few strides.
public enum GaitActivity: Sendable, Equatable {
    /// Quiet standing (also used for sitting with the feet down): both feet loaded, slow sway.
    case stand
    /// Walking at `speed` m/s; `nil` is the persona's preferred speed
    /// (``GaitStyle/strideLength`` × ``GaitStyle/cadence`` / 120).
    case walk(speed: Double? = nil)
    /// Running at `speed` m/s.
    case run(speed: Double)
}
