import BLEWire
import CBlueZ
import Glibc

/// The socket addresses of the BlueZ transports, built by pure functions so that their
/// bytes can be checked without a Bluetooth kernel.
///
/// The structures come from libbluetooth's headers (Debian `libbluetooth-dev`, BlueZ 5.66),
/// which mirror the kernel's `include/net/bluetooth/{hci_sock.h,l2cap.h,bluetooth.h}`:
///
/// ```
/// sockaddr_hci (hci.h:2334), 6 bytes       sockaddr_l2 (l2cap.h:28), 14 bytes
/// +------------+---------+-------------+   +-----------+--------+-----------+--------+------+-----+
/// | hci_family | hci_dev | hci_channel |   | l2_family | l2_psm | l2_bdaddr | l2_cid | type | pad |
/// | u16 (31)   | u16     | u16         |   | u16 (31)  | le16   | 6 octets  | le16   | u8   | u8  |
/// +------------+---------+-------------+   +-----------+--------+-----------+--------+------+-----+
/// ```
///
/// `hci_dev` and `hci_channel` are in host byte order (the kernel's `hci_sock_bind` reads
/// them as plain `unsigned short`); `l2_psm` and `l2_cid` are little-endian (`htobs`), and
/// `l2_bdaddr` holds the address least significant octet first, the reverse of how it is
/// printed.
public enum BlueZAddress {
    /// The channels an HCI socket binds to (hci.h:2341-2345; the kernel's
    /// `net/bluetooth/hci_sock.c`, `hci_sock_bind`).
    public enum HCIChannel: UInt16, Sendable, CustomStringConvertible {
        /// `HCI_CHANNEL_RAW`: shares the adapter with the kernel and bluetoothd; sees every
        /// packet that passes its `hci_filter`.
        case raw = 0
        /// `HCI_CHANNEL_USER`: exclusive access to a powered-off adapter; the kernel's own
        /// host stack and bluetoothd let go of it while the socket is open.
        case user = 1

        public var description: String {
            switch self {
            case .raw: "raw"
            case .user: "user"
            }
        }
    }

    /// How the kernel names the type of an LE address in `sockaddr_l2.l2_bdaddr_type`
    /// (bluetooth.h:377-379). Not the HCI encoding: BlueZ reserves 0 for BR/EDR
    /// (`BDADDR_BREDR`), so LE public is 1 and LE random is 2.
    public enum LEAddressType: UInt8, Sendable, CustomStringConvertible {
        /// `BDADDR_LE_PUBLIC`.
        case lePublic = 1
        /// `BDADDR_LE_RANDOM` (static, resolvable or non-resolvable private).
        case leRandom = 2

        /// The BlueZ type of an address whose HCI type is `type` (an identity address
        /// resolved by the controller is public or random like the identity).
        public init(_ type: AddressType) {
            switch type {
            case .publicDevice, .publicIdentity: self = .lePublic
            case .randomDevice, .randomIdentity: self = .leRandom
            }
        }

        public var description: String {
            switch self {
            case .lePublic: "public"
            case .leRandom: "random"
            }
        }
    }

    /// The fixed L2CAP channel of the Attribute Protocol on LE, `L2CAP_CID_ATT`
    /// (Core Specification v5.4, Vol 3, Part A, §2.1, Table 2.3; the kernel only lets user
    /// space bind or connect this one LE fixed channel, `l2cap_sock_bind`).
    public static let attChannelIdentifier: UInt16 = 0x0004

    /// `AF_BLUETOOTH` (bluetooth.h:28; 31 in glibc's `bits/socket.h` too).
    static let family = sa_family_t(AF_BLUETOOTH)

    // MARK: Addresses

    /// The address an HCI socket binds to: adapter hci`device` on `channel`.
    public static func hciSocketAddress(device: UInt16, channel: HCIChannel) -> sockaddr_hci {
        var address = sockaddr_hci()
        address.hci_family = family
        address.hci_dev = device
        address.hci_channel = channel.rawValue
        return address
    }

    /// The address of a peer's fixed L2CAP channel `cid` (ATT by default), for `connect`.
    public static func l2capAddress(peer: BDAddress, addressType: LEAddressType,
                                    cid: UInt16 = attChannelIdentifier) -> sockaddr_l2 {
        var address = sockaddr_l2()
        address.l2_family = family
        // l2_psm stays 0: a fixed channel is named by its CID, and the kernel rejects an
        // address carrying both (EINVAL).
        address.l2_bdaddr = bdaddr(peer)
        // htobs(d) is a function-like macro Swift does not import: identity on
        // little-endian hosts, bswap_16 on big-endian ones (bluetooth.h:212, 219).
        address.l2_cid = cid.littleEndian
        address.l2_bdaddr_type = addressType.rawValue
        return address
    }

    /// The local end of an ATT socket: `local` (nil: `BDADDR_ANY`, every adapter, the kernel
    /// picks the route) on the ATT channel, as an LE public address.
    public static func l2capLocalAddress(_ local: BDAddress? = nil,
                                         cid: UInt16 = attChannelIdentifier) -> sockaddr_l2 {
        // BDADDR_ANY (bluetooth.h:381) is a compound-literal macro Swift does not import:
        // all six octets zero, which BDAddress(rawValue: 0) gives.
        l2capAddress(peer: local ?? BDAddress(rawValue: 0), addressType: .lePublic, cid: cid)
    }

    // MARK: bdaddr_t

    /// `address` as BlueZ stores it (bluetooth.h:372): `b[0]` is the least significant
    /// octet, so `C0:11:22:33:44:55` is `{0x55, 0x44, 0x33, 0x22, 0x11, 0xC0}`.
    public static func bdaddr(_ address: BDAddress) -> bdaddr_t {
        var result = bdaddr_t()
        withUnsafeMutableBytes(of: &result.b) { octets in
            for index in 0..<6 {
                octets[index] = UInt8(truncatingIfNeeded: address.rawValue >> (8 * UInt64(index)))
            }
        }
        return result
    }

    /// The address a `bdaddr_t` holds.
    public static func address(_ bdaddr: bdaddr_t) -> BDAddress {
        var value: UInt64 = 0
        withUnsafeBytes(of: bdaddr.b) { octets in
            for index in (0..<6).reversed() { value = value << 8 | UInt64(octets[index]) }
        }
        return BDAddress(rawValue: value)
    }
}
