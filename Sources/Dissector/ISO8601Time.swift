/// UTC timestamps as ISO 8601 text (`2026-11-22T03:01:12.250Z`) from microseconds since the
/// Unix epoch and back, without Foundation's formatters: `gaitway query` prints millions.
///
/// Both directions are total: every `Int64` formats (years outside 0000-9999 in ISO 8601's
/// expanded form, `+10000`, `-0001`), and parsing answers a time or a ``ParseError`` that
/// says what is wrong with the text, never a trap.
public enum ISO8601Time {
    /// The earliest instant ``micros(parsing:)`` accepts: 0000-01-01T00:00:00Z (proleptic
    /// Gregorian), the first of the four-digit years that ISO 8601 and RFC 3339 §5.6 write
    /// without an agreed expanded form.
    public static let earliestMicros: Int64 = days(year: 0, month: 1, day: 1) * microsPerDay
    /// The latest: 9999-12-31T23:59:59.999999Z.
    public static let latestMicros: Int64 = days(year: 10_000, month: 1, day: 1) * microsPerDay - 1

    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400 * microsPerSecond

    /// Why a text is not a time ``micros(parsing:)`` accepts.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// Neither an ISO 8601 date or date-time nor a number.
        case notATime(String)
        /// A number of seconds or a time outside years 0000-9999.
        case outOfRange(String)
        /// A day the month does not have (2026-02-30, 2026-04-31) or month 13.
        case impossibleDate(String, detail: String)
        /// Hour 24 or more, minute or second 60 or more.
        case impossibleTime(String, detail: String)
        /// An offset other than ±hh:mm, ±hhmm or ±hh with hh up to 23 and mm up to 59.
        case invalidOffset(String)

