import Testing
import WearMetrics

@Suite struct CounterUnwrapperTests {
    @Test func wrapsForwardAndReadsReorderingBack() {
        var unwrapper = CounterUnwrapper(modulus: 1 << 32)
        #expect(unwrapper.value == nil)
        #expect(unwrapper.advance(to: 4_294_967_290) == (4_294_967_290, false))
        #expect(unwrapper.advance(to: 10) == (4_294_967_306, true))
        // A value from before the wrap, arriving late: a step back, not a second wrap.
        #expect(unwrapper.advance(to: 4_294_967_295) == (4_294_967_295, false))
        #expect(unwrapper.advance(to: 20) == (4_294_967_316, false))
        #expect(unwrapper.unwrapped(30) == 4_294_967_326 && unwrapper.value == 4_294_967_316)
    }

    /// A step back of exactly half the range is a step back; one more is a wrap.
    @Test func halfTheRange() {
        var unwrapper = CounterUnwrapper(modulus: 100)
        unwrapper.advance(to: 60)
        #expect(unwrapper.unwrapped(10) == 10)  // back by 50
        #expect(unwrapper.unwrapped(9) == 109)  // back by 51: a wrap
        #expect(unwrapper.unwrapped(99) == 99)  // forward by 39
        var odd = CounterUnwrapper(modulus: 5)
        odd.advance(to: 3)
        #expect(odd.unwrapped(1) == 1 && odd.unwrapped(0) == 5)  // back by 2, back by 3
    }

    @Test func stepBackBeforeTheFirstLap() {
        var unwrapper = CounterUnwrapper(modulus: 1 << 16)
        unwrapper.advance(to: 3)
        #expect(unwrapper.advance(to: 65_530) == (-6, false))
        #expect(unwrapper.advance(to: 5) == (5, false))
        #expect(unwrapper.advance(to: 30_000) == (30_000, false))
        #expect(unwrapper.advance(to: 60_000) == (60_000, false))
        #expect(unwrapper.advance(to: 10_000) == (75_536, true))
    }

    @Test func restartForgetsLaps() {
        var unwrapper = CounterUnwrapper(modulus: 1000)
        unwrapper.advance(to: 900)
        unwrapper.advance(to: 100)
        #expect(unwrapper.value == 1100)
        unwrapper.restart(at: 7)
        #expect(unwrapper.value == 7)
        #expect(unwrapper.advance(to: 800) == (-200, false))  // back by 207
        #expect(unwrapper.advance(to: 100) == (100, false))
        #expect(unwrapper.advance(to: 500) == (500, false))
        #expect(unwrapper.advance(to: 900) == (900, false))
        #expect(unwrapper.advance(to: 300) == (1300, true))
    }
}
