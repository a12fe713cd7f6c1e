import BLEWire
import Foundation
import GaitwayTestSupport
import Glibc
import Testing
@testable import BLEHost

/// Interoperability with a controller nobody here wrote: Bumble's two virtual controllers
/// (`python -m bumble.apps.controllers tcp-server:... tcp-server:...`), reached through
/// `tcp-client:`. Needs the repository's `.venv` (tools/bootstrap.sh); without it the test
/// passes with a message, unless GAITWAY_REQUIRE_REFERENCES=1 (as `make test` sets).
@Suite struct TransportBumbleTests {
    /// Connects once the process listens; nil if it exits or the deadline passes first.
    static func connect(_ spec: TransportSpec, while process: Process,
                        until deadline: ContinuousClock.Instant) throws -> (any HCITransport)? {
        while process.isRunning && ContinuousClock.now < deadline {
            do {
                return try spec.open(timeout: .milliseconds(200))
            } catch let error {
                guard case .system("connect", _, ECONNREFUSED, _) = error else { throw error }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    @Test func resetThroughBumbleVirtualController() throws {
        guard Reference.pythonAvailable(for: "Bumble interop") else { return }
        let ports = try Loopback.freePorts(2)
        let bumble = Process()
        bumble.executableURL = URL(fileURLWithPath: Reference.python)
        bumble.arguments = ["-m", "bumble.apps.controllers", "tcp-server:127.0.0.1:\(ports[0])", "tcp-server:127.0.0.1:\(ports[1])"]
        bumble.currentDirectoryURL = Reference.repository
        let errors = Pipe()
        bumble.standardOutput = FileHandle.nullDevice
        bumble.standardError = errors
        try bumble.run()
        defer { ChildProcess.kill(bumble) }

        // Bumble takes about a second to start listening (much longer on a loaded machine):
        // retry the connection until then, while it runs.
        let spec = try TransportSpec(parsing: "tcp-client:127.0.0.1:\(ports[0])")
        guard let controller = try Self.connect(spec, while: bumble, until: ContinuousClock.now + .seconds(30)) else {
            ChildProcess.kill(bumble)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            Issue.record("Bumble's controller did not start listening on \(ports[0]): \(stderr)")
            return
        }
        defer { controller.close() }

        var command = ByteWriter()
        HCICommand.reset.encodeH4(into: &command)
        try controller.write(command.bytes)

        let complete = try TransportTesting.readPacket(from: controller, timeout: .seconds(2)) { type, packet -> HCIEvent.CommandComplete? in
            guard type == .event, case .commandComplete(let complete) = try HCIEvent(parsing: packet),
                  complete.opcode == .reset else { return nil }
            return complete
        }
        #expect(complete.status == 0x00, "HCI_Reset answered with status \(String(describing: complete.status))")
        #expect(complete.numHCICommandPackets >= 1)
    }
}
