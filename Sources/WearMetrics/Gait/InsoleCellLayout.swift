/// Which foot an insole is under.
public enum FootSide: String, Sendable, Equatable, CaseIterable, Encodable {
    case left, right

    public var other: FootSide { self == .left ? .right : .left }
}

/// Where an insole's force cells are, for the centre of pressure: each cell's (x, y), +y
/// forward along the foot, and the heel-to-toe span that foot length is measured on.
///
/// The positions come from the device's Protocols spec (`geometry:` in
/// Protocols/gaitway-insole.yaml, 8 or 16 cells) or from a file's documentation (gaitpdb:
/// ../shared/data/gaitpdb/format.txt); nothing here knows a layout but the gaitpdb one it
/// offers for convenience. Units are whatever the source uses (gaitpdb's are arbitrary):
/// every CoP metric is a % of foot length, so units cancel.
public struct InsoleCellLayout: Sendable, Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        guard a.cellCount == b.cellCount, a.heelY == b.heelY, a.toeY == b.toeY else { return false }
        for i in 0..<a.cellCount where a.xs[i] != b.xs[i] || a.ys[i] != b.ys[i] { return false }
        return true
    }

    public static let maximumCells = 16
    public let cellCount: Int
    /// Heel and toe ends of the foot along y. The CoP cannot leave the cells' hull, so the
    /// default is the cells' own y range: the strike index then runs 0 % (the last heel row)
    /// to 100 % (the last toe row).
    public let heelY: Double
    public let toeY: Double
    var xs: InlineArray<16, Double>
    var ys: InlineArray<16, Double>

    /// Nil when there are no cells, more than ``maximumCells``, or the heel is not behind the toe.
    public init?(cells: [(x: Double, y: Double)], heelY: Double? = nil, toeY: Double? = nil) {
        guard !cells.isEmpty, cells.count <= Self.maximumCells else { return nil }
        let minY = cells.map(\.y).min()!, maxY = cells.map(\.y).max()!
        let heel = heelY ?? minY, toe = toeY ?? maxY
        guard toe > heel, heel.isFinite, toe.isFinite else { return nil }
        cellCount = cells.count
        self.heelY = heel
        self.toeY = toe
        xs = .init(repeating: 0)
        ys = .init(repeating: 0)
        for (i, cell) in cells.enumerated() {
            xs[i] = cell.x
            ys[i] = cell.y
        }
    }

    /// Cell `i`'s position.
    public func position(ofCell i: Int) -> (x: Double, y: Double) { (xs[i], ys[i]) }

    public var footLength: Double { toeY - heelY }

    /// gaitpdb's 8 cells (format.txt, L1…L8 / R1…R8 = cells 0…7; also gaitway-insole's 8-cell
    /// layout): heel cell at y −800, toe cell at +800, x mirrored between the feet.
    public static func gaitpdb(_ foot: FootSide) -> InsoleCellLayout {
        let side = foot == .left ? -1.0 : 1.0
        let cells: [(x: Double, y: Double)] = [(500, -800), (700, -400), (300, -400), (700, 0), (300, 0),
                                               (700, 400), (300, 400), (500, 800)]
        return InsoleCellLayout(cells: cells.map { (side * $0.x, $0.y) })!
    }
}

/// Rearfoot, midfoot or forefoot strike, by the strike index's third of the foot
/// (Cavanagh & Lafortune, J Biomech 13:397, 1980).
public enum FootStrikePattern: Int, Sendable, Equatable, CaseIterable, Encodable {
    case rearfoot = 0, midfoot = 1, forefoot = 2

    /// From a strike index in % of foot length from the heel.
    public init(strikeIndex: Double) {
        self = strikeIndex < 100.0 / 3 ? .rearfoot : strikeIndex > 200.0 / 3 ? .forefoot : .midfoot
    }
}
