import BLEWire
import Glibc

/// A btsnoop capture being written as traffic flows (datalink 1002, H4: every record
/// starts with its packet indicator), seen from the host's side as btmon and Bumble record
/// it: commands and ACL from the host are "sent", events and ACL to the host "received".
///
/// The file is created with mode 0600 (it holds health data) and appended to after every
/// batch, so a capture cut short by a crash is readable up to its last complete batch.
public final class HCICaptureFile {
    public let path: String
    private var descriptor: Int32
    private var writer = BTSnoopWriter(datalink: .hciUART, includeHeader: true)
    /// Unix time, in seconds, of simulation time zero: record timestamps are
    /// `epoch + simulation time`, so a capture lines up with the ground truth's times.
    public let epoch: Double
    /// Records that could not be encoded (none expected; counted rather than thrown).
    public private(set) var droppedRecords = 0

    public init(path: String, epoch: Double = 0) throws(TransportError) {
        self.path = path
        self.epoch = epoch
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            throw .system(call: "open", target: path, errno: code, message: String(cString: strerror(code)))
        }
        try flush()
    }

    /// Adds one packet (without its H4 indicator).
    public func append(_ packet: some Collection<UInt8>, type: HCIPacketType, direction: PacketDirection, time: Double) {
        let micros = Int64(((epoch + time) * 1_000_000).rounded())
        do throws(WireError) {
            try writer.append(packet: packet, type: type, direction: direction, timestampMicros: micros)
        } catch {
            droppedRecords += 1
        }
    }

    /// Writes what was appended since the last flush.
    public func flush() throws(TransportError) {
        let bytes = writer.takeBytes()
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw .system(call: "write", target: path, errno: code, message: String(cString: strerror(code)))
            }
            offset += written
        }
    }

    /// Flushes and closes the file.
    public func close() {
        try? flush()
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}
