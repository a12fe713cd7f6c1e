/// One foot's contact with the ground, from heel strike to toe-off, with everything needed
/// to evaluate force, CoP and IMU inside it and in the swing that follows.
struct GaitStep: Sendable {
    var foot: Foot
    /// −∞ for the standing step a model starts in.
    var heelStrike: Double
    /// +∞ while a standing step has no end yet.
    var toeOff: Double
    /// Quiet standing (or a freeze) rather than a walking/running stance.
    var standing: Bool
    var tremor: Bool
    /// Sine-series amplitude (N) and coefficients of sin(kπp), k = 1, 2, 3.
    var amplitude: Double
    var a1: Double
    var a2: Double
    var a3: Double
    /// Peak of the impact transient (N), 25 ms after heel strike.
    var impact: Double
    /// Weights of the heel, midfoot and forefoot CoP paths.
    var heelPath: Double
    var midfootPath: Double
    var forefootPath: Double
    /// Foot pitch (deg, + toes down) at this heel strike and at this toe-off.
    var pitchAtStrike: Double
    var pitchAtToeOff: Double
    /// Share of stance after which the heel lifts.
    var heelOff: Double
    /// Heel-strike acceleration spike amplitude (m/s²).
    var spike: Double
    /// Stride length (m) and foot clearance (m) of the swing that ends at this heel strike.
    var strideLength: Double
    var clearance: Double
    /// Quiet-standing load of this foot (N).
    var standingLoad: Double

    static func standing(foot: Foot, from heelStrike: Double, load: Double, tremor: Bool) -> GaitStep {
        GaitStep(foot: foot, heelStrike: heelStrike, toeOff: .infinity, standing: true, tremor: tremor,
                 amplitude: 0, a1: 0, a2: 0, a3: 0, impact: 0, heelPath: 0, midfootPath: 1, forefootPath: 0,
                 pitchAtStrike: 0, pitchAtToeOff: 30, heelOff: 0.6, spike: 0, strideLength: 0.3,
                 clearance: 0.05, standingLoad: load)
    }
}
