import BLEWire
import Foundation
import Glibc
import Testing
@testable import BLEHost

/// Helpers shared by the transport tests. Partners that must run at the same time as a
/// test run on their own `Thread`, never on a Swift concurrency task: the tests block in
/// system calls, and the cooperative pool has only as many threads as cores.
enum TransportTesting {
    /// HCI_Reset as a host sends it over H4: indicator 0x01, opcode 0x0C03, no parameters
    /// (Core Specification v5.4, Vol 4, Part E, §7.3.2; the same four bytes btmon shows as
    /// "< HCI Command: Reset (0x03|0x0003) plen 0").
    static let resetH4: [UInt8] = [0x01, 0x03, 0x0C, 0x00]

    /// Reads exactly `count` bytes, failing if they do not all arrive within `timeout`.
    static func readExactly(_ count: Int, from transport: some HCITransport, timeout: Duration = .seconds(2)) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        let deadline = ContinuousClock.now + timeout
        while filled < count {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw Timeout(expected: count, received: filled) }
            filled += try bytes.withUnsafeMutableBytes { raw in
                try transport.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), timeout: left)
            }
        }
        return bytes
    }

    /// Reads H4 packets until `match` returns a value (or the timeout passes).
    static func readPacket<T>(from transport: some HCITransport, timeout: Duration = .seconds(2),
                              _ match: (HCIPacketType, RawSpan) throws -> T?) throws -> T {
        var framer = H4Framer()
        var buffer = [UInt8](repeating: 0, count: 1024)
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw Timeout(expected: 1, received: 0) }
            let count = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, timeout: left) }
            var found: T? = nil
            var failure: (any Error)? = nil
            let received = buffer.span.bytes
            try framer.feed(received.extracting(0..<count)) { (type, packet) throws(WireError) in
                guard found == nil, failure == nil else { return }
                do { found = try match(type, packet) } catch { failure = error }
            }
            if let failure { throw failure }
            if let found { return found }
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        var expected: Int
        var received: Int
        var description: String { "timed out with \(received) of \(expected) bytes" }
    }

    /// Runs `body` on a new thread; `join()` waits for it and rethrows what it threw.
    final class Partner: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var error: (any Error)?

        init(_ body: @escaping @Sendable () throws -> Void) {
            Thread.detachNewThread { [self] in
                do { try body() } catch { self.error = error }
                done.signal()
            }
        }

        func join(timeout: Duration = .seconds(5)) throws {
            let (seconds, attoseconds) = timeout.components
            let wait = Double(seconds) + Double(attoseconds) / 1e18
            guard done.wait(timeout: .now() + wait) == .success else { throw Timeout(expected: 0, received: 0) }
            if let error { throw error }
        }
    }

    /// A fresh private directory, removed by the caller.
    static func temporaryDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "gaitway-transport-XXXXXX").utf8CString)
        guard let path = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.EIO)
        }
        return String(cString: path)
    }

    /// A deterministic pattern with every byte value, long runs of H4-looking bytes included.
    static func pattern(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                buffer[index] = UInt8(truncatingIfNeeded: state >> 56)
            }
            initialized = count
        }
    }
}

@Suite struct TransportSocketTests {
    typealias T = TransportTesting

