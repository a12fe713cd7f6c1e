import BLEHost
import BLEWire
import Dissector
import GatewayStore

/// `--hci btsnoop:FILE`: a capture replayed into the gateway as fast as the machine
/// allows, each value at its recorded time. The capture's own connections and GATT
/// discovery say which characteristic each handle holds (the `Dissector` follows them as
/// tshark does), so a capture of any central works, not only one the gateway made; a
/// capture the gateway recorded (`gaitway gateway --btsnoop`) replays into exactly the
/// rows of the live run.
public struct CaptureReplay {
    public let ingest: GatewayIngest

    public init(ingest: GatewayIngest) { self.ingest = ingest }

    /// Replays the capture file's bytes; commits by capture time as the live gateway
    /// would, and at the end. Returns the number of frames read.
    @discardableResult
    public func replay(capture bytes: [UInt8]) throws -> Int {
        var dissector = CaptureDissector(catalog: ingest.catalog)
        dissector.decodesValues = false
        let ingest = self.ingest
        var storeError: GatewayStoreError?
        var lastTime = 0.0
        dissector.onValue = { data, uuid, source, server, micros in
            guard let uuid, let server else { return }
            let kind: CharacteristicValueKind = switch source {
            case .indication: .indication
            case .readResponse: .read
            default: .notification
            }
            let time = Double(micros) / 1_000_000
            lastTime = time
            ingest.ingestValue(data, of: uuid, kind: kind, from: server, at: time)
            if storeError == nil {
                do throws(GatewayStoreError) { try ingest.commitIfDue(at: time) } catch { storeError = error }
            }
        }
        dissector.onAdvertisingData = { data, address, micros in
            let time = Double(micros) / 1_000_000
            lastTime = time
            ingest.ingestAdvertisement(data, from: address, at: time)
        }
        try dissector.dissect(file: bytes.span.bytes) { value in
            if let error = value.error { ingest.logger.warning("capture frame \(value.frame): \(error)") }
        }
        if let storeError { throw storeError }
        ingest.finishMetrics()
        try ingest.commit(at: lastTime)
        // A replay commits per capture second like the live gateway, which leaves a few
        // dozen samples per chunk; merged at the end, the chunks cost about a tenth.
        if let direct = ingest.handoff as? DirectCommit { _ = try direct.store.compactSamples() }
        return dissector.frameCount
    }
}
