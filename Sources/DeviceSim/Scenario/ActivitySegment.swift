/// What a person does from ``start`` to ``end`` (scenario seconds).
public struct ActivitySegment: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Sitting still.
        case rest
        /// Standing still.
        case stand
        /// Walking at `speed` m/s; `nil` is the persona's preferred speed.
        case walk(speed: Double?)
        /// Running at `speed` m/s.
        case run(speed: Double)
        /// Lying asleep (no load on the insoles).
        case sleep

        /// The name used in scenario files and ground truth.
        public var name: String {
            switch self {
            case .rest: "rest"
            case .stand: "stand"
            case .walk: "walk"
            case .run: "run"
            case .sleep: "sleep"
            }
        }
    }

    public var kind: Kind
    /// Seconds from scenario start.
    public var start: Double
    /// Seconds from scenario start (exclusive).
    public var end: Double
    /// Seconds over which the models ramp from the previous activity into this one.
    public var transition: Double

    public init(kind: Kind, start: Double, end: Double, transition: Double = 3) {
        self.kind = kind
        self.start = start
        self.end = end
        self.transition = transition
    }

    public var duration: Double { end - start }
}
