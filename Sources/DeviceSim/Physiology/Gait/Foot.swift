/// Which foot (and which insole of a pair): the insole stream's `foot` flag.
public enum Foot: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case left = 0
    case right = 1

    public var other: Foot { self == .left ? .right : .left }
    public var description: String { self == .left ? "left" : "right" }
}
