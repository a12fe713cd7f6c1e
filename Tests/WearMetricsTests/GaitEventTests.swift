import GaitwayTestSupport
import Testing
import WearMetrics

/// Event detection against synthetic walks with known contacts (GaitSynthetic): clean, with
/// 10 % of the frames lost, with a stuck and a saturated cell, and across clock jumps. The
/// issue's bar: median IC and TO error ≤ 10 ms, ≥ 90 % of true events found, < 2 % spurious,
/// and never a stride that spans a fault.
@Suite struct GaitEventTests {
    /// A fault applied to the frames as they are fed.
    enum Fault {
        case none
        case dropFrames(probability: Double, seed: UInt64)
        case stuckCell(cell: Int, from: Double, to: Double)
        case saturatedCell(cell: Int, from: Double, to: Double)
        /// Device time jumps by `by` s at `at` (true time) and keeps the offset.
        case clockJump(at: Double, by: Double)
    }

    struct Run {
        var contacts: [Double] = []
        var toeOffs: [Double] = []
        var strides: [FootStride] = []
        /// Device time minus true time at each frame, to map detected times back.
        /// The most cells the detector left out as stuck or saturated at once.
        var faultyCells = 0
    }

    static func run(_ walk: inout SyntheticGait, foot: FootSide = .left, duration: Double, fault: Fault,
                    cells: Bool = true) -> Run {
        var detector = FootStrideDetector(foot: foot, layout: .gaitpdb(foot))
        var result = Run()
        var drop = SeededGenerator(seed: 0)
        if case let .dropFrames(_, seed) = fault {
            drop = SeededGenerator(seed: seed)
            print("dropping frames, seed \(seed)")
        }
        var stuckValue: Double?
        for k in 0..<Int(duration * 100) {
            let t = Double(k) / 100
            var frame = walk.cells(foot, at: t)
            var deviceTime = t
            switch fault {
            case .none: break
            case let .dropFrames(probability, _):
                if Double.random(in: 0..<1, using: &drop) < probability { continue }
            case let .stuckCell(cell, from, to):
                if t >= from, t < to {
                    if stuckValue == nil { stuckValue = frame[cell] }
                    frame[cell] = stuckValue!
                }
            case let .saturatedCell(cell, from, to):
                if t >= from, t < to { frame[cell] = 2047.5 }
            case let .clockJump(at, by):
                if t >= at { deviceTime = t + by }
            }
            let total = frame.reduce(0, +)
            let output = cells ? detector.process(time: deviceTime, force: total, cells: frame.span)
                : detector.process(time: deviceTime, force: total)
            let offset = deviceTime - t
            result.faultyCells = max(result.faultyCells, detector.faultyCells)
            if let ic = output.contact { result.contacts.append(ic - offset) }
            if let to = output.toeOff { result.toeOffs.append(to - offset) }
            if var stride = output.stride {
                stride.initialContact -= offset
                stride.toeOff -= offset
                stride.nextContact -= offset
                result.strides.append(stride)
            }
        }
        return result
    }

    /// Scores the run against the truth; every stride must be a true one (its IC, TO and next
    /// IC each within 50 ms of true events of one stride).
    static func check(_ walk: SyntheticGait, _ run: Run, foot: FootSide = .left, duration: Double,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        let truthIC = walk.contacts(foot).filter { $0 > 1.5 && $0 < duration - 1.5 }
        let truthTO = walk.toeOffs(foot).filter { $0 > 1.5 && $0 < duration - 1.5 }
        let inside = { (t: Double) in t > 1.5 && t < duration - 1.5 }
        let ic = EventScore(truth: truthIC, detected: run.contacts.filter(inside))
        let to = EventScore(truth: truthTO, detected: run.toeOffs.filter(inside))
        print("IC \(ic); TO \(to); strides \(run.strides.count) of \(truthIC.count - 1)")
        #expect(ic.medianAbsoluteError <= 0.010, sourceLocation: sourceLocation)
        #expect(to.medianAbsoluteError <= 0.010, sourceLocation: sourceLocation)
        #expect(ic.found >= 0.9, sourceLocation: sourceLocation)
        #expect(to.found >= 0.9, sourceLocation: sourceLocation)
        #expect(ic.spuriousShare < 0.02, sourceLocation: sourceLocation)
        #expect(to.spuriousShare < 0.02, sourceLocation: sourceLocation)
        let stances = walk.stances[foot] ?? []
        var bogus = 0
        for stride in run.strides {
            guard let k = stances.firstIndex(where: { abs($0.contact - stride.initialContact) <= 0.05 }),
                  k + 1 < stances.count, abs(stances[k].toeOff - stride.toeOff) <= 0.05,
                  abs(stances[k + 1].contact - stride.nextContact) <= 0.05 else {
                print("not a true stride: IC \(stride.initialContact) TO \(stride.toeOff) next \(stride.nextContact)")
                bogus += 1
                continue
            }
        }
        #expect(bogus == 0, "strides that are not true strides", sourceLocation: sourceLocation)
        #expect(Double(run.strides.count) >= 0.9 * Double(truthIC.count - 1), sourceLocation: sourceLocation)
    }

