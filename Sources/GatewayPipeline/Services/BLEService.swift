import Foundation
import GatewayStore
import Logging
import ServiceLifecycle

/// The BLE service: ``GatewayRunner``'s synchronous loop (blocking polls on the HCI file
/// descriptor, timers between reads) on one dedicated thread, never on the cooperative pool.
///
/// A graceful shutdown (SIGTERM, SIGINT) or a cancellation sets the runner's
/// ``StopRequest``; the loop notices within its read timeout (≤ 50 ms), disconnects, and
/// the service hands the last batch to the store queue and ends it, so that the store
/// service commits everything before it stops. The service returns when the run is over
/// (the duration passed, or a simulation ended); the group then shuts the others down.
public final class BLEService: Service, @unchecked Sendable {
    // @unchecked: the runner and its host are touched only by the BLE thread once `run`
    // starts it; the other threads share only `StopRequest` and the queue, which are Sendable.
    let runner: GatewayRunner
    let queue: StoreQueue
    let duration: Double?
    let logger: Logger

    public init(runner: GatewayRunner, queue: StoreQueue, duration: Double?, logger: Logger) {
        self.runner = runner
        self.queue = queue
        self.duration = duration
        self.logger = logger
    }

    public func run() async throws {
        let stop = runner.stop
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await onDedicatedThread(name: "gaitway-ble") { [self] in
                    defer { runner.ingest.finish(into: queue) }
                    try runner.run(duration: duration)
                }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            stop.request()
        }
        logger.debug("BLE service stopped")
    }
}

/// Runs `body` on a new thread of its own and waits for it without holding a cooperative
/// thread: the continuation resumes when the thread ends.
func onDedicatedThread(name: String, _ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        let thread = Thread {
            do {
                try body()
                continuation.resume()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.name = name
        // The central host's loop keeps small stacks; 1 MiB is plenty and bounds memory.
        thread.stackSize = 1 << 20
        thread.start()
    }
}
