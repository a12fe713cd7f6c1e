/// Count, mean and variance of a stream of values (Welford's method, Technometrics 4:419,
/// 1962): fixed size, numerically stable.
public struct StrideMoments: Sendable, Equatable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    private var squares = 0.0

    public init() {}

    public mutating func add(_ value: Double) {
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        squares += delta * (value - mean)
    }

    /// Sample standard deviation (n − 1), nil below two values.
    public var standardDeviation: Double? { count > 1 ? (squares / Double(count - 1)).squareRoot() : nil }

    /// SD / mean × 100, %.
    public var coefficientOfVariation: Double? {
        guard let sd = standardDeviation, mean != 0 else { return nil }
        return 100 * sd / mean
    }

    public var meanIfAny: Double? { count > 0 ? mean : nil }

    /// Robinson et al.'s symmetry index of two means, (L − R) / (0.5 (L + R)) × 100, %
    /// (J Manipulative Physiol Ther 10:172, 1987).
    public static func symmetryIndex(left: Double?, right: Double?) -> Double? {
        guard let left, let right, left + right != 0 else { return nil }
        return 100 * (left - right) / (0.5 * (left + right))
    }
}
