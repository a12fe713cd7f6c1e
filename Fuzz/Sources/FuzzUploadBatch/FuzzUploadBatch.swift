// Fuzz target: the collector's ingest decoder (UploadFormat): Content-Encoding, inflate with
// its size limit, then the batch layout of UploadBatch+Wire.swift.
//
// Input: byte 0 chooses the coding (low 2 bits: 0 identity, 1 gzip, 2 deflate, 3 identity);
// the rest is the body. Invariants: malformed input is an UploadFormatError (whose message
// renders), never a trap; a batch that decodes re-encodes to bytes that decode to the same batch.
import FuzzSupport
import UploadFormat

private let codings: [ContentCoding] = [.identity, .gzip, .deflate, .identity]

@main
enum UploadBatchFuzzer {
    static func main() { runLibFuzzer(fuzzOne) }
}

private func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let control = input.first else { return 0 }
    let body = Array(input.dropFirst())
    do throws(UploadFormatError) {
        let wire = try codings[Int(control & 3)].decode(body, limit: 1 << 20)
        let batch = try UploadBatch(decoding: wire)
        let again = try UploadBatch(decoding: try batch.encoded())
        precondition(again == batch, "an upload batch does not survive encode -> decode")
    } catch {
        _ = error.description
    }
    return 0
}
