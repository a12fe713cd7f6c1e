import ProtocolSpecs

/// Spreads a foot's force over an insole's cells around its centre of pressure.
///
/// Each cell's share comes from a compact, elliptical kernel centred on the CoP,
/// w = (1 − (dx/450)² − (dy/700)²)², normalised so the cells add up to the foot's force
/// exactly. The kernel is longer than wide because a real foot loads heel and forefoot
/// together in midstance; its size was chosen so the cell-weighted CoP of the model
/// follows the CoP path measured in gaitpdb's GaCo01 walk (see `GaitPressurePath`). A
/// polynomial kernel rather than a Gaussian keeps the per-sample cost to a few
/// multiplications per cell.
public struct InsoleCellMap: Sendable {
    public let foot: Foot
    public let cellCount: Int
    private var xs: InlineArray<16, Double>
    private var ys: InlineArray<16, Double>

    static let kernelWidth = 450.0
    static let kernelLength = 700.0

    /// The cells of one foot of a layout from a Protocols spec's `geometry`
    /// (e.g. `gaitway-insole`, 8 or 16 cells). Nil when the layout has no cells or more than 16.
    public init?(layout: InsoleGeometry.Layout, foot: Foot) {
        let cells = foot == .left ? layout.left : layout.right
        self.init(positions: cells.map { ($0.x, $0.y) }, foot: foot)
    }

    /// Cells at the given (x, y) positions, in gaitpdb units.
    public init?(positions: [(x: Double, y: Double)], foot: Foot) {
        guard !positions.isEmpty, positions.count <= InsoleForces.maximumCells else { return nil }
        self.foot = foot
        cellCount = positions.count
        xs = .init(repeating: 0)
        ys = .init(repeating: 0)
        for (i, position) in positions.enumerated() {
            xs[i] = position.x
            ys[i] = position.y
        }
    }

    /// The 8-cell layout of gaitpdb (`../shared/data/gaitpdb/format.txt`, L1…L8 / R1…R8 =
    /// cells 0…7), which is also `gaitway-insole`'s 8-cell layout.
    public static func gaitpdb(_ foot: Foot) -> InsoleCellMap {
        let side = foot == .left ? -1.0 : 1.0
        let cells: [(x: Double, y: Double)] = [(500, -800), (700, -400), (300, -400), (700, 0), (300, 0),
                                               (700, 400), (300, 400), (500, 800)]
        return InsoleCellMap(positions: cells.map { (side * $0.x, $0.y) }, foot: foot)!
    }

    /// Cell `cell`'s position.
    public func position(ofCell cell: Int) -> (x: Double, y: Double) { (xs[cell], ys[cell]) }

    /// Writes the sample's force, spread over the cells, into `forces` (whose count becomes
    /// ``cellCount``). Allocation-free.
    public func spread(_ sample: GaitFootSample, into forces: inout InsoleForces) {
        // Written straight into `forces`: no weights array to fill and copy per sample.
        forces = InsoleForces(count: cellCount)
        guard sample.force > 0 else { return }
        let inverseWidth = 1 / Self.kernelWidth, inverseLength = 1 / Self.kernelLength
        var sum = 0.0
        var nearest = 0
        var nearestDistance = Double.infinity
        for i in 0..<cellCount {
            let dx = (xs[i] - sample.copX) * inverseWidth
            let dy = (ys[i] - sample.copY) * inverseLength
            let d2 = dx * dx + dy * dy
            if d2 < nearestDistance {
                nearestDistance = d2
                nearest = i
            }
            // max(_, 0) rather than a branch: whether a cell is under the kernel changes
            // from sample to sample. Outside it (d2 >= 1) the weight is 0, as it was.
            let inside = max(1 - d2, 0)
            let w = inside * inside
            forces[i] = w
            sum += w
        }
        if sum <= 0 {
            // A CoP outside every kernel (only off the insole): all on the nearest cell.
            forces[nearest] = sample.force
        } else {
            let scale = sample.force / sum
            for i in 0..<cellCount { forces[i] *= scale }
        }
    }

    /// The cell-weighted centre of pressure of a frame, as a gateway computes it from the
    /// stream (nil when the frame carries no force).
    public func centreOfPressure(_ forces: InsoleForces) -> (x: Double, y: Double)? {
        var sum = 0.0, x = 0.0, y = 0.0
        for i in 0..<min(cellCount, forces.count) {
            sum += forces[i]
            x += forces[i] * xs[i]
            y += forces[i] * ys[i]
        }
        guard sum > 0 else { return nil }
        return (x / sum, y / sum)
    }
}
