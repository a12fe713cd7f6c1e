/// Per-cell forces of one insole frame (8 or 16 cells, in N), stored inline: no allocation
/// per sample.
public struct InsoleForces: Sendable {
    public static let maximumCells = 16
    public private(set) var count: Int
    private var storage: InlineArray<16, Double>

    public init(count: Int) {
        self.count = min(max(count, 0), Self.maximumCells)
        storage = .init(repeating: 0)
    }

    init(count: Int, storage: InlineArray<16, Double>) {
        self.count = count
        self.storage = storage
    }

    public subscript(cell: Int) -> Double {
        get { storage[cell] }
        set { storage[cell] = newValue }
    }

    /// Sum over the cells.
    public var total: Double {
        var sum = 0.0
        for i in 0..<count { sum += storage[i] }
        return sum
    }

    /// The cells as an array (allocates; for tests, tools and the encoder).
    public var array: [Double] { (0..<count).map { storage[$0] } }
}
