/// A Starting Handle / Ending Handle pair, as ATT discovery requests carry it
/// (Core Specification v5.4, Vol 3, Part F, §3.4.3.1, §3.4.4.1, §3.4.4.9).
///
/// ```
/// +----------------+--------------+
/// | Starting (LE)  | Ending (LE)  |
/// +----------------+--------------+
/// ```
/// Parsing does not reject an inverted or zero range: such a request is well formed and
/// a server must answer it with an Invalid Handle error, so the check is `isValid`.
public struct ATTHandleRange: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var start: AttributeHandle
    public var end: AttributeHandle

    @inlinable
    public init(start: AttributeHandle, end: AttributeHandle) {
        self.start = start
        self.end = end
    }

    /// Every handle: 0x0001...0xFFFF, the range discovery starts with.
    public static let all = ATTHandleRange(start: .first, end: .last)

    /// Whether a server may process the range (§3.4.3.1: start not 0 and not above end).
    public var isValid: Bool { start.isValid && start <= end }

    public func contains(_ handle: AttributeHandle) -> Bool { start <= handle && handle <= end }

    public var description: String { "0x\(String(start.rawValue, radix: 16))...0x\(String(end.rawValue, radix: 16))" }
}
