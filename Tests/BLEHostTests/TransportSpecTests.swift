import Testing
@testable import BLEHost

/// `--hci` strings, spelled as Bumble spells its transports (bumble/transport/__init__.py,
/// tcp_server.py: `_` for all interfaces; serial.py: `DEVICE[,SPEED][,rtscts]`, speed
/// 1000000 by default).
@Suite struct TransportSpecTests {
    static let good: [(text: String, spec: TransportSpec, canonical: String)] = [
        ("tcp-client:127.0.0.1:9001", .tcpClient(host: "127.0.0.1", port: 9001), "tcp-client:127.0.0.1:9001"),
        ("tcp-client:localhost:1", .tcpClient(host: "localhost", port: 1), "tcp-client:localhost:1"),
        ("tcp-client:[::1]:65535", .tcpClient(host: "::1", port: 65535), "tcp-client:[::1]:65535"),
        // Bumble splits at the last colon, so an unbracketed IPv6 address works too.
        ("tcp-client:::1:9001", .tcpClient(host: "::1", port: 9001), "tcp-client:[::1]:9001"),
        ("tcp-server:_:9001", .tcpServer(host: nil, port: 9001), "tcp-server:_:9001"),
        ("tcp-server::9001", .tcpServer(host: nil, port: 9001), "tcp-server:_:9001"),
        ("tcp-server:0.0.0.0:0", .tcpServer(host: "0.0.0.0", port: 0), "tcp-server:0.0.0.0:0"),
        ("tcp-server:[::]:9002", .tcpServer(host: "::", port: 9002), "tcp-server:[::]:9002"),
        ("unix:/tmp/hci.sock", .unixClient(path: "/tmp/hci.sock"), "unix:/tmp/hci.sock"),
        ("unix-client:relative.sock", .unixClient(path: "relative.sock"), "unix:relative.sock"),
        ("unix-server:/run/gaitway/hci", .unixServer(path: "/run/gaitway/hci"), "unix-server:/run/gaitway/hci"),
        ("serial:/dev/ttyACM0", .serial(device: "/dev/ttyACM0", baudRate: 1_000_000, rtscts: false),
         "serial:/dev/ttyACM0,1000000"),
        ("serial:/dev/ttyUSB0,115200", .serial(device: "/dev/ttyUSB0", baudRate: 115_200, rtscts: false),
         "serial:/dev/ttyUSB0,115200"),
        ("serial:/dev/ttyACM1,rtscts,3000000", .serial(device: "/dev/ttyACM1", baudRate: 3_000_000, rtscts: true),
         "serial:/dev/ttyACM1,3000000,rtscts"),
        ("serial:/dev/ttyS0,2000000,rtscts", .serial(device: "/dev/ttyS0", baudRate: 2_000_000, rtscts: true),
         "serial:/dev/ttyS0,2000000,rtscts"),
        ("hci-socket:0", .hciSocket(index: 0), "hci-socket:0"),
        ("hci-socket", .hciSocket(index: 0), "hci-socket:0"),
        ("hci-socket:3", .hciSocket(index: 3), "hci-socket:3"),
        ("bluez:hci1", .bluez(index: 1), "bluez:hci1"),
        ("btsnoop:captures/run 1.btsnoop", .btsnoop(path: "captures/run 1.btsnoop"), "btsnoop:captures/run 1.btsnoop"),
        ("sim", .simulator(scenario: nil), "sim"),
        ("sim:quickstart", .simulator(scenario: "quickstart"), "sim:quickstart"),
        ("sim:Simulators/gym-100.yaml", .simulator(scenario: "Simulators/gym-100.yaml"), "sim:Simulators/gym-100.yaml"),
    ]

    @Test(arguments: good)
    func parsesAndRoundTrips(_ example: (text: String, spec: TransportSpec, canonical: String)) throws {
        let spec = try TransportSpec(parsing: example.text)
        #expect(spec == example.spec)
        #expect(spec.description == example.canonical)
        #expect(try TransportSpec(parsing: spec.description) == spec)
        #expect(TransportSpec(example.canonical) == spec)
    }

