/// The reserved bit patterns of the IEEE 11073-20601 medical number formats
/// (ISO/IEEE 11073-20601 §F.8; Bluetooth GATT Specification Supplement §2.2.2/§2.2.3).
///
/// They are not numbers: a device sends them when it has no valid reading (NaN), when
/// the value cannot be represented at the required resolution (NRes), or when it is out
/// of range. A reader keeps them apart from real readings instead of folding them into
/// `Double.nan`, because "sensor not ready" and "off the scale" mean different things to
/// a clinician.
public enum IEEE11073Special: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Not a Number: no valid reading.
    case nan
    /// Not at this Resolution: the value exists but cannot be represented.
    case notAtResolution
    case positiveInfinity
    case negativeInfinity
    /// Reserved for future use by the standard.
    case reserved

    /// `NaN`, `NRes`, `+INF`, `-INF`, `RFU`, as the standard and tshark name them.
    public var description: String {
        switch self {
        case .nan: "NaN"
        case .notAtResolution: "NRes"
        case .positiveInfinity: "+INF"
        case .negativeInfinity: "-INF"
        case .reserved: "RFU"
        }
    }

    /// The closest `Double` (`nan` for the three that are not numbers at all).
    public var doubleValue: Double {
        switch self {
        case .positiveInfinity: .infinity
        case .negativeInfinity: -.infinity
        case .nan, .notAtResolution, .reserved: .nan
        }
    }
}

/// A value of either IEEE 11073 format: a decimal `mantissa × 10^exponent`, or a special.
public enum IEEE11073Value: Equatable, Sendable {
    case number(mantissa: Int32, exponent: Int8)
    case special(IEEE11073Special)

    /// The value as a `Double`, computed so that it is the `Double` closest to the decimal
    /// (division by an exact power of ten rather than multiplication by an inexact 0.1),
    /// which is what makes `36.6` print as `36.6`.
    public var doubleValue: Double {
        switch self {
        case let .special(special):
            return special.doubleValue
        case let .number(mantissa, exponent):
            return decimalValue(Double(mantissa), exponent: Int(exponent))
        }
    }
}

@inlinable
func powerOfTen(_ exponent: Int) -> Double {
    var result = 1.0
    for _ in 0..<exponent { result *= 10 }
    return result
}

/// `mantissa × 10^exponent`, correctly rounded for the exponents SFLOAT/FLOAT use (10^k for
/// k ≤ 22 is exact in a Double, so one multiplication or division rounds once).
@inlinable
func decimalValue(_ mantissa: Double, exponent: Int) -> Double {
    exponent >= 0 ? mantissa * powerOfTen(exponent) : mantissa / powerOfTen(-exponent)
}

/// Picks a decimal exponent and mantissa for `value` within `mantissas`, avoiding the
/// (mantissa, exponent) pairs that are specials, for encoding.
///
/// Prefers the shortest exact form (`36.6` → 366 × 10⁻¹, `75` → 75 × 10⁰), as devices do;
/// when no exact form fits it keeps as many digits as the mantissa allows.
func decimalParts(
    of value: Double, mantissas: ClosedRange<Int64>, exponents: ClosedRange<Int>, reserved: (Int64, Int) -> Bool
) -> (mantissa: Int64, exponent: Int)? {
    guard value.isFinite else { return nil }
    // Exact forms: exponent 0 first, then finer ones (36.6 → 366 × 10⁻¹), then coarser
    // ones only for integers too large for the mantissa (5000 → 500 × 10¹).
    var exact: (Int64, Int)?
    let order = Array(stride(from: min(0, exponents.upperBound), through: exponents.lowerBound, by: -1))
        + (exponents.upperBound > 0 ? Array(1...exponents.upperBound) : [])
    for exponent in order {
        let scaled = exponent >= 0 ? value / powerOfTen(exponent) : value * powerOfTen(-exponent)
        let rounded = scaled.rounded()
        guard rounded >= Double(mantissas.lowerBound), rounded <= Double(mantissas.upperBound),
              !reserved(Int64(rounded), exponent) else { continue }
        if decimalValue(rounded, exponent: exponent) == value {
            exact = (Int64(rounded), exponent)
            break
        }
    }
    if let exact { return exact }
    for exponent in exponents {
        let scaled = exponent >= 0 ? value / powerOfTen(exponent) : value * powerOfTen(-exponent)
        let rounded = scaled.rounded()
        if rounded >= Double(mantissas.lowerBound), rounded <= Double(mantissas.upperBound),
           !reserved(Int64(rounded), exponent) {
            return (Int64(rounded), exponent)
        }
    }
    return nil
}

