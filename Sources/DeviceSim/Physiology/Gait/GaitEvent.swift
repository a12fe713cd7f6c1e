/// A ground-truth gait event: what `--truth` writes as `heel_strike` / `toe_off`, plus the
/// start and end of a freezing episode.
public struct GaitEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case heelStrike
        case toeOff
        /// Walking stops with both feet down (Parkinsonian freezing of gait).
        case freezingStart
        case freezingEnd
    }

    public var kind: Kind
    public var foot: Foot
    /// Seconds on the model's (true) clock.
    public var time: Double

    public init(kind: Kind, foot: Foot, time: Double) {
        self.kind = kind
        self.foot = foot
        self.time = time
    }

    public var description: String { "\(kind) \(foot) \(time)" }
}
