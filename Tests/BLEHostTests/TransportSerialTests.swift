import Foundation
import Glibc
import Testing
@testable import BLEHost

/// `serial:` over a pseudo-terminal: the transport opens the pty's terminal side by name as
/// it would /dev/ttyACM0, and the test plays the controller on the master side. A pty
/// applies the terminal side's line discipline (echo, CR/LF mapping, XON/XOFF, signals) to
/// both directions, so raw mode is really checked: every byte must pass unchanged.
@Suite struct TransportSerialTests {
    typealias T = TransportTesting

    /// A pty pair: the master descriptor and the terminal's path. `openpty` (glibc) does
    /// posix_openpt + grantpt + unlockpt + ptsname in one call, and the Glibc module
    /// exposes it where it hides posix_openpt.
    final class PseudoTerminal {
        private(set) var master: Int32
        private let terminal: Int32
        let path: String

        init() throws {
            var master: Int32 = -1, terminal: Int32 = -1
            guard openpty(&master, &terminal, nil, nil, nil) == 0, let name = ttyname(terminal) else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            self.master = master
            self.terminal = terminal
            path = String(cString: name)
        }

        deinit {
            hangUp()
            close(terminal)
        }

        /// Closes the controller side, as when a USB UART is unplugged.
        func hangUp() {
            if master >= 0 { close(master) }
            master = -1
        }

        func write(_ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
                if written > 0 { offset += written } else if errno != EINTR { return }
            }
        }

        func read(_ count: Int, timeout: Int32 = 2000) -> [UInt8] {
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while bytes.count < count {
                var entry = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, timeout) > 0 else { break }
                let got = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, min($0.count, count - bytes.count)) }
                guard got > 0 else { break }
                bytes += buffer[..<got]
            }
            return bytes
        }
    }

    @Test func rawModePassesEveryByteBothWays() throws {
        let pty = try PseudoTerminal()
        let serial = try TransportSpec(parsing: "serial:\(pty.path),115200").open()
        defer { serial.close() }
        // Every byte value, including CR, LF, XON/XOFF, ^C, ^D, ^Z, DEL and 0xFF, twice.
        let everyByte = (0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init)

        pty.write(everyByte)
        #expect(try T.readExactly(everyByte.count, from: serial) == everyByte)

        try serial.write(everyByte)
        #expect(pty.read(everyByte.count) == everyByte)
        // No echo came back to the controller side either.
        #expect(pty.read(1, timeout: 50) == [])
    }

    @Test func hangUpEndsTheStream() throws {
        let pty = try PseudoTerminal()
        let serial = try SerialTransport(device: pty.path, baudRate: 115_200)
        defer { serial.close() }
        pty.write([0x04, 0x0E])
        #expect(try T.readExactly(2, from: serial) == [0x04, 0x0E])
        pty.hangUp()
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try serial.read(into: $0, timeout: .seconds(1)) }
        }
    }

    @Test(arguments: [115_200, 1_000_000, 2_000_000, 3_000_000])
    func configuresSpeedAndRawMode(_ baudRate: Int) throws {
        let pty = try PseudoTerminal()
        let serial = try SerialTransport(device: pty.path, baudRate: baudRate)
        defer { serial.close() }
        #expect(serial.target == "serial:\(pty.path),\(baudRate)")
        var settings = termios()
        #expect(tcgetattr(serial.stream.number, &settings) == 0)
        let expectedSpeed: Int32 = switch baudRate {
        case 115_200: B115200
        case 1_000_000: B1000000
        case 2_000_000: B2000000
        default: B3000000
        }
        #expect(cfgetospeed(&settings) == speed_t(expectedSpeed))
        #expect(cfgetispeed(&settings) == speed_t(expectedSpeed))
        #expect(settings.c_lflag & tcflag_t(ICANON | ECHO | ISIG | IEXTEN) == 0)
        #expect(settings.c_iflag & tcflag_t(ICRNL | IXON | ISTRIP) == 0)
        #expect(settings.c_oflag & tcflag_t(OPOST) == 0)
        #expect(settings.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
        #expect(settings.c_cflag & tcflag_t(PARENB | CSTOPB) == 0)
        #expect(settings.c_cflag & CRTSCTS == 0)
    }

    @Test func hardwareFlowControlIsSet() throws {
        let pty = try PseudoTerminal()
        let serial = try TransportSpec(parsing: "serial:\(pty.path),1000000,rtscts").open()
        defer { serial.close() }
        let uart = try #require(serial as? SerialTransport)
        #expect(uart.rtscts && uart.baudRate == 1_000_000)
        var settings = termios()
        #expect(tcgetattr(uart.stream.number, &settings) == 0)
        #expect(settings.c_cflag & CRTSCTS != 0)
    }

    @Test func readTimesOutAndMissingDevicesAreNamed() throws {
        let pty = try PseudoTerminal()
        let serial = try SerialTransport(device: pty.path, baudRate: 115_200)
        var buffer = [UInt8](repeating: 0, count: 8)
        var count = -1
        let waited = try ContinuousClock().measure {
            count = try buffer.withUnsafeMutableBytes { try serial.read(into: $0, timeout: .milliseconds(80)) }
        }
        #expect(count == 0)
        #expect(waited >= .milliseconds(75) && waited < .milliseconds(600))
        serial.close()
        #expect(throws: TransportError.closed) {
            _ = try buffer.withUnsafeMutableBytes { try serial.read(into: $0, timeout: .zero) }
        }

        let error = #expect(throws: TransportError.self) {
            _ = try TransportSpec(parsing: "serial:/dev/gaitway-no-such-tty,115200").open()
        }
        #expect(error == .system(call: "open", target: "serial:/dev/gaitway-no-such-tty,115200", errno: ENOENT,
                                 message: "No such file or directory"))
        // Not a terminal: configuring it fails with the device named.
        let notATerminal = #expect(throws: TransportError.self) { _ = try SerialTransport(device: "/dev/null") }
        guard case .system("tcgetattr", "serial:/dev/null,1000000", ENOTTY, _)? = notATerminal else {
            Issue.record("unexpected \(String(describing: notATerminal))")
            return
        }
    }
}
