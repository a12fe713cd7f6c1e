import Glibc

/// H4 over a UART (`serial:DEVICE[,BAUD][,rtscts]`), e.g. an nRF52 or ESP32 running
/// Zephyr's HCI UART firmware: the Core Specification's UART transport (v5.4, Vol 4,
/// Part A) is 8 data bits, no parity, 1 stop bit, with RTS/CTS flow control recommended.
///
/// The terminal is put in raw mode (`cfmakeraw`: no line editing, no echo, no CR/LF
/// translation, no XON/XOFF, no signals from bytes), so every byte 0x00-0xFF passes
/// unchanged; `CLOCAL` ignores modem lines so that boards without DCD work. The device is
/// opened with `O_NOCTTY` (it never becomes our controlling terminal), and bytes the
/// device sent before we opened it are flushed.
///
/// One thread may read while another writes. Unlike a socket, `close()` does not wake a
/// read blocked in another thread: give reads a timeout.
public final class SerialTransport: HCITransport, Sendable {
    let stream: StreamDescriptor

    /// The transport spec this was opened with, e.g. "serial:/dev/ttyACM0,1000000,rtscts".
    public var target: String { stream.target }
    /// The device path.
    public let device: String
    public let baudRate: Int
    public let rtscts: Bool

    /// Baud rates with a termios constant on Linux, from 9600 up to 4 Mbit/s.
    public static let supportedBaudRates: [Int] = speedConstants.map(\.rate)

    private static let speedConstants: [(rate: Int, speed: Int32)] = [
        (9600, B9600), (19200, B19200), (38400, B38400), (57600, B57600), (115_200, B115200), (230_400, B230400),
        (460_800, B460800), (500_000, B500000), (576_000, B576000), (921_600, B921600), (1_000_000, B1000000),
        (1_152_000, B1152000), (1_500_000, B1500000), (2_000_000, B2000000), (2_500_000, B2500000),
        (3_000_000, B3000000), (3_500_000, B3500000), (4_000_000, B4000000),
    ]

    /// Opens and configures the device.
    public init(device: String, baudRate: Int = TransportSpec.defaultSerialBaudRate, rtscts: Bool = false) throws(TransportError) {
        let target = TransportSpec.serial(device: device, baudRate: baudRate, rtscts: rtscts).description
        guard let speed = Self.speedConstants.first(where: { $0.rate == baudRate })?.speed else {
            throw .invalidSpec(target, reason: "baud rate \(baudRate) is not supported")
        }
        // O_NONBLOCK only for the open itself, which can otherwise wait for carrier detect.
        let descriptor = SystemCall.retrying { Glibc.open(device, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK) }
        guard descriptor >= 0 else { throw SystemCall.failure("open", target) }
        do throws(TransportError) {
            try Self.configure(descriptor, speed: speed_t(speed), rtscts: rtscts, target: target)
            try SystemCall.setNonBlocking(descriptor, false, target: target)
        } catch {
            _ = Glibc.close(descriptor)
            throw error
        }
        stream = StreamDescriptor(descriptor, kind: .terminal, target: target)
        self.device = device
        self.baudRate = baudRate
        self.rtscts = rtscts
    }

    private static func configure(_ descriptor: Int32, speed: speed_t, rtscts: Bool, target: String) throws(TransportError) {
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else { throw SystemCall.failure("tcgetattr", target) }
        cfmakeraw(&settings)
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        settings.c_cflag &= ~tcflag_t(CSTOPB | PARENB)
        if rtscts { settings.c_cflag |= CRTSCTS } else { settings.c_cflag &= ~CRTSCTS }
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        // Reads are preceded by poll(): VMIN 1 / VTIME 0 makes read() return what has
        // arrived, and 0 only at hang-up.
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard cfsetispeed(&settings, speed) == 0, cfsetospeed(&settings, speed) == 0 else {
            throw SystemCall.failure("cfsetspeed", target)
        }
        guard SystemCall.retrying({ tcsetattr(descriptor, TCSANOW, &settings) }) == 0 else {
            throw SystemCall.failure("tcsetattr", target)
        }
        // tcsetattr succeeds if any one change took; check the ones that matter did.
        var applied = termios()
        guard tcgetattr(descriptor, &applied) == 0 else { throw SystemCall.failure("tcgetattr", target) }
        guard cfgetospeed(&applied) == speed, applied.c_lflag & tcflag_t(ICANON | ECHO) == 0,
              (applied.c_cflag & CRTSCTS != 0) == rtscts else {
            throw .system(call: "tcsetattr", target: target, errno: EINVAL,
                          message: "the device did not accept the speed or raw mode")
        }
        _ = tcflush(descriptor, TCIOFLUSH)
    }

    // MARK: HCITransport

    public func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
        try stream.read(into: buffer, timeout: timeout)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        try stream.write(bytes)
    }

    public func close() { stream.close() }
}
