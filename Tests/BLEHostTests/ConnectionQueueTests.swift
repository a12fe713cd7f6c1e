import BLEHost
import BLEWire
import Testing

/// The wait list's rules: which refusals teach a limit, the first report in full, then
/// changes at most once per interval.
@Suite struct ConnectionQueueTests {
    static func address(_ index: Int) -> BDAddress { BDAddress(rawValue: 0xC0_00_00_00_00_00 + UInt64(index)) }

    @Test(arguments: [(UInt8(0x07), true), (0x09, true), (0x0D, true), (0x3E, false), (0x0C, false), (0x12, false)])
    func onlyLackOfRoomTeachesALimit(_ status: UInt8, _ teaches: Bool) {
        var queue = ConnectionQueue()
        let learned = queue.refused(status: status, links: 5, at: 0)
        #expect(learned == teaches)
        #expect(queue.learnedLimit == (teaches ? 5 : nil))
    }

    @Test func aRefusalWithNoLinkOpenIsAnOrdinaryFailure() {
        var queue = ConnectionQueue()
        let learned = queue.refused(status: HCIStatusCode.connectionLimitExceeded, links: 0, at: 0)
        #expect(!learned)
        #expect(queue.learnedLimit == nil)
    }

    @Test func theLimitOnlyGoesDown() {
        var queue = ConnectionQueue()
        let learned = [(HCIStatusCode.connectionLimitExceeded, 64), (HCIStatusCode.limitedResources, 60),
                       (HCIStatusCode.connectionLimitExceeded, 62)].map { queue.refused(status: $0, links: $1, at: 0) }
        #expect(learned == [true, true, true])
        #expect(queue.learnedLimit == 60)
    }

    @Test func aLearnedLimitIsProbedAgainAfterTheInterval() {
        var queue = ConnectionQueue(probeInterval: 300)
        _ = queue.refused(status: HCIStatusCode.limitedResources, links: 10, at: 100)
        let kept = [queue.limit(at: 101), queue.limit(at: 399.9)]
        #expect(kept == [10, 10])
        let probed = queue.limit(at: 400)
        #expect(probed == nil)
        #expect(queue.learnedLimit == 10, "the wait list keeps to it while probing")
        // The probe got a link, refused at 11: the new limit holds until the next probe.
        _ = queue.refused(status: HCIStatusCode.limitedResources, links: 11, at: 401)
        let renewed = [queue.limit(at: 402), queue.limit(at: 701)]
        #expect(renewed == [11, nil])
    }

    @Test func theWaitingDevicesAreReportedOnceThenTheirChangesAtALowRate() throws {
        var queue = ConnectionQueue(reportInterval: 30)
        let nobody = queue.update(waiting: [], limit: 64, at: 0)
        #expect(nobody == nil)
        let first = Set((0..<132).map(Self.address))
        let report = queue.update(waiting: first, limit: 64, at: 1)
        #expect(report == .devicesWaiting(limit: 64, waiting: first.sorted()))
        // The same set, and changes within the interval, say nothing more.
        var events: [CentralEvent] = []
        var current = first
        for second in 2...30 {
            current.remove(Self.address(second))  // one connects every second
            current.insert(Self.address(1000 + second))  // and another starts waiting
            if let event = queue.update(waiting: current, limit: 64, at: Double(second)) { events.append(event) }
        }
        #expect(events.isEmpty, "\(events)")
        #expect(queue.waiting == current)
        let later = queue.update(waiting: current, limit: 64, at: 31.5)
        let event = try #require(later)
        guard case let .waitingChanged(limit, waiting, joined, left) = event else {
            Issue.record("\(event)")
            return
        }
        #expect(limit == 64 && waiting == 132)
        #expect(joined == (2...30).map { Self.address(1000 + $0) })
        #expect(left == (2...30).map(Self.address))
        #expect(event.description.hasPrefix("132 devices wait for a link (limit 64); since the last report 29 started waiting ("))
        // Nobody waits any more: said once, after the interval.
        let tooSoon = queue.update(waiting: [], limit: 64, at: 40)
        #expect(tooSoon == nil)
        let cleared = queue.update(waiting: [], limit: 64, at: 62)
        let empty = try #require(cleared)
        #expect(empty.description == "no device waits for a link any more (limit 64)")
        let unchanged = queue.update(waiting: [], limit: 64, at: 100)
        #expect(unchanged == nil)
    }
}
