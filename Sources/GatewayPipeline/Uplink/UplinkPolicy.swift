import Foundation

/// What the uplink does after one POST of a batch: the HTTP semantics of RFC 9110 applied to
/// an idempotent upload, with no I/O, so that every case is tested without a server.
///
/// - 2xx: delivered; the cursor moves.
/// - 408, 425, 429, 500, 502, 503, 504, and no answer at all (refused, reset, timed out):
///   transient; the same batch again after a backoff, or after `Retry-After` when the
///   answer carries one (RFC 9110 section 10.2.3; 429 is RFC 6585 section 4).
/// - 413 (Content Too Large, RFC 9110 section 15.5.14): the collector, or a proxy before
///   it, takes smaller bodies than this gateway's batches: the uplink halves its batches
///   until one goes through, and parks the batch only when it cannot be made smaller.
/// - 400, 415, 422: this batch is refused for what it holds (malformed, an encoding the
///   collector lacks), and sending it again cannot help: parked, the uplink goes on with the
///   next one.
/// - any other status (401 or 403 for a wrong token, 404 for a wrong URL, 3xx, 501, ...): a
///   configuration problem, not the batch's: parking would throw away every batch until
///   someone fixes it, so the batch is retried at the longest backoff instead, and the
///   problem logged.
public enum UplinkOutcome: Sendable, Equatable {
    case delivered
    case retry(after: Duration, reason: String)
    case park(status: Int, reason: String)
    case tooLarge(reason: String)

    /// The outcome of an answer with `status`, its `Retry-After` header and a short reason
    /// (the collector's error message), or of no answer (`status` nil, `reason` the error).
    /// `attempt` counts the failures of this batch so far (0 for the first).
    public static func of(status: Int?, retryAfter: String?, reason: String, attempt: Int,
                          backoff: UplinkBackoff, now: Date, random: inout some RandomNumberGenerator) -> UplinkOutcome {
        guard let status else {
            return .retry(after: backoff.delay(attempt: attempt, random: &random), reason: reason)
        }
        switch status {
        case 200..<300:
            return .delivered
        case 408, 425, 429, 500, 502, 503, 504:
            let delay = retryAfter.flatMap { UplinkBackoff.retryAfter($0, now: now) }
                .map { min($0, backoff.maximum) } ?? backoff.delay(attempt: attempt, random: &random)
            return .retry(after: delay, reason: "HTTP \(status): \(reason)")
        case 413:
            return .tooLarge(reason: reason)
        case 400, 415, 422:
            return .park(status: status, reason: reason)
        default:
            return .retry(after: backoff.maximum, reason: "HTTP \(status) (check --upload and --token): \(reason)")
        }
    }
}

/// Exponential backoff with full jitter: the n-th retry waits a uniformly random time in
/// `0 ... min(maximum, initial * 2^n)` ("Exponential Backoff And Jitter", AWS Architecture
/// Blog, 2015), so that many gateways that lost the collector at once do not come back in
/// step. At least `floor`, so a failing loop never spins.
public struct UplinkBackoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var floor: Duration

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(300),
                floor: Duration = .milliseconds(50)) {
        self.initial = initial
        self.maximum = maximum
        self.floor = floor
    }

    public func delay(attempt: Int, random: inout some RandomNumberGenerator) -> Duration {
        let ceiling = min(Self.seconds(maximum), Self.seconds(initial) * pow(2, Double(min(max(attempt, 0), 62))))
        let chosen = Double.random(in: 0...ceiling, using: &random)
        return .milliseconds(Int64((max(chosen, Self.seconds(floor)) * 1000).rounded()))
    }

    /// A duration in seconds.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// A `Retry-After` value (RFC 9110 section 10.2.3): delay-seconds, or an HTTP-date
    /// (IMF-fixdate, section 5.6.7) from which the delay is counted from `now`; nil when it
    /// is neither. A date in the past is no delay.
    public static func retryAfter(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            return .seconds(Int64(text.prefix(9)) ?? 0)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64((max(0, date.timeIntervalSince(now)) * 1000).rounded()))
    }
}
