/// Formats capture timestamps (microseconds since 1970-01-01T00:00:00Z, as btsnoop
/// records give them once rebased) as ISO 8601 with microseconds: `2026-11-21T10:00:00.123456Z`.
public enum CaptureTime {
    public static func iso8601(microseconds: Int64) -> String {
        ISO8601Time.format(micros: microseconds, fractionDigits: 6)
    }
}
