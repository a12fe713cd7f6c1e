import CZlib

/// How an upload body is compressed: its HTTP `Content-Encoding` (RFC 9110 section 8.4.1).
///
/// The gateway sends `gzip` (RFC 1952); the collector also takes `deflate` (the zlib format of
/// RFC 1950, which is what HTTP's "deflate" means) and `identity`. Both use the system zlib,
/// which the gateway's boards have anyway.
public enum ContentCoding: String, Sendable, CaseIterable {
    case identity
    case gzip
    case deflate

    /// The coding of a `Content-Encoding` header value (case-insensitive; absent is identity).
    ///
    /// - Throws: ``UploadFormatError/unsupportedContentEncoding(_:)`` for any other coding, or
    ///   a list of several.
    public init(header: String?) throws(UploadFormatError) {
        guard let header, !header.isEmpty else {
            self = .identity
            return
        }
        let trimmed = header.trimmingASCIISpaces().lowercased()
        switch trimmed {
        case "identity": self = .identity
        case "gzip", "x-gzip": self = .gzip
        case "deflate": self = .deflate
        default: throw .unsupportedContentEncoding(header)
        }
    }

    /// The window-bits argument of zlib's `deflateInit2`/`inflateInit2`: 15 for a 32 KiB window,
    /// +16 for a gzip wrapper.
    private var windowBits: Int32 { self == .gzip ? 15 + 16 : 15 }

    /// Compresses `bytes` (zlib level 6, its default trade-off).
    public func encode(_ bytes: [UInt8]) -> [UInt8] {
        guard self != .identity else { return bytes }
        var stream = z_stream()
        // deflateInit2 only fails on bad arguments or no memory; ours are constants.
        guard deflateInit2_(&stream, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            fatalError("deflateInit2 failed: out of memory")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))))
        let produced = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out -> Int in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                // deflateBound guarantees one Z_FINISH call completes.
                let status = CZlib.deflate(&stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate into deflateBound bytes did not finish")
                return out.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Decompresses `bytes`, refusing to produce more than `limit` bytes.
    ///
    /// - Throws: ``UploadFormatError/corruptCompression(_:)`` for data zlib refuses or that
    ///   ends early, ``UploadFormatError/inflatedTooLarge(limit:)`` past `limit`.
    public func decode(_ bytes: [UInt8], limit: Int) throws(UploadFormatError) -> [UInt8] {
        guard self != .identity else {
            guard bytes.count <= limit else { throw .inflatedTooLarge(limit: limit) }
            return bytes
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corruptCompression("inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        // Deflated batches here shrink about 4 to 8 times; start there and grow by doubling.
        var chunk = [UInt8](repeating: 0, count: min(max(bytes.count * 4, 4096), 1 << 20))
        let result: Result<[UInt8], UploadFormatError> = bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, out.count - Int(stream.avail_out))
                }
                guard output.count + produced <= limit else { return .failure(.inflatedTooLarge(limit: limit)) }
                output.append(contentsOf: chunk[..<produced])
                switch status {
                case Z_STREAM_END:
                    guard stream.avail_in == 0 else {
                        return .failure(.corruptCompression("\(stream.avail_in) bytes after the end of the stream"))
                    }
                    return .success(output)
                case Z_OK:
                    continue
                case Z_BUF_ERROR where stream.avail_in == 0:
                    return .failure(.corruptCompression("the stream ends early"))
                case Z_BUF_ERROR:
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    return .failure(.corruptCompression(message))
                }
            }
        }
        return try result.get()
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        while view.last == " " || view.last == "\t" { view.removeLast() }
        return String(view)
    }
}
