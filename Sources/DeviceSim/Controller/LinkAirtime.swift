/// How long LL data PDUs take on the air (Core Specification v5.4, Vol 6, Part B, §2.1 and
/// §4.5.10): the throughput model of the virtual controller's connections.
///
/// ```
/// LE 1M:  | preamble 1 | access address 4 | header 2 | payload n | CRC 3 |  at 1 µs/bit
/// LE 2M:  | preamble 2 | access address 4 | header 2 | payload n | CRC 3 |  at 0.5 µs/bit
/// ```
///
/// The model, applied at every connection event (every connection interval):
/// - The central and the peripheral exchange PDUs in pairs (central first, then the
///   peripheral's answer 150 µs later, T_IFS); a pair takes the airtime of both PDUs plus
///   two T_IFS. An empty PDU (no data in that direction) still costs its header.
/// - The event lasts while either side has data and the next pair fits in the event:
///   at most `min(connection interval, maximumConnectionEventLength)` of airtime and
///   `maximumExchangesPerEvent` pairs. The first pair always happens (it is the poll).
/// - A host ACL packet is split into LL PDUs of the central's data length, an L2CAP PDU of
///   the peripheral's into LL PDUs of the peripheral's data length (which is also how the
///   controller fragments it into ACL packets for the host).
/// - Each pair is lost with the link's packet-loss probability (CRC error or a missed
///   packet); a loss closes the event, and what was not acknowledged is retransmitted at
///   the next event. Nothing is ever dropped by loss: the link layer retransmits until the
///   supervision timeout, which ends the link when no pair got through for that long.
/// - Peripheral latency is not modelled (a peripheral with queued data answers every
///   event, which is what it does when it has data), nor is the sharing of airtime among
///   links beyond the per-event cap.
enum LinkAirtime {
    /// T_IFS, the inter-frame space (§4.1.1), in seconds.
    static let interFrameSpace = 150e-6

    /// Airtime of one LL data PDU with `octets` of payload, in seconds.
    static func pduAirtime(octets: Int, phy: UInt8) -> Double {
        if phy == 2 { return Double(2 + 4 + 2 + 3 + octets) * 8 * 0.5e-6 }
        return Double(1 + 4 + 2 + 3 + octets) * 8 * 1e-6
    }

    /// Airtime of one central-then-peripheral pair with the T_IFS after each PDU.
    static func exchangeAirtime(centralOctets: Int, peripheralOctets: Int, phy: UInt8) -> Double {
        pduAirtime(octets: centralOctets, phy: phy) + pduAirtime(octets: peripheralOctets, phy: phy) + 2 * interFrameSpace
    }

    /// MaxTxTime/MaxRxTime for a data length on LE 1M as the Data Length Update procedure
    /// reports it: (octets + 14) × 8 µs, the 14 octets being the PDU overhead plus a MIC
    /// (§4.5.10): 27 -> 328 µs, 251 -> 2120 µs.
    static func maximumTime(octets: UInt16) -> UInt16 { (octets + 14) * 8 }
}
