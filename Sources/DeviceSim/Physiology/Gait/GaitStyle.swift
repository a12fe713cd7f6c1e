/// How a persona walks and runs: the gait part of a scenario's persona.
///
/// Defaults are a healthy adult (Hausdorff et al., J Appl Physiol 80:1448, 1996: stride time
/// ~1.1 s, CV ~2 %, DFA α ~0.9; Perry & Burnfield, *Gait Analysis*, 2nd ed., 2010: stance 60 %
/// of the walking stride; Cavanagh & Lafortune, J Biomech 13:397, 1980: running stance well
/// under half of the stride, 2–3 × body weight).
public struct GaitStyle: Sendable, Equatable {
    /// Body mass in kg; body weight is `bodyMass × 9.80665` N.
    public var bodyMass: Double
    /// Steps per minute at the preferred walking speed.
    public var cadence: Double
    /// Metres per stride (two steps) at the preferred walking speed.
    public var strideLength: Double
    /// Share of the stride a foot is on the ground when walking (~0.6).
    public var stanceShare: Double
    /// Share of the stride a foot is on the ground when running (~0.35–0.4).
    public var runningStanceShare: Double
    /// Steps per minute when running at 3.2 m/s (rises slowly with speed).
    public var runningCadence: Double
    /// Step-time asymmetry: (left→right step − right→left step) / stride; 0 is symmetric.
    public var asymmetry: Double
    /// Coefficient of variation of stride time (0.02 healthy; 0.04–0.1 in Parkinson's disease).
    public var strideTimeCV: Double
    /// DFA exponent of the stride-time series (0.75–1.0 healthy, ~0.5–0.6 in Parkinson's).
    public var strideTimeAlpha: Double
    public var strike: StrikePattern
    /// Parkinsonian shuffle, 0 (none) to 1 (severe): reduced heel strike (the CoP lands near
    /// the midfoot) and a flattened force profile. Short strides, long stance and variability
    /// are the other fields' business (see ``parkinsonian(bodyMass:height:speed:freezing:)``).
    public var shuffle: Double
    public var freezing: Freezing?
    public var limp: Limp?

    /// Freezing of gait: walking stops for a few seconds with both feet down while the legs
    /// tremble at 3–8 Hz (Moore, MacDougall & Ondo, J Neurosci Methods 167:340, 2008).
    public struct Freezing: Sendable, Equatable {
        /// Mean episodes per minute of walking.
        public var perMinute: Double
        /// Mean duration in seconds (exponentially distributed, at least 1 s).
        public var meanDuration: Double

        public init(perMinute: Double, meanDuration: Double) {
            self.perMinute = perMinute
            self.meanDuration = meanDuration
        }
    }

    /// An antalgic limp: the painful foot is unloaded sooner and carries less.
    public struct Limp: Sendable, Equatable {
        public var foot: Foot
        /// 0 (none) to 1 (severe).
        public var severity: Double

        public init(foot: Foot, severity: Double) {
            self.foot = foot
            self.severity = severity
        }
    }

    public init(bodyMass: Double = 75, cadence: Double = 110, strideLength: Double = 1.4,
                stanceShare: Double = 0.6, runningStanceShare: Double = 0.37, runningCadence: Double = 166,
                asymmetry: Double = 0, strideTimeCV: Double = 0.02, strideTimeAlpha: Double = 0.9,
                strike: StrikePattern = .heel, shuffle: Double = 0, freezing: Freezing? = nil, limp: Limp? = nil) {
        self.bodyMass = bodyMass
        self.cadence = cadence
        self.strideLength = strideLength
        self.stanceShare = stanceShare
        self.runningStanceShare = runningStanceShare
        self.runningCadence = runningCadence
        self.asymmetry = asymmetry
        self.strideTimeCV = strideTimeCV
        self.strideTimeAlpha = strideTimeAlpha
        self.strike = strike
        self.shuffle = shuffle
        self.freezing = freezing
        self.limp = limp
    }

    /// Preferred walking speed in m/s.
    public var preferredSpeed: Double { strideLength * cadence / 120 }

    /// A healthy adult walking at `speed` m/s with a stride length of ~0.74 × height
    /// (Hausdorff's controls; GaCo01: 1.80 m, 1.33 m strides).
    public static func healthy(bodyMass: Double, height: Double, speed: Double = 1.3) -> GaitStyle {
        let stride = 0.74 * height
        return GaitStyle(bodyMass: bodyMass, cadence: 120 * speed / stride, strideLength: stride)
    }

    /// A Parkinsonian walker (Hoehn & Yahr ~2.5–3): shuffling, variable, uncorrelated stride times.
    public static func parkinsonian(bodyMass: Double, height: Double, speed: Double = 0.8,
                                    freezing: Freezing? = nil) -> GaitStyle {
        let stride = 0.62 * height
        return GaitStyle(bodyMass: bodyMass, cadence: 120 * speed / stride, strideLength: stride, stanceShare: 0.65,
                         strideTimeCV: 0.06, strideTimeAlpha: 0.55, strike: .heel, shuffle: 0.7, freezing: freezing)
    }
}