    @Test(arguments: [false, true])
    func cleanWalk(cells: Bool) {
        var walk = SyntheticGait(seed: 11, duration: 120)
        let run = Self.run(&walk, duration: 120, fault: .none, cells: cells)
        Self.check(walk, run, duration: 120)
        // Stride records carry what the synthetic force says: stance share and impulse.
        let stride = run.strides[run.strides.count / 2]
        #expect(abs(stride.stancePercent - 62) < 1.5)
        #expect(stride.quality > 0.97)
        if cells {
            // The CoP starts at the heel (y −750 of −800…800): rearfoot.
            #expect(stride.strikePattern == .rearfoot)
            #expect(stride.copProgression.map { $0 > 50 } ?? false)
        } else {
            #expect(stride.strikeIndex == nil)
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func tenPercentOfFramesLost(seed: UInt64) {
        var walk = SyntheticGait(seed: 20 + seed, duration: 120)
        let run = Self.run(&walk, duration: 120, fault: .dropFrames(probability: 0.1, seed: seed))
        Self.check(walk, run, duration: 120)
        let quality = run.strides.map(\.quality).reduce(0, +) / Double(run.strides.count)
        #expect(quality > 0.85 && quality < 0.95, "about 90 % of the frames: \(quality)")
    }

    @Test func stuckCell() {
        var walk = SyntheticGait(seed: 31, duration: 120)
        // Stuck in the middle of a stance, while the heel cell carries load.
        let onset = walk.contacts(.left)[30] + 0.08
        let run = Self.run(&walk, duration: 120, fault: .stuckCell(cell: 0, from: onset, to: onset + 30))
        Self.check(walk, run, duration: 120)
        #expect(run.faultyCells == 1)
    }

    @Test func saturatedCell() {
        var walk = SyntheticGait(seed: 32, duration: 120)
        let run = Self.run(&walk, duration: 120, fault: .saturatedCell(cell: 3, from: 40, to: 70))
        Self.check(walk, run, duration: 120)
        #expect(run.faultyCells == 1)
    }

    @Test(arguments: [5.0, -2.0, 0.3])
    func clockJump(by jump: Double) {
        var walk = SyntheticGait(seed: 33, duration: 120)
        let at = 60.005
        let run = Self.run(&walk, duration: 120, fault: .clockJump(at: at, by: jump))
        Self.check(walk, run, duration: 120)
        // No stride is measured across the jump.
        #expect(!run.strides.contains { $0.initialContact < at && $0.nextContact > at })
    }

    @Test func framesThatAreNotNumbersBreakTheStrideAndNothingElse() {
        var walk = SyntheticGait(seed: 35, duration: 40)
        var detector = FootStrideDetector(foot: .left, layout: .gaitpdb(.left))
        var strides: [FootStride] = []
        for k in 0..<4000 {
            let t = Double(k) / 100
            var cells = walk.cells(.left, at: t)
            if k == 2000 { cells[2] = .nan }
            let force = k == 2500 ? Double.infinity : cells.reduce(0, +)
            let output = detector.process(time: t, force: force, cells: cells.span)
            if k == 2000 || k == 2500 { #expect(output.interrupted) }
            if let s = output.stride { strides.append(s) }
        }
        #expect(detector.stanceLevel.isFinite && detector.swingLevel.isFinite)
        #expect(!strides.contains { ($0.initialContact < 20 && $0.nextContact > 20) || ($0.initialContact < 25 && $0.nextContact > 25) })
        #expect(strides.count >= 28)
        #expect(strides.allSatisfy { $0.strideTime.isFinite && $0.peakForce.isFinite && ($0.strikeIndex?.isFinite ?? false) })
    }

    @Test func gapEndsTheStrideInProgress() {
        var walk = SyntheticGait(seed: 34, duration: 30)
        var detector = FootStrideDetector(foot: .left)
        var strides: [FootStride] = []
        for k in 0..<3000 {
            let t = Double(k) / 100
            if k == 1500 { detector.interrupt() }  // a sequence gap reported by the caller
            if let s = detector.process(time: t, force: walk.cells(.left, at: t).reduce(0, +)).stride { strides.append(s) }
        }
        #expect(!strides.contains { $0.initialContact < 15 && $0.nextContact > 15 })
        #expect(strides.count >= 20)
    }
}