    static let bad: [(text: String, reason: String)] = [
        ("", "empty; expected one of sim, tcp-client"),
        ("tcp", "unknown transport 'tcp'"),
        ("usb:0", "unknown transport 'usb'"),
        ("TCP-CLIENT:127.0.0.1:9001", "unknown transport 'TCP-CLIENT'"),
        ("tcp-client", "tcp-client needs an argument: tcp-client:HOST:PORT"),
        ("tcp-client:127.0.0.1", "expected HOST:PORT, found '127.0.0.1'"),
        ("tcp-client:127.0.0.1:", "port is missing"),
        ("tcp-client:127.0.0.1:http", "port 'http' is not a number"),
        ("tcp-client:127.0.0.1:-1", "port '-1' is not a number"),
        ("tcp-client:127.0.0.1:0", "port must be 1-65535, found 0"),
        ("tcp-client:127.0.0.1:65536", "port must be 1-65535, found 65536"),
        ("tcp-server:_:70000", "port must be 0-65535, found 70000"),
        ("tcp-client::9001", "host is missing"),
        ("tcp-client:_:9001", "host is missing"),
        ("tcp-client:[::1:9001", "unclosed '['"),
        ("tcp-client:my host:9001", "contains a space"),
        ("unix:", "path is empty"),
        ("unix-server:/" + String(repeating: "x", count: 200), "path is 201 bytes, longer than the 107"),
        ("serial:", "device is empty"),
        ("serial:/dev/ttyACM0,12345", "baud rate 12345 is not supported (supported: 9600,"),
        ("serial:/dev/ttyACM0,115200,9600", "baud rate given twice"),
        ("serial:/dev/ttyACM0,dsrdtr", "unknown serial option 'dsrdtr'"),
        ("serial:/dev/ttyACM0,", "unknown serial option ''"),
        ("hci-socket:hci0", "adapter index 'hci0' is not a number"),
        ("hci-socket:65536", "adapter index '65536' is not a number from 0 to 65535"),
        ("bluez:0", "adapter '0' is not of the form hciN"),
        ("bluez", "bluez needs an argument"),
        ("btsnoop:", "file path is empty"),
        ("sim:", "scenario name is empty"),
    ]

    @Test(arguments: bad)
    func rejectsWithAReason(_ example: (text: String, reason: String)) {
        do {
            let spec = try TransportSpec(parsing: example.text)
            Issue.record("'\(example.text)' parsed as \(spec)")
        } catch {
            guard case let .invalidSpec(text, reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(text == example.text)
            #expect(reason.contains(example.reason), "\(reason)")
            #expect(error.description.hasPrefix("invalid transport '\(example.text)': "))
        }
        #expect(TransportSpec(example.text) == nil)
    }

    @Test func transportsOfLaterIssuesSayWhyTheyCannotOpen() {
        for text in ["btsnoop:/tmp/none.btsnoop", "sim:quickstart"] {
            do {
                _ = try TransportSpec(parsing: text).open(timeout: .zero)
                Issue.record("\(text) opened")
            } catch {
                guard case let .unsupported(spec, reason) = error else {
                    Issue.record("\(text): unexpected \(error)")
                    continue
                }
                #expect(spec == text)
                #expect(reason.contains("not available in this build") || reason.contains("not implemented yet")
                    || reason.contains("provided by DeviceSim"), "\(reason)")
            }
        }
    }

    @Test func serverFlag() throws {
        #expect(try TransportSpec(parsing: "tcp-server:_:0").isServer)
        #expect(try TransportSpec(parsing: "unix-server:/tmp/x").isServer)
        #expect(try !TransportSpec(parsing: "tcp-client:h:1").isServer)
    }
}