        public var description: String {
            switch self {
            case .notATime(let text):
                "'\(text)' is not an ISO 8601 time (2026-11-22T03:00:00Z, 2026-11-22T04:00+01:00, 2026-11-22) " +
                    "or a number of seconds since the epoch"
            case .outOfRange(let text):
                "'\(text)' is outside the times accepted, 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z " +
                    "(\(ISO8601Time.earliestMicros / ISO8601Time.microsPerSecond) to " +
                    "\(ISO8601Time.latestMicros / ISO8601Time.microsPerSecond) seconds since the epoch)"
            case .impossibleDate(let text, let detail): "'\(text)': \(detail)"
            case .impossibleTime(let text, let detail): "'\(text)': \(detail)"
            case .invalidOffset(let text):
                "'\(text)': the offset from UTC must be Z, ±hh:mm, ±hhmm or ±hh (hours 00-23, minutes 00-59)"
            }
        }
    }

    /// Formats with 0, 3 or 6 fraction digits (fractions truncated, as times are: 12.9996 s
    /// is still second 12).
    public static func format(micros: Int64, fractionDigits: Int = 3) -> String {
        // Floor divisions by remainder: `micros - 999_999` would overflow near Int64.min.
        let (secondQuotient, secondRemainder) = micros.quotientAndRemainder(dividingBy: microsPerSecond)
        let seconds = secondRemainder < 0 ? secondQuotient - 1 : secondQuotient
        let fraction = secondRemainder < 0 ? secondRemainder + microsPerSecond : secondRemainder
        let (dayQuotient, dayRemainder) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = dayRemainder < 0 ? dayQuotient - 1 : dayQuotient
        let secondOfDay = dayRemainder < 0 ? dayRemainder + 86_400 : dayRemainder
        let (year, month, day) = civil(days: days)
        var text = yearText(year) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        switch fractionDigits {
        case 3: text += "." + pad(fraction / 1000, 3)
        case 6: text += "." + pad(fraction, 6)
        default: break
        }
        return text + "Z"
    }

    /// Parses an instant, or nil for anything ``micros(parsing:)`` refuses.
    public static func parse(_ text: String) -> Int64? {
        try? micros(parsing: text)
    }

    /// Microseconds since the epoch of one of (RFC 3339 §5.6, and what ISO 8601 adds to it):
    ///
    /// - a date-time `2026-11-22T03:01:12Z`: `T`, `t` or a space between date and time;
    ///   seconds optional (`03:01Z`); a fraction of the second after `.` or `,` (digits
    ///   beyond the microsecond are dropped); then `Z`, an offset `+hh:mm`, `+hhmm` or
    ///   `+hh`, or nothing for UTC;
    /// - a date alone, `2026-11-22`: midnight UTC;
    /// - a number of seconds since the epoch: `1795305600`, `-5`, `1795305600.25`, `1.7e9`.
    ///
    /// Refused with a ``ParseError``: days a month does not have (February 30, February 29
    /// outside leap years), hour 24 and beyond, minute 60, second 60 (a leap second: the
    /// gateway's clock is POSIX time, which has no 23:59:60), and instants outside years
    /// 0000-9999 (the store's times are µs in an Int64; years beyond 9999 need ISO 8601's
    /// expanded form, which senders would have to agree on).
    public static func micros(parsing text: String) throws(ParseError) -> Int64 {
        let characters = Array(text.utf8)
        if let micros = try secondsSinceEpoch(characters, text: text) { return micros }
        var reader = Reader(characters: characters)
        guard let year = reader.digits(4), reader.take(0x2D), let month = reader.digits(2), reader.take(0x2D),
              let day = reader.digits(2)
        else { throw .notATime(text) }
        guard (1...12).contains(month) else { throw .impossibleDate(text, detail: "there is no month \(month)") }
        let length = daysIn(month: month, year: year)
        guard (1...length).contains(day) else {
            throw .impossibleDate(text, detail: "\(monthNames[Int(month) - 1]) \(pad(year, 4)) has \(length) days")
        }
        var micros = days(year: year, month: month, day: day) * microsPerDay
        if reader.isAtEnd { return micros }

        guard reader.take(0x54) || reader.take(0x74) || reader.take(0x20), let hour = reader.digits(2), reader.take(0x3A),
              let minute = reader.digits(2)
        else { throw .notATime(text) }
        var second: Int64 = 0
        if reader.take(0x3A) {
            guard let digits = reader.digits(2) else { throw .notATime(text) }
            second = digits
        }
        guard hour < 24 else {
            throw .impossibleTime(text, detail: "hours go from 00 to 23 (for the end of a day give the next day's 00:00)")
        }
        guard minute < 60 else { throw .impossibleTime(text, detail: "minutes go from 00 to 59") }
        guard second < 60 else {
            throw .impossibleTime(text, detail: second == 60
                ? "leap seconds (:60) are refused: the gateway's clock is POSIX time, which has no 23:59:60"
                : "seconds go from 00 to 59")
        }
        micros += ((hour * 60 + minute) * 60 + second) * microsPerSecond
        if reader.take(0x2E) || reader.take(0x2C) {
            guard let fraction = reader.fraction() else { throw .notATime(text) }
            micros += fraction
        }
        if reader.isAtEnd { return try checked(micros, text) }  // no zone: UTC

        if reader.take(0x5A) || reader.take(0x7A) {
            guard reader.isAtEnd else { throw .notATime(text) }
            return try checked(micros, text)
        }
        let sign: Int64
        if reader.take(0x2B) { sign = 1 } else if reader.take(0x2D) { sign = -1 } else { throw .notATime(text) }
        guard let hours = reader.digits(2) else { throw .invalidOffset(text) }
        var minutes: Int64 = 0
        if !reader.isAtEnd {
            _ = reader.take(0x3A)
            guard let digits = reader.digits(2), reader.isAtEnd else { throw .invalidOffset(text) }
            minutes = digits
        }
        guard hours < 24, minutes < 60 else { throw .invalidOffset(text) }
        // The local time minus its offset is UTC.
        return try checked(micros - sign * (hours * 60 + minutes) * 60 * microsPerSecond, text)
    }

    /// A number of seconds since the epoch, or nil if `characters` is not a number. Plain
    /// decimals (`-5`, `1795305600.25`) are read exactly, digit by digit; other forms
    /// Swift's `Double` reads (`1e13`, `1.7E9`) through a range check before the
    /// conversion, since `Int64(_:)` of a Double beyond ±9.2e18 traps.
    static func secondsSinceEpoch(_ characters: [UInt8], text: String) throws(ParseError) -> Int64? {
        var reader = Reader(characters: characters)
        let negative = reader.take(0x2D)
        if !negative { _ = reader.take(0x2B) }
        var whole: Int64 = 0, digits = 0
        let limit = latestMicros / microsPerSecond + 1
        while let digit = reader.digits(1) {
            // Past the limit only the count of digits matters: the number is out of range.
            if whole <= limit { whole = whole * 10 + digit }
            digits += 1
        }
        var fraction: Int64 = 0
        if digits > 0, reader.take(0x2E) {
            guard let value = reader.fraction() else { return try double(text) }
            fraction = value
        }
        guard digits > 0, reader.isAtEnd else { return try double(text) }
        guard whole <= limit else { throw .outOfRange(text) }
        let micros = whole * microsPerSecond + fraction
        return try checked(negative ? -micros : micros, text)
    }

    /// Seconds in a form only `Double` reads, range-checked before the conversion.
    static func double(_ text: String) throws(ParseError) -> Int64? {
        guard let seconds = Double(text), !seconds.isNaN else { return nil }
        let micros = (seconds * Double(microsPerSecond)).rounded()
        // Compared as Doubles: both bounds are well inside Int64's range, so the
        // conversion below cannot trap.
        guard micros >= Double(earliestMicros), micros <= Double(latestMicros) else { throw .outOfRange(text) }
        return try checked(Int64(micros), text)
    }

    static func checked(_ micros: Int64, _ text: String) throws(ParseError) -> Int64 {
        guard (earliestMicros...latestMicros).contains(micros) else { throw .outOfRange(text) }
        return micros
    }

    /// A cursor over the text's UTF-8 bytes.
    struct Reader {
        let characters: [UInt8]
        var index = 0

        var isAtEnd: Bool { index == characters.count }

        mutating func take(_ character: UInt8) -> Bool {
            guard index < characters.count, characters[index] == character else { return false }
            index += 1
            return true
        }

        /// Exactly `count` decimal digits (count at most 18, so the value fits an Int64).
        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= characters.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let digit = characters[index + offset]
                guard digit >= 0x30, digit <= 0x39 else { return nil }
                value = value * 10 + Int64(digit - 0x30)
            }
            index += count
            return value
        }

        /// One or more fraction digits as microseconds; digits past the sixth are read and dropped.
        mutating func fraction() -> Int64? {
            var micros: Int64 = 0, scale: Int64 = 100_000, count = 0
            while let digit = digits(1) {
                micros += digit * scale
                scale /= 10
                count += 1
            }
            return count > 0 ? micros : nil
        }
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// Days in a month of the proleptic Gregorian calendar (leap years: divisible by 4,
    /// centuries only when divisible by 400).
    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padded = digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
        return value < 0 ? "-" + padded : padded
    }

    /// Four digits for years 0000-9999; outside them ISO 8601's expanded form, a sign and
    /// the digits (`+10000`, `-0001`).
    static func yearText(_ year: Int64) -> String {
        if year < 0 { return pad(year, 4) }
        return year > 9999 ? "+" + pad(year, 4) : pad(year, 4)
    }

    /// Days since 1970-01-01 to year, month, day (Howard Hinnant's civil_from_days). Total
    /// for the days an Int64 of microseconds spans (about ±1.07e8).
    static func civil(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Year, month, day to days since 1970-01-01 (days_from_civil).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