    /// A loopback TCP server on a port the system picks, and a client through the spec
    /// factory, exchanging a real H4 command and event.
    @Test func tcpLoopbackExchangesH4() throws {
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        defer { server.close() }
        let port = try #require(server.boundPort)
        #expect(port != 0)
        #expect(server.target == "tcp-server:127.0.0.1:\(port)")
        let client = try TransportSpec(parsing: "tcp-client:127.0.0.1:\(port)").open(timeout: .seconds(2))
        defer { client.close() }
        #expect(try server.waitForHost(timeout: .seconds(2)))
        #expect(server.isHostConnected && server.connectionCount == 1)

        var writer = ByteWriter()
        HCICommand.reset.encodeH4(into: &writer)
        #expect(writer.bytes == T.resetH4)
        try client.write(writer.bytes)
        let command = try T.readPacket(from: server) { type, packet in
            type == .command ? try HCICommand(parsing: packet) : nil
        }
        #expect(command == .reset)

        var event = ByteWriter()
        event.write(HCIPacketType.event.rawValue)
        HCIEvent.CommandComplete.encode(opcode: .reset, status: 0x00, into: &event)
        // btmon: "> HCI Event: Command Complete (0x0e) plen 4 / Reset (0x03|0x0003) ncmd 1 / Status: Success"
        #expect(event.bytes == [0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00])
        try server.write(event.bytes)
        let complete = try T.readPacket(from: client) { type, packet -> HCIEvent.CommandComplete? in
            guard type == .event, case .commandComplete(let complete) = try HCIEvent(parsing: packet) else { return nil }
            return complete
        }
        #expect(complete.opcode == .reset && complete.status == 0x00 && complete.numHCICommandPackets == 1)
    }

    /// `tcp-server:_:0` listens on every interface; both loopback families reach it where
    /// the machine has them.
    @Test func wildcardServerTakesIPv4AndIPv6() throws {
        for host in ["127.0.0.1", "::1"] {
            let server = try SocketServer(listening: TransportSpec(parsing: "tcp-server:_:0"))
            defer { server.close() }
            let port = try #require(server.boundPort)
            #expect(server.target == "tcp-server:_:\(port)")
            let client: SocketTransport
            do {
                client = try SocketTransport.connect(host: host, port: port, timeout: .seconds(1))
            } catch {
                // No IPv6 on this machine (or only an IPv4 wildcard could be bound).
                if host == "::1" { continue }
                throw error
            }
            defer { client.close() }
            try client.write([0x01, 0x02])
            #expect(try T.readExactly(2, from: server) == [0x01, 0x02])
        }
    }

    @Test func unixServerIsPrivateAndReplacesAStaleSocket() throws {
        let directory = try T.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/hci.sock"

        // A stale socket file, as a crashed run leaves behind: bound, never unlinked.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let address = try #require(SocketAddress(unixPath: path))
        #expect(address.withSockaddr { bind(stale, $0, $1) } == 0)
        close(stale)
        #expect(FileManager.default.fileExists(atPath: path))

        let server = try SocketServer(listening: TransportSpec(parsing: "unix-server:\(path)"))
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)

