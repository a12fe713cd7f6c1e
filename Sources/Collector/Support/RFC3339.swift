import NIOCore

/// Times in the reader API: RFC 3339 date-times (`2026-12-02T21:59:11.123456Z`) in responses,
/// RFC 3339 date-times or full dates (`2026-12-02`, midnight UTC) in query parameters.
///
/// Written by hand rather than with Foundation's `ISO8601DateFormatter`, which keeps
/// milliseconds only: samples carry microseconds. The civil-date arithmetic is Howard
/// Hinnant's `days_from_civil` / `civil_from_days` (chrono-Compatible Low-Level Date
/// Algorithms, http://howardhinnant.github.io/date_algorithms.html), exact over the
/// proleptic Gregorian calendar.
enum RFC3339 {
    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400 * microsPerSecond

    /// µs since the Unix epoch -> `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, always six digits).
    static func format(micros: Int64) -> String {
        var buffer = ByteBufferAllocator().buffer(capacity: 27)
        write(micros: micros, into: &buffer)
        return String(buffer: buffer)
    }

    /// ``format(micros:)``'s text written into `buffer`, with no string in between: 27
    /// bytes (more only for years beyond 9999 or before 1 CE) stored in one reserved run.
    static func write(micros: Int64, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximumBytes) { bytes in
            write(micros: micros, into: bytes, at: 0)
        }
    }

    /// The most bytes ``write(micros:into:)`` writes (a sign and a six-digit year at most).
    static let maximumBytes = 40

    /// ``format(micros:)``'s text stored at `start` in `bytes` (``maximumBytes`` at most);
    /// returns the offset after it.
    static func write(micros: Int64, into bytes: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        let days = micros >= 0 ? micros / microsPerDay : (micros - microsPerDay + 1) / microsPerDay
        let ofDay = micros - days * microsPerDay
        let (year, month, day) = civil(fromDays: days)
        let seconds = ofDay / microsPerSecond
        var offset = start
        func put(_ byte: UInt8) {
            bytes[offset] = byte
            offset += 1
        }
        // `value` in decimal, zero-padded to at least `width` digits.
        func digits(_ value: UInt64, _ width: Int) {
            var count = 1
            var rest = value / 10
            while rest > 0 { count += 1; rest /= 10 }
            let end = offset + max(count, width)
            var remaining = value
            var place = end
            while place > offset {
                place -= 1
                bytes[place] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            offset = end
        }
        if year < 0 { put(UInt8(ascii: "-")) }
        digits(year.magnitude, 4)
        put(UInt8(ascii: "-"))
        digits(UInt64(month), 2)
        put(UInt8(ascii: "-"))
        digits(UInt64(day), 2)
        put(UInt8(ascii: "T"))
        digits(UInt64(seconds / 3600), 2)
        put(UInt8(ascii: ":"))
        digits(UInt64(seconds / 60 % 60), 2)
        put(UInt8(ascii: ":"))
        digits(UInt64(seconds % 60), 2)
        put(UInt8(ascii: "."))
        digits(UInt64(ofDay % microsPerSecond), 6)
        put(UInt8(ascii: "Z"))
        return offset
    }

    /// A date (`YYYY-MM-DD`, taken as 00:00 UTC) or an RFC 3339 date-time with `Z` or a
    /// numeric offset and up to nine fraction digits (cut to µs) -> µs since the Unix epoch.
    /// Nil for anything else, and for years outside 1...9999.
    static func parse(_ text: some StringProtocol) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + width] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += width
            return value
        }
        func expect(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue! else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        let midnight = days(year: year, month: month, day: day) * microsPerDay
        if index == bytes.count { return midnight }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t") else { return nil }
        index += 1
        guard let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
              hour < 24, minute < 60, second < 60 else { return nil }
        var fraction: Int64 = 0
        if expect(".") {
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if digits < 6 { fraction = fraction * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard (1...9).contains(digits) else { return nil }
            if digits < 6 { for _ in digits..<6 { fraction *= 10 } }
        }
        var offsetSeconds: Int64 = 0
        if expect("Z") || expect("z") {
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            index += 1
            guard let offsetHour = number(2), expect(":"), let offsetMinute = number(2), offsetHour < 24,
                  offsetMinute < 60 else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        return midnight + ((hour * 60 + minute) * 60 + second - offsetSeconds) * microsPerSecond + fraction
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// days_from_civil: days since 1970-01-01.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// civil_from_days.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
