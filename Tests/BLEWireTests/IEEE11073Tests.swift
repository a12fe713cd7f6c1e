import BLEWire
import Testing

@Suite struct IEEE11073Tests {
    /// IEEE 11073-20601 §F.8 reserved SFLOAT values (as Wireshark's ftype-ieee-11073-float.c
    /// defines them: SFLOAT_VALUE_NAN 0x07FF, NRES 0x0800, INFINITY_PLUS 0x07FE, ...).
    @Test(arguments: [
        (UInt16(0x07FF), IEEE11073Special.nan), (0x0800, .notAtResolution), (0x07FE, .positiveInfinity),
        (0x0802, .negativeInfinity), (0x0801, .reserved),
    ])
    func sfloatSpecials(raw: UInt16, special: IEEE11073Special) {
        #expect(IEEE11073SFloat(rawValue: raw).value == .special(special))
        #expect(IEEE11073SFloat(special: special).rawValue == raw)
    }

    @Test(arguments: [
        (UInt32(0x007F_FFFF), IEEE11073Special.nan), (0x0080_0000, .notAtResolution), (0x007F_FFFE, .positiveInfinity),
        (0x0080_0002, .negativeInfinity), (0x0080_0001, .reserved),
    ])
    func floatSpecials(raw: UInt32, special: IEEE11073Special) {
        #expect(IEEE11073Float(rawValue: raw).value == .special(special))
        #expect(IEEE11073Float(special: special).rawValue == raw)
    }

    @Test func specialDoubles() {
        #expect(IEEE11073SFloat(rawValue: 0x07FF).doubleValue.isNaN)
        #expect(IEEE11073SFloat(rawValue: 0x07FE).doubleValue == .infinity)
        #expect(IEEE11073SFloat(rawValue: 0x0802).doubleValue == -.infinity)
        #expect(IEEE11073Float(rawValue: 0x0080_0000).doubleValue.isNaN)
        #expect(IEEE11073Special.notAtResolution.description == "NRes")
    }

    /// The SFLOAT table of HL7's Personal Health Device IG ("Mder FLOATs and SFLOATs").
    @Test(arguments: [
        (UInt16(0x0002), 2.0, Int32(2), Int8(0)), (0xF014, 2.0, 20, -1), (0xE0C8, 2.0, 200, -2), (0x1002, 20, 2, 1),
        (0x2002, 200, 2, 2), (0x00C8, 200, 200, 0), (0x04D2, 1234, 1234, 0), (0x0B2E, -1234, -1234, 0),
    ])
    func sfloatValues(raw: UInt16, value: Double, mantissa: Int32, exponent: Int8) {
        let sfloat = IEEE11073SFloat(rawValue: raw)
        #expect(sfloat.value == .number(mantissa: mantissa, exponent: exponent))
        #expect(sfloat.doubleValue == value)
    }

    /// The FLOAT table of the same HL7 page.
    @Test(arguments: [
        (UInt32(0x0000_0002), 2.0, Int32(2), Int8(0)), (0xFF00_0014, 2.0, 20, -1), (0xFE00_00C8, 2.0, 200, -2),
        (0x0100_0002, 20, 2, 1), (0x0200_0002, 200, 2, 2), (0x0000_04D2, 1234, 1234, 0), (0x00FF_FB2E, -1234, -1234, 0),
    ])
    func floatValues(raw: UInt32, value: Double, mantissa: Int32, exponent: Int8) {
        let float = IEEE11073Float(rawValue: raw)
        #expect(float.value == .number(mantissa: mantissa, exponent: exponent))
        #expect(float.doubleValue == value)
    }

    /// Decimal results print as decimals: 366 × 10⁻¹ is exactly the double nearest 36.6.
    @Test func decimalsWithoutNoise() {
        #expect(IEEE11073Float(rawValue: 0xFF00_016E).doubleValue == 36.6)
        #expect(IEEE11073Float(rawValue: 0xFF00_016E).doubleValue.description == "36.6")
        #expect(IEEE11073SFloat(rawValue: 0xF019).doubleValue == 2.5)
        #expect(IEEE11073SFloat(rawValue: 0xE0FF).doubleValue.description == "2.55") // 255 × 10⁻²
    }

    @Test func encodingPrefersShortestExactForm() {
        #expect(IEEE11073SFloat(97)?.rawValue == 0x0061)
        #expect(IEEE11073SFloat(36.6)?.rawValue == 0xF16E)
        #expect(IEEE11073SFloat(2.5)?.rawValue == 0xF019)
        #expect(IEEE11073SFloat(-1234)?.rawValue == 0x0B2E)
        #expect(IEEE11073SFloat(5000)?.rawValue == 0x11F4) // 500 × 10¹: mantissa too small for 5000
        #expect(IEEE11073SFloat(.nan)?.rawValue == 0x07FF)
        #expect(IEEE11073SFloat(.infinity)?.rawValue == 0x07FE)
        #expect(IEEE11073SFloat(1e20) == nil)
        #expect(IEEE11073Float(36.6)?.rawValue == 0xFF00_016E)
        #expect(IEEE11073Float(-1234)?.rawValue == 0x00FF_FB2E)
        #expect(IEEE11073Float(-.infinity)?.rawValue == 0x0080_0002)
        // Inexact: as many digits as the 12-bit mantissa holds.
        #expect(IEEE11073SFloat(1.0 / 3.0)?.value == .number(mantissa: 333, exponent: -3))
    }

    @Test func roundTripOfEveryNonSpecialSFloat() {
        for raw in 0...UInt16.max {
            let sfloat = IEEE11073SFloat(rawValue: raw)
            guard case .number = sfloat.value else { continue }
            let value = sfloat.doubleValue
            guard let again = IEEE11073SFloat(value) else {
                Issue.record("0x\(String(raw, radix: 16)) = \(value) does not re-encode")
                return
            }
            #expect(again.doubleValue == value)
        }
    }
}
