/// Why an upload batch could not be built, encoded or decoded. Every case of a decode says
/// where (the byte offset in the uncompressed body) so that the collector's 400 response
/// tells the gateway's developer what was wrong.
public enum UploadFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidBatchID(String)
    case invalidGatewayID(String)
    /// The body ends before the layout says it should.
    case truncated(offset: Int, needed: Int)
    /// The body does not start with `GWUB`.
    case badMagic
    case unsupportedVersion(UInt16)
    /// Reserved bits set: a newer writer using something this reader does not know.
    case reservedBitsSet(offset: Int)
    /// A count beyond ``UploadBatch/maximumRowCount``.
    case tooManyRows(kind: String, count: Int)
    /// Bytes after the last row.
    case trailingBytes(offset: Int, count: Int)
    case invalidUTF8(offset: Int)
    /// A string that must not be empty is (a device address, a quantity, a metric name).
    case emptyString(offset: Int)
    /// A row names a string past the end of the table.
    case stringOutOfRange(offset: Int, index: UInt32)
    /// A value that is NaN or infinite.
    case nonFiniteValue(offset: Int)
    case endBeforeTime(offset: Int)
    case qualityOutOfRange(offset: Int)
    case unknownSubjectKind(offset: Int, raw: UInt8)
    /// The compressed body is not valid gzip/zlib data, or stops short.
    case corruptCompression(String)
    /// The body inflates past the limit the collector sets (a decompression bomb, or a batch
    /// that should have been split).
    case inflatedTooLarge(limit: Int)
    case unsupportedContentEncoding(String)

    public var description: String {
        switch self {
        case .invalidBatchID(let id): "invalid batch id \(String(reflecting: id)) (1-64 of A-Z a-z 0-9 . _ : -)"
        case .invalidGatewayID(let id): "invalid gateway id \(String(reflecting: id)) (1-65535 bytes)"
        case .truncated(let offset, let needed): "body truncated at byte \(offset): \(needed) more bytes needed"
        case .badMagic: "not an upload batch: the body does not start with \"GWUB\""
        case .unsupportedVersion(let version): "unsupported upload batch version \(version) (this collector reads 1)"
        case .reservedBitsSet(let offset): "reserved bits set at byte \(offset)"
        case .tooManyRows(let kind, let count):
            "\(count) \(kind) in one batch: at most \(UploadBatch.maximumRowCount)"
        case .trailingBytes(let offset, let count): "\(count) bytes after the last row, at byte \(offset)"
        case .invalidUTF8(let offset): "string at byte \(offset) is not valid UTF-8 without U+0000"
        case .emptyString(let offset): "empty name at byte \(offset)"
        case .stringOutOfRange(let offset, let index): "row at byte \(offset) names string \(index), past the table"
        case .nonFiniteValue(let offset): "row at byte \(offset) has a value that is NaN or infinite"
        case .endBeforeTime(let offset): "metric record at byte \(offset) ends before it starts"
        case .qualityOutOfRange(let offset): "metric record at byte \(offset) has a quality outside 0...1"
        case .unknownSubjectKind(let offset, let raw): "metric record at byte \(offset) has subject kind \(raw)"
        case .corruptCompression(let reason): "compressed body is corrupt: \(reason)"
        case .inflatedTooLarge(let limit): "body inflates past \(limit) bytes"
        case .unsupportedContentEncoding(let coding): "unsupported Content-Encoding \(String(reflecting: coding))"
        }
    }
}
