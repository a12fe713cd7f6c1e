import Foundation

/// Blocking work of a test (a child process waited to its end, a real-time host loop) run on
/// a thread of its own while the test awaits it.
///
/// Swift Testing runs every test of the process as a task on the cooperative pool, which has
/// one thread per core: two on the CI machine. A test that blocks its pool thread for half a
/// minute takes that thread from every other test, and a test queued behind two of them
/// overran its one-minute time limit before its body had started (CI run of 2026-12-03:
/// every suite reported done at 133 s, `sigtermStopsTheGatewayCleanly` failed on its limit
/// with no expectation failing). Waiting here costs the pool nothing.
public enum OwnThread {
    /// Runs `body` on a new thread and returns what it returned or throws what it threw.
    /// `body` runs to its end before this returns, so it may use the caller's state; expectations
    /// belong after the call, where Swift Testing knows which test records them.
    public static func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        let work = Unchecked(body)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Unchecked<T>, any Error>) in
            Thread {
                do { continuation.resume(returning: Unchecked(try work.value())) } catch { continuation.resume(throwing: error) }
            }.start()
        }.value
    }

    /// A value handed to the thread and back; the caller awaits the thread, so at most one
    /// side touches it at a time.
    public struct Unchecked<Value>: @unchecked Sendable {
        public let value: Value
        init(_ value: Value) { self.value = value }
    }
}