/// IEEE 11073-20601 SFLOAT-Type: a 16-bit decimal float, 4-bit signed exponent over a
/// 12-bit signed mantissa (GATT Specification Supplement §2.2.2).
///
/// ```
///  15      12 11                       0
/// +----------+--------------------------+
/// | exponent |        mantissa          |   value = mantissa × 10^exponent
/// +----------+--------------------------+
/// ```
/// Special values (exponent 0): 0x07FF NaN, 0x0800 NRes, 0x07FE +INF, 0x0802 -INF,
/// 0x0801 reserved.
public struct IEEE11073SFloat: Hashable, Sendable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public init(special: IEEE11073Special) {
        switch special {
        case .nan: rawValue = 0x07FF
        case .notAtResolution: rawValue = 0x0800
        case .positiveInfinity: rawValue = 0x07FE
        case .negativeInfinity: rawValue = 0x0802
        case .reserved: rawValue = 0x0801
        }
    }

    /// With exponent 0, mantissas 0x7FE, 0x7FF, 0x800, 0x801, 0x802 are the specials.
    static func isReserved(_ mantissa: Int64, _ exponent: Int) -> Bool {
        exponent == 0 && (mantissa >= 2046 || mantissa <= -2046)
    }

    /// Encodes `mantissa × 10^exponent`; nil when either is out of range or the pair
    /// would collide with a special value.
    public init?(mantissa: Int, exponent: Int) {
        guard (-2048...2047).contains(mantissa), (-8...7).contains(exponent),
              !Self.isReserved(Int64(mantissa), exponent) else { return nil }
        rawValue = UInt16(truncatingIfNeeded: exponent) << 12 | UInt16(truncatingIfNeeded: mantissa) & 0x0FFF
    }

    /// Encodes a Double: the shortest exact decimal form, else the nearest representable;
    /// infinities and NaN map to the specials; nil when the magnitude does not fit.
    public init?(_ value: Double) {
        if value.isNaN { self.init(special: .nan); return }
        if value.isInfinite { self.init(special: value > 0 ? .positiveInfinity : .negativeInfinity); return }
        guard let parts = decimalParts(of: value, mantissas: -2048...2047, exponents: -8...7, reserved: Self.isReserved) else {
            return nil
        }
        self.init(mantissa: Int(parts.mantissa), exponent: parts.exponent)
    }

    public var value: IEEE11073Value {
        switch rawValue {
        case 0x07FF: return .special(.nan)
        case 0x0800: return .special(.notAtResolution)
        case 0x07FE: return .special(.positiveInfinity)
        case 0x0802: return .special(.negativeInfinity)
        case 0x0801: return .special(.reserved)
        default:
            // Sign-extend both parts by shifting them to the top of a signed word.
            let mantissa = Int16(bitPattern: rawValue << 4) >> 4
            let exponent = Int16(bitPattern: rawValue) >> 12
            return .number(mantissa: Int32(mantissa), exponent: Int8(exponent))
        }
    }

    public var doubleValue: Double { value.doubleValue }
}

/// IEEE 11073-20601 FLOAT-Type: a 32-bit decimal float, 8-bit signed exponent over a
/// 24-bit signed mantissa (GATT Specification Supplement §2.2.3).
///
/// ```
///  31      24 23                       0
/// +----------+--------------------------+
/// | exponent |        mantissa          |   value = mantissa × 10^exponent
/// +----------+--------------------------+
/// ```
/// Special values (exponent 0): 0x007FFFFF NaN, 0x00800000 NRes, 0x007FFFFE +INF,
/// 0x00800002 -INF, 0x00800001 reserved.
public struct IEEE11073Float: Hashable, Sendable {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(special: IEEE11073Special) {
        switch special {
        case .nan: rawValue = 0x007F_FFFF
        case .notAtResolution: rawValue = 0x0080_0000
        case .positiveInfinity: rawValue = 0x007F_FFFE
        case .negativeInfinity: rawValue = 0x0080_0002
        case .reserved: rawValue = 0x0080_0001
        }
    }

    static func isReserved(_ mantissa: Int64, _ exponent: Int) -> Bool {
        exponent == 0 && (mantissa >= 0x7F_FFFE || mantissa <= -0x7F_FFFE)
    }

    public init?(mantissa: Int, exponent: Int) {
        guard (-0x80_0000...0x7F_FFFF).contains(mantissa), (-128...127).contains(exponent),
              !Self.isReserved(Int64(mantissa), exponent) else { return nil }
        rawValue = UInt32(truncatingIfNeeded: exponent) << 24 | UInt32(truncatingIfNeeded: mantissa) & 0x00FF_FFFF
    }

    public init?(_ value: Double) {
        if value.isNaN { self.init(special: .nan); return }
        if value.isInfinite { self.init(special: value > 0 ? .positiveInfinity : .negativeInfinity); return }
        guard let parts = decimalParts(of: value, mantissas: -0x80_0000...0x7F_FFFF, exponents: -20...20,
                                       reserved: Self.isReserved) else { return nil }
        self.init(mantissa: Int(parts.mantissa), exponent: parts.exponent)
    }

    public var value: IEEE11073Value {
        switch rawValue {
        case 0x007F_FFFF: return .special(.nan)
        case 0x0080_0000: return .special(.notAtResolution)
        case 0x007F_FFFE: return .special(.positiveInfinity)
        case 0x0080_0002: return .special(.negativeInfinity)
        case 0x0080_0001: return .special(.reserved)
        default:
            let mantissa = Int32(bitPattern: rawValue << 8) >> 8
            let exponent = Int8(truncatingIfNeeded: Int32(bitPattern: rawValue) >> 24)
            return .number(mantissa: mantissa, exponent: exponent)
        }
    }

    public var doubleValue: Double { value.doubleValue }
}
