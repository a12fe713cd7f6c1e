/// The line and cell handling the `gaitway analyze` parsers share.
extension StringProtocol {
    /// The lines of a text file: split at LF, CRLF or CR (a CRLF is one `Character`, so a
    /// split at `"\n"` alone would leave a Windows file as one line), empty lines kept so
    /// that the n-th element is line n.
    var fileLines: [SubSequence] { split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) }
}

extension Substring {
    /// Without leading and trailing whitespace (CSV cells, line ends).
    func trimmingWhitespace() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return self[first...last]
    }
}
