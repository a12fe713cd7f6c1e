import Foundation
import Synchronization

/// A request to stop, shared between the service that receives the shutdown (on Swift
/// concurrency) and the BLE thread that must notice it.
///
/// The BLE thread checks ``isRequested`` between reads (an atomic load: every 5-50 ms) and
/// waits with ``wait(seconds:)`` instead of sleeping, so a stop ends a backoff at once.
public final class StopRequest: Sendable {
    private let requested = Atomic<Bool>(false)
    private let condition = NSConditionBox()

    public init() {}

    public var isRequested: Bool { requested.load(ordering: .acquiring) }

    /// Asks the BLE thread to stop; wakes it if it is waiting.
    public func request() {
        requested.store(true, ordering: .releasing)
        condition.broadcast()
    }

    /// Waits up to `seconds` or until a stop is requested. Returns false if it was.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        condition.wait(until: Date(timeIntervalSinceNow: max(0, seconds))) { self.isRequested }
        return !isRequested
    }
}

/// NSCondition is thread-safe but not marked Sendable in corelibs-foundation.
private final class NSConditionBox: @unchecked Sendable {
    let condition = NSCondition()

    func broadcast() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    func wait(until deadline: Date, done: () -> Bool) {
        condition.lock()
        defer { condition.unlock() }
        while !done() {
            if !condition.wait(until: deadline) { return }
        }
    }
}
