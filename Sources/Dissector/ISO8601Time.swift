/// UTC timestamps as ISO 8601 text (`2026-11-22T03:01:12.250Z`) from microseconds since the
/// Unix epoch and back, without Foundation's formatters: `gaitway query` prints millions.
public enum ISO8601Time {
    /// Formats with 0, 3 or 6 fraction digits.
    public static func format(micros: Int64, fractionDigits: Int = 3) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(days: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        switch fractionDigits {
        case 3: text += "." + pad(fraction / 1000, 3)
        case 6: text += "." + pad(fraction, 6)
        default: break
        }
        return text + "Z"
    }

    /// Parses `2026-11-22T03:01:12Z`, with fractional seconds and with a `+hh:mm` offset,
    /// or a date alone (`2026-11-22`, midnight UTC), or plain seconds since the epoch.
    public static func parse(_ text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite { return Int64((seconds * 1_000_000).rounded()) }
        let characters = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= characters.count else { return nil }
            var value: Int64 = 0
            for index in range {
                let digit = characters[index]
                guard digit >= 0x30, digit <= 0x39 else { return nil }
                value = value * 10 + Int64(digit - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), characters.count >= 10, characters[4] == 0x2D, characters[7] == 0x2D,
              let month = number(5..<7), let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var micros = days(year: year, month: month, day: day) * 86_400_000_000
        guard characters.count > 10 else { return micros }
        guard characters[10] == 0x54 || characters[10] == 0x20, let hour = number(11..<13), characters.count >= 19,
              let minute = number(14..<16), let second = number(17..<19), hour < 24, minute < 60, second < 61
        else { return nil }
        micros += ((hour * 60 + minute) * 60 + second) * 1_000_000
        var index = 19
        if index < characters.count, characters[index] == 0x2E {
            index += 1
            var scale: Int64 = 100_000
            while index < characters.count, let digit = number(index..<index + 1) {
                micros += digit * scale
                scale /= 10
                index += 1
            }
        }
        guard index < characters.count else { return micros }  // no zone: UTC
        switch characters[index] {
        case 0x5A: return index + 1 == characters.count ? micros : nil
        case 0x2B, 0x2D:
            guard let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6),
                  index + 6 == characters.count else { return nil }
            let offset = (hours * 60 + minutes) * 60_000_000
            return characters[index] == 0x2B ? micros - offset : micros + offset
        default: return nil
        }
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Days since 1970-01-01 to year, month, day (Howard Hinnant's civil_from_days).
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
