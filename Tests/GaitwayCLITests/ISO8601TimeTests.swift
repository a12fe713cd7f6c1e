import Dissector
import Testing

/// The times `gaitway query --from/--to` accept and refuse (ISO8601Time in Dissector).
@Suite struct ISO8601TimeTests {
    /// Times and their µs since the epoch; 2026-11-22T00:00:00Z is 1795305600 s (Python's
    /// `datetime(2026, 11, 22, tzinfo=timezone.utc).timestamp()`), later ones that plus hours.
    static let accepted: [(String, Int64)] = [
        ("2026-11-22", 1795305600000000),
        ("2026-11-22T00:00:00Z", 1795305600000000),
        ("2026-11-22t00:00:00z", 1795305600000000),
        ("2026-11-22 00:00:00Z", 1795305600000000),
        ("2026-11-22T03:00Z", 1795316400000000),
        ("2026-11-22T04:00+01:00", 1795316400000000),
        ("2026-11-22T04:00+0100", 1795316400000000),
        ("2026-11-22T04:00+01", 1795316400000000),
        ("2026-11-21T22:30:00-05:30", 1795320000000000),
        ("2026-11-22T00:00:00.5Z", 1795305600500000),
        ("2026-11-22T00:00:00,25Z", 1795305600250000),
        ("2026-11-22T00:00:00.1234569Z", 1795305600123456),
        ("2024-02-29", 1_709_164_800_000_000),
        ("2000-02-29", 951_782_400_000_000),
        ("1795305600", 1795305600000000),
        ("1795305600.25", 1795305600250000),
        ("-5", -5_000_000),
        ("-0.5", -500_000),
        ("+7", 7_000_000),
        ("1.7e9", 1_700_000_000_000_000),
        ("0000-01-01", -62_167_219_200_000_000),
        ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
        ("-62167219200", -62_167_219_200_000_000),
        ("253402300799", 253_402_300_799_000_000),
    ]

    @Test(arguments: accepted)
    func accepts(_ text: String, _ micros: Int64) throws {
        #expect(try ISO8601Time.micros(parsing: text) == micros)
    }

    @Test(arguments: [
        "1e13", "-1e13", "1e300", "inf", "-infinity", "99999999999999999999", "253402300800",
        "-62167219201", "9999-12-31T23:59:59-00:01", "0000-01-01T00:30:00+01:00",
    ])
    func refusesOutOfRange(_ text: String) {
        #expect(throws: ISO8601Time.ParseError.outOfRange(text)) { try ISO8601Time.micros(parsing: text) }
    }

    @Test(arguments: ["2026-02-29", "2026-02-30", "2026-04-31", "1900-02-29", "2026-13-01", "2026-00-10", "2026-01-00"])
    func refusesImpossibleDates(_ text: String) {
        #expect {
            try ISO8601Time.micros(parsing: text)
        } throws: { error in
            guard case .impossibleDate(let refused, _) = error as? ISO8601Time.ParseError else { return false }
            return refused == text
        }
    }

    @Test(arguments: ["2026-11-22T24:00:00Z", "2026-11-22T25:00Z", "2026-11-22T03:60Z", "2026-11-22T03:00:61Z",
                      "2016-12-31T23:59:60Z"])
    func refusesImpossibleTimesAndLeapSeconds(_ text: String) {
        #expect {
            try ISO8601Time.micros(parsing: text)
        } throws: { error in
            guard case .impossibleTime(let refused, let detail) = error as? ISO8601Time.ParseError else { return false }
            return refused == text && (!text.hasSuffix("23:59:60Z") || detail.contains("leap second"))
        }
    }

    @Test(arguments: ["2026-11-22T03:00+24:00", "2026-11-22T03:00+01:60", "2026-11-22T03:00+1", "2026-11-22T03:00+01:0",
                      "2026-11-22T03:00+01:00:00"])
    func refusesInvalidOffsets(_ text: String) {
        #expect(throws: ISO8601Time.ParseError.invalidOffset(text)) { try ISO8601Time.micros(parsing: text) }
    }

    @Test(arguments: ["", "-", "nan", "22/11/2026", "2026-11", "2026-11-22T", "2026-11-22T03", "2026-11-22T03:00:00.Z",
                      "2026-11-22T03:00:00ZZ", "2026-11-22X03:00", "1795305600s", "2026-1-22"])
    func refusesWhatIsNotATime(_ text: String) {
        #expect(throws: ISO8601Time.ParseError.notATime(text)) { try ISO8601Time.micros(parsing: text) }
    }

    /// Formatting is total (no trap at the ends of Int64) and parses back, over seeded
    /// random instants in the accepted range.
    @Test func formatIsTotalAndRoundTrips() throws {
        // Expected values from Python: 400-year cycles of 146,097 days around datetime.date.
        #expect(ISO8601Time.format(micros: .min, fractionDigits: 6) == "-290308-12-21T19:59:05.224192Z")
        #expect(ISO8601Time.format(micros: .max, fractionDigits: 6) == "+294247-01-10T04:00:54.775807Z")
        #expect(ISO8601Time.format(micros: -1, fractionDigits: 6) == "1969-12-31T23:59:59.999999Z")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // seed; SplitMix64 (Steele, Lea, Flood 2014)
        for _ in 0..<10_000 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let span = UInt64(ISO8601Time.latestMicros - ISO8601Time.earliestMicros) + 1
            let micros = ISO8601Time.earliestMicros + Int64(z % span)
            let text = ISO8601Time.format(micros: micros, fractionDigits: 6)
            #expect(try ISO8601Time.micros(parsing: text) == micros, "\(text) (seed 0x9E3779B97F4A7C15)")
        }
    }
}
