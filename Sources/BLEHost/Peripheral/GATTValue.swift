import BLEWire

/// Where an attribute's value comes from when a client reads it.
///
/// A provider is called on every read (Read, Read Blob, Read By Type, Read Multiple), so
/// the firmware model hands out its current state (battery level, last measurement)
/// without pushing it into the database. Providers run on the caller's thread, inside
/// `GATTServer.handle(request:)`.
public enum GATTValue {
    /// Bytes fixed when the database is built. On a writable attribute without a write
    /// handler, a write replaces them for every connection sharing the database.
    case fixed([UInt8])
    /// Bytes computed on each read.
    case provided(() -> [UInt8])

    /// The UTF-8 bytes of `text`, as GATT strings are sent (no terminator).
    public static func utf8(_ text: String) -> GATTValue { .fixed(Array(text.utf8)) }

    /// One byte.
    public static func uint8(_ value: UInt8) -> GATTValue { .fixed([value]) }

    /// Two bytes, little-endian.
    public static func uint16(_ value: UInt16) -> GATTValue {
        .fixed([UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)])
    }

    /// No bytes (a value that is only notified or only written).
    public static var empty: GATTValue { .fixed([]) }
}

/// Called when a client writes a value (Write Request or Write Command). Returns `nil`
/// to accept it, or the ATT error code to answer a Write Request with (e.g. 0x80
/// "Control Point Not Supported" for the Heart Rate Control Point, or
/// `.valueNotAllowed`). The error is dropped for a Write Command, which has no answer.
public typealias GATTWriteHandler = (_ value: [UInt8]) -> ATTErrorCode?
