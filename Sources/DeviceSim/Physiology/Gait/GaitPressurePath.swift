/// Where the centre of pressure runs during a stance, per strike pattern, in gaitpdb units.
///
/// The heel-strike path is the median CoP of gaitpdb's healthy control GaCo01 (walk 01, left
/// foot, 93 strides; y from the 8 cells, at 2 %, 11.6 %, … 98 % of stance), corrected for the
/// smoothing of ``InsoleCellMap``'s kernel so that the cell-weighted CoP of the model lands on
/// the measured one. It rolls heel → lateral midfoot → metatarsal heads → hallux. The midfoot
/// and forefoot paths are ours, shaped on the same grid: a midfoot strike lands at y ≈ −250;
/// a forefoot strike lands under the metatarsal heads, drifts back while the heel lowers, then
/// rolls forward. `u` is the lateral offset from the insole's centre line (x = ∓(500 + u)).
enum GaitPressurePath {
    static let first = 0.02
    static let step = 0.096
    static let heel: InlineArray<11, Double> = [-861, -382, -300, -211, -148, -94, -9, 143, 316, 412, 523]
    static let midfoot: InlineArray<11, Double> = [-250, -215, -185, -150, -110, -65, 5, 145, 316, 412, 523]
    static let forefoot: InlineArray<11, Double> = [380, 180, 90, 60, 75, 110, 170, 260, 360, 440, 540]
    static let lateral: InlineArray<11, Double> = [9, 27, 25, 28, 30, 31, 29, 19, -1, -24, -47]
    /// Quiet standing: weight a little behind the middle of the foot.
    static let standingY = -150.0

    /// Index and fraction into the tables for stance phase `p`.
    @inline(__always)
    static func locate(_ p: Double) -> (Int, Double) {
        let position = min(max((p - first) / step, 0), 10)
        let index = min(Int(position), 9)
        return (index, position - Double(index))
    }

    @inline(__always)
    static func value(_ table: InlineArray<11, Double>, _ index: Int, _ fraction: Double) -> Double {
        table[index] + (table[index + 1] - table[index]) * fraction
    }
}
