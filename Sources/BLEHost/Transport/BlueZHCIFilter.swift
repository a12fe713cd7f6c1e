import BLEWire
import CBlueZ

/// Which packets a raw HCI socket (`HCI_CHANNEL_RAW`) receives: the kernel's per-socket
/// `hci_filter`, set with `setsockopt(SOL_HCI, HCI_FILTER)` (hci.h:2327, 2347).
///
/// ```
/// struct hci_filter, 16 bytes (14 + 2 padding), host byte order
/// +-----------+----------------+----------------+--------+-----+
/// | type_mask | event_mask[0]  | event_mask[1]  | opcode | pad |
/// | u32       | u32 (0-31)     | u32 (32-63)    | u16    | u16 |
/// +-----------+----------------+----------------+--------+-----+
/// ```
///
/// Bit `t & 31` of `type_mask` passes packets whose H4 type is `t` (`HCI_VENDOR_PKT` 0xFF
/// maps to bit 0); bit `e & 63` of `event_mask` passes event code `e`; a non-zero `opcode`
/// further passes only the Command Complete / Status events of that command. The bit
/// layout is libbluetooth's `hci_filter_set_ptype` / `hci_filter_set_event`
/// (hci_lib.h:180, 196) and the kernel's `is_filtered_packet` (net/bluetooth/hci_sock.c).
///
/// Without `CAP_NET_RAW` the kernel silently intersects the filter with its security
/// filter (`hci_sec_filter` in hci_sock.c), which passes neither LE Meta events nor any
/// LE command: `BlueZHCISocket.openRawChannel` reads the filter back to notice.
public struct BlueZHCIFilter: Hashable, Sendable {
    public var typeMask: UInt32 = 0
    /// Event codes 0x00-0x3F, bit `e` for code `e`: `event_mask[0]` in the low half,
    /// `event_mask[1]` in the high half.
    public var eventMask: UInt64 = 0
    /// Zero for all commands.
    public var opcode: UInt16 = 0

    /// A filter that passes nothing.
    public init() {}

    /// The filter for LE scanning alongside bluetoothd: HCI events only (`HCI_EVENT_PKT`,
    /// hci.h:110), of the codes LE Meta (`EVT_LE_META_EVENT` 0x3E, hci.h:2136: advertising
    /// reports), Command Complete (`EVT_CMD_COMPLETE` 0x0E, hci.h:1843) and Command Status
    /// (`EVT_CMD_STATUS` 0x0F, hci.h:1850), for the scan commands the host sends.
    ///
    /// Commands too (`HCI_COMMAND_PKT`): the kernel copies the commands it sends to raw sockets,
    /// which shows the host when the kernel takes the scanner over and gives it back.
    public static let leScanning: BlueZHCIFilter = {
        var filter = BlueZHCIFilter()
        filter.allow(.event)
        filter.allow(.command)
        filter.allow(event: UInt8(EVT_LE_META_EVENT))
        filter.allow(event: UInt8(EVT_CMD_COMPLETE))
        filter.allow(event: UInt8(EVT_CMD_STATUS))
        return filter
    }()

    /// Passes packets of `type`.
    public mutating func allow(_ type: HCIPacketType) {
        typeMask |= 1 << (UInt32(type.rawValue) & UInt32(HCI_FLT_TYPE_BITS))
    }

    /// Passes events with code `code` (when event packets pass at all).
    public mutating func allow(event code: UInt8) {
        eventMask |= 1 << (UInt64(code) & UInt64(HCI_FLT_EVENT_BITS))
    }

    public func allows(_ type: HCIPacketType) -> Bool {
        typeMask & 1 << (UInt32(type.rawValue) & UInt32(HCI_FLT_TYPE_BITS)) != 0
    }

    public func allows(event code: UInt8) -> Bool {
        eventMask & 1 << (UInt64(code) & UInt64(HCI_FLT_EVENT_BITS)) != 0
    }

    // MARK: The C structure

    /// The structure `setsockopt` takes.
    public var cValue: hci_filter {
        var filter = hci_filter()
        filter.type_mask = typeMask
        filter.event_mask = (UInt32(truncatingIfNeeded: eventMask), UInt32(truncatingIfNeeded: eventMask >> 32))
        filter.opcode = opcode
        return filter
    }

    /// The filter a `getsockopt` returned.
    public init(_ filter: hci_filter) {
        typeMask = filter.type_mask
        eventMask = UInt64(filter.event_mask.1) << 32 | UInt64(filter.event_mask.0)
        opcode = filter.opcode
    }
}
