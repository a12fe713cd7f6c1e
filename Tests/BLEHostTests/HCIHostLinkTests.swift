import BLEWire
import Testing
@testable import BLEHost

/// The host link frames what the controller sends, takes command and buffer credits from
/// the events that carry them, and hands every other packet on with its event parsed once.
@Suite struct HCIHostLinkTests {
    /// H4 bytes for an event packet (indicator 0x04, code, length, parameters).
    static func event(_ code: UInt8, _ parameters: [UInt8]) -> [UInt8] {
        [0x04, code, UInt8(parameters.count)] + parameters
    }

    struct Received: Equatable {
        var type: HCIPacketType
        var bytes: [UInt8]
        var event: HCIEvent?
    }

    static func receiveAll(_ bytes: [UInt8]) throws -> (link: HCIHostLink, received: [Received]) {
        let (host, controller) = try PipeTransport.makePair(label: "link-test")
        defer { controller.close() }
        let link = HCIHostLink(transport: host)
        try controller.write(bytes)
        var received: [Received] = []
        _ = try link.receive(timeout: .seconds(1)) { type, packet, event in
            received.append(Received(type: type, bytes: packet.withUnsafeBytes { Array($0) }, event: event))
        }
        return (link, received)
    }

    @Test func handsOnEventsParsedAndACLWithoutAnEvent() throws {
        // Disconnection Complete (Core v5.4, Vol 4, Part E, §7.7.5): status 0, handle 0x0040, reason 0x13.
        let disconnection = Self.event(0x05, [0x00, 0x40, 0x00, 0x13])
        // An ACL packet (handle 0x0040, 4 bytes of L2CAP header without payload).
        let acl: [UInt8] = [0x02, 0x40, 0x20, 0x04, 0x00, 0x00, 0x00, 0x04, 0x00]
        let (_, received) = try Self.receiveAll(disconnection + acl)
        #expect(received.count == 2)
        let expected = try Array(disconnection.dropFirst()).withUnsafeBytes { raw in
            try HCIEvent(parsing: RawSpan(_unsafeBytes: raw))
        }
        #expect(received.first == Received(type: .event, bytes: Array(disconnection.dropFirst()), event: expected))
        guard case .disconnectionComplete(let complete)? = received.first?.event else {
            Issue.record("not parsed as a Disconnection Complete: \(String(describing: received.first?.event))")
            return
        }
        #expect(complete.connectionHandle == ConnectionHandle(0x0040) && complete.reason == 0x13)
        #expect(received.last == Received(type: .aclData, bytes: Array(acl.dropFirst()), event: nil))
    }

    /// A malformed event reaches the layer above with no event, so it can count it.
    @Test func malformedEventHasNoEvent() throws {
        // Disconnection Complete one byte short.
        let short = Self.event(0x05, [0x00, 0x40, 0x00])
        let (_, received) = try Self.receiveAll(short)
        #expect(received == [Received(type: .event, bytes: Array(short.dropFirst()), event: nil)])
    }

    /// Number Of Completed Packets and a Command Complete no one awaits give the link its
    /// credits and still go on, parsed (the host above counts failed commands).
    @Test func creditEventsGoOnParsed() throws {
        // Number Of Completed Packets (§7.7.19): one handle 0x0040, 1 packet.
        let completed = Self.event(0x13, [0x01, 0x40, 0x00, 0x01, 0x00])
        // Command Complete (§7.7.14) for HCI_Reset (0x0C03), 1 credit, status 0.
        let resetComplete = Self.event(0x0E, [0x01, 0x03, 0x0C, 0x00])
        let (_, received) = try Self.receiveAll(completed + resetComplete)
        #expect(received.map(\.type) == [.event, .event])
        guard case .numberOfCompletedPackets? = received.first?.event,
              case .commandComplete? = received.last?.event else {
            Issue.record("Command Complete not handed on parsed: \(received)")
            return
        }
    }
}
