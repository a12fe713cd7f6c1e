/// A persona's gait as the scenario states it. `nil` leaves the value to the gait model's
/// defaults (from height and preferred speed).
public struct GaitStyleSpec: Sendable, Equatable {
    public enum Strike: String, Sendable, Equatable, CaseIterable {
        case heel, midfoot, forefoot
    }

    public enum Side: String, Sendable, Equatable, CaseIterable {
        case left, right
    }

    /// Freezing of gait: walking stops for a few seconds.
    public struct Freezing: Sendable, Equatable {
        /// Mean episodes per minute of walking.
        public var perMinute: Double
        /// Mean episode duration, seconds.
        public var meanDuration: Double

        public init(perMinute: Double, meanDuration: Double) {
            self.perMinute = perMinute
            self.meanDuration = meanDuration
        }
    }

    /// An antalgic limp on one side.
    public struct Limp: Sendable, Equatable {
        public var side: Side
        /// 0 (none) … 1 (severe).
        public var severity: Double

        public init(side: Side, severity: Double) {
            self.side = side
            self.severity = severity
        }
    }

    /// Steps per minute at the preferred walking speed.
    public var cadence: Double?
    /// Metres per stride (two steps).
    public var strideLength: Double?
    /// Share of the walking stride a foot is on the ground.
    public var stanceShare: Double?
    /// Step-time asymmetry, (left→right − right→left step) / stride.
    public var asymmetry: Double
    /// Coefficient of variation of stride time.
    public var variability: Double?
    /// DFA exponent α of the stride-time series (long-range correlation).
    public var dfaAlpha: Double?
    public var strike: Strike
    /// Parkinsonian shuffle, 0 (none) … 1 (severe).
    public var shuffle: Double
    public var freezing: Freezing?
    public var limp: Limp?

    public init(cadence: Double? = nil, strideLength: Double? = nil, stanceShare: Double? = nil,
                asymmetry: Double = 0, variability: Double? = nil, dfaAlpha: Double? = nil, strike: Strike = .heel,
                shuffle: Double = 0, freezing: Freezing? = nil, limp: Limp? = nil) {
        self.cadence = cadence
        self.strideLength = strideLength
        self.stanceShare = stanceShare
        self.asymmetry = asymmetry
        self.variability = variability
        self.dfaAlpha = dfaAlpha
        self.strike = strike
        self.shuffle = shuffle
        self.freezing = freezing
        self.limp = limp
    }
}