        // A live server is not replaced.
        #expect {
            _ = try SocketServer(unixPath: path)
        } throws: { error in
            guard case .system("bind", "unix-server:\(path)", EADDRINUSE, _) = error as? TransportError else { return false }
            return true
        }

        let client = try TransportSpec.unixClient(path: path).open(timeout: .seconds(1))
        try client.write(T.resetH4)
        #expect(try T.readExactly(4, from: server) == T.resetH4)
        try server.write([0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00])
        #expect(try T.readExactly(7, from: client) == [0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00])
        client.close()
        server.close()
        #expect(!FileManager.default.fileExists(atPath: path), "close() removes the socket file")

        // Something that is not a socket is never deleted.
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep".utf8))
        #expect {
            _ = try SocketServer(unixPath: path)
        } throws: { error in
            guard case .system("bind", _, EEXIST, let message) = error as? TransportError else { return false }
            return message.contains("not a socket")
        }
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func readTimeoutReturnsZeroPromptly() throws {
        let (host, controller) = try PipeTransport.makePair(label: "timeout")
        defer { host.close(); controller.close() }
        var buffer = [UInt8](repeating: 0, count: 16)
        let clock = ContinuousClock()
        var count = -1
        let waited = try clock.measure {
            count = try buffer.withUnsafeMutableBytes { try host.read(into: $0, timeout: .milliseconds(100)) }
        }
        #expect(count == 0)
        #expect(waited >= .milliseconds(95) && waited < .milliseconds(600), "waited \(waited)")
        let polled = try clock.measure {
            count = try buffer.withUnsafeMutableBytes { try host.read(into: $0, timeout: .zero) }
        }
        #expect(count == 0 && polled < .milliseconds(50))

        // Bytes already there come back at once, even with a long timeout.
        try controller.write([0x04, 0x0E])
        count = try buffer.withUnsafeMutableBytes { try host.read(into: $0, timeout: .seconds(10)) }
        #expect(count == 2 && buffer[..<2] == [0x04, 0x0E])
    }

    @Test func endOfStreamAfterPeerCloseThrowsClosed() throws {
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        defer { server.close() }
        let client = try SocketTransport.connect(host: "127.0.0.1", port: try #require(server.boundPort), timeout: .seconds(1))
        #expect(try server.waitForHost(timeout: .seconds(1)))
        try server.write([0x04, 0x0E, 0x04, 0x01, 0x03, 0x0C, 0x00])
        server.close()
        // What was sent before the close is still delivered, then the end of stream.
        #expect(try T.readExactly(7, from: client).first == 0x04)
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try client.read(into: $0, timeout: .seconds(1)) }
        }
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try client.read(into: $0, timeout: nil) }
        }
        // Writing to a peer that has gone is `.closed` (EPIPE), not a SIGPIPE that kills the tests.
        #expect(throws: TransportError.closed) {
            for _ in 0..<100 { try client.write([UInt8](repeating: 0, count: 65536)) }
        }
        client.close()
        #expect(throws: TransportError.closed) { try client.write([0x01]) }
    }

    @Test func closeFromAnotherThreadWakesABlockedRead() throws {
        let (host, controller) = try PipeTransport.makePair(label: "wake")
        defer { controller.close() }
        let reader = T.Partner {
            var buffer = [UInt8](repeating: 0, count: 16)
            do {
                _ = try buffer.withUnsafeMutableBytes { try host.read(into: $0, timeout: nil) }
                throw T.Timeout(expected: 0, received: 1)
            } catch TransportError.closed {
                return
            }
        }
        Thread.sleep(forTimeInterval: 0.1)
        host.close()
        try reader.join(timeout: .seconds(2))
    }

    /// 2 MiB, far more than the socket buffers, written in one call while a reader drains it.
    @Test(arguments: ["tcp", "pipe"])
    func largeWritesArriveWhole(_ kind: String) throws {
        let payload = T.pattern(2 << 20)
        let sender: any HCITransport & Sendable
        let receiver: any HCITransport & Sendable
        var server: SocketServer? = nil
        if kind == "tcp" {
            let listener = try SocketServer(tcpHost: "127.0.0.1", port: 0)
            server = listener
            sender = try SocketTransport.connect(host: "127.0.0.1", port: try #require(listener.boundPort), timeout: .seconds(1))
            receiver = listener
        } else {
            let pair = try PipeTransport.makePair(label: "large")
            sender = pair.controller
            receiver = pair.host
        }
        defer { sender.close(); receiver.close(); server?.close() }
        let writer = T.Partner { try sender.write(payload) }
        let received = try T.readExactly(payload.count, from: receiver, timeout: .seconds(2))
        try writer.join()
        let identical = received == payload
        #expect(identical)
    }

    @Test func serverReacceptsAfterTheHostLeaves() throws {
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0, reacceptsAfterDisconnect: true)
        defer { server.close() }
        let port = try #require(server.boundPort)
        // Events written before any host connects are dropped, as a controller's would be.
        try server.write([0x04, 0x0E, 0x00])
        #expect(server.discardedByteCount == 3)

        let first = try SocketTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
        try first.write([0x01, 0x03, 0x0C, 0x00])
        #expect(try T.readExactly(4, from: server) == T.resetH4)
        #expect(server.connectionCount == 1)
        first.close()
        var buffer = [UInt8](repeating: 0, count: 16)
        let early = try buffer.withUnsafeMutableBytes { try server.read(into: $0, timeout: .seconds(2)) }
        #expect(early == 0)
        #expect(!server.isHostConnected)

        let second = try SocketTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
        defer { second.close() }
        try second.write([0x01, 0x01, 0x10, 0x00])
        #expect(try T.readExactly(4, from: server) == [0x01, 0x01, 0x10, 0x00])
        #expect(server.connectionCount == 2 && server.isHostConnected)
        try server.write([0x04])
        #expect(try T.readExactly(1, from: second) == [0x04])
    }

    @Test func serverWithoutReacceptIsDoneWhenTheHostLeaves() throws {
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        defer { server.close() }
        let port = try #require(server.boundPort)
        var buffer = [UInt8](repeating: 0, count: 16)

        // A probe that connects and leaves without a word (a liveness check, a port scan)
        // is not the host: the server goes on waiting.
        let probe = try SocketTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
        probe.close()
        #expect(try buffer.withUnsafeMutableBytes { try server.read(into: $0, timeout: .milliseconds(100)) } == 0)

        let client = try SocketTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
        try client.write(T.resetH4)
        #expect(try T.readExactly(4, from: server) == T.resetH4)
        #expect(server.connectionCount == 2)
        client.close()
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try server.read(into: $0, timeout: .seconds(1)) }
        }
        #expect(throws: TransportError.closed) { try server.write([0x04]) }
    }

    @Test func aSecondHostIsTurnedAway() throws {
        let server = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        defer { server.close() }
        let port = try #require(server.boundPort)
        let first = try SocketTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
        defer { first.close() }
        #expect(try server.waitForHost(timeout: .seconds(1)))
        let second = try SocketTransport.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
        defer { second.close() }
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(try buffer.withUnsafeMutableBytes { try server.read(into: $0, timeout: .milliseconds(200)) } == 0)
        #expect(server.rejectedConnectionCount == 1)
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try second.read(into: $0, timeout: .seconds(1)) }
        }
        try first.write([0x01, 0x03, 0x0C, 0x00])
        #expect(try T.readExactly(4, from: server) == T.resetH4)
    }

    @Test func failuresNameTheCallTheTargetAndErrno() throws {
        // A port that was just free: nothing listens there.
        let probe = try SocketServer(tcpHost: "127.0.0.1", port: 0)
        let port = try #require(probe.boundPort)
        probe.close()
        let refused = #expect(throws: TransportError.self) {
            _ = try TransportSpec.tcpClient(host: "127.0.0.1", port: port).open(timeout: .seconds(1))
        }
        #expect(refused == .system(call: "connect", target: "tcp-client:127.0.0.1:\(port)", errno: ECONNREFUSED,
                                   message: String(cString: strerror(ECONNREFUSED))))
        #expect(refused?.description == "connect tcp-client:127.0.0.1:\(port): Connection refused (errno \(ECONNREFUSED))")

        let missing = #expect(throws: TransportError.self) {
            _ = try TransportSpec.unixClient(path: "/nonexistent/gaitway.sock").open(timeout: .seconds(1))
        }
        #expect(missing == .system(call: "connect", target: "unix:/nonexistent/gaitway.sock", errno: ENOENT,
                                   message: "No such file or directory"))

        let unresolvable = #expect(throws: TransportError.self) {
            _ = try SocketTransport.connect(host: "no-such-host.invalid", port: 9001, timeout: .seconds(1))
        }
        guard case .system("getaddrinfo", "tcp-client:no-such-host.invalid:9001", _, _)? = unresolvable else {
            Issue.record("unexpected \(String(describing: unresolvable))")
            return
        }
    }

    @Test func serverSpecWaitsForAHostWithinTheTimeout() throws {
        let clock = ContinuousClock()
        var error: TransportError? = nil
        let waited = clock.measure {
            error = #expect(throws: TransportError.self) {
                _ = try TransportSpec.tcpServer(host: "127.0.0.1", port: 0).open(timeout: .milliseconds(150))
            }
        }
        guard case .system("accept", _, ETIMEDOUT, _)? = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(waited >= .milliseconds(140) && waited < .seconds(1))
    }
}
