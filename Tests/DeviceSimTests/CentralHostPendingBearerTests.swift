import BLEHost
import BLEWire
import Glibc
import ProtocolSpecs
import Testing
@testable import DeviceSim

/// Kernel-managed mode connects without blocking (`BlueZATTSocket.startConnecting`): the
/// connector returns a bearer whose link the kernel is still creating, and the central host
/// asks it between reads. Here the link of a simulated device comes up a set time after the
/// attempt starts, or never.
@Suite struct CentralHostPendingBearerTests {
    typealias FirmwareBearer = CentralHostBearerTests.FirmwareBearer

    /// A bearer whose link is up `delay` seconds (simulated) after it was opened; infinity:
    /// never. The device sees the connection only then.
    final class SlowBearer: ATTBearer {
        let device: any VirtualPeripheral
        let clock: () -> Double
        let upAt: Double
        var inner: FirmwareBearer?
        var closed = false

        init(_ device: any VirtualPeripheral, delay: Double, clock: @escaping () -> Double) {
            self.device = device
            self.clock = clock
            upAt = clock() + delay
        }

        func connectionEstablished() throws(TransportError) -> Bool {
            if closed { throw .closed }
            guard clock() >= upAt else { return false }
            if inner == nil { inner = FirmwareBearer(device, central: BDAddress(rawValue: 0xC0FFEE), clock: clock) }
            return true
        }

        func send(_ pdu: [UInt8]) throws(TransportError) {
            guard let inner else { throw .closed }
            try inner.send(pdu)
        }

        func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int {
            guard let inner else { return 0 }
            return try inner.receive(into: buffer, timeout: timeout)
        }

        func close() { closed = true }
    }

    func host(delay: Double, seconds: Double) throws -> (host: CentralHost, recorder: CentralHostSimulatorTests.Recorder,
                                                            opened: [(address: BDAddress, bearer: SlowBearer)],
                                                            wristbands: Set<BDAddress>) {
        let (catalog, simulation, virtual) = try CentralHostBearerTests.kernelManagedQuickstart()
        var opened: [(address: BDAddress, bearer: SlowBearer)] = []
        let connector: ATTBearerConnector = { address, _ in
            let device = try #require(simulation.devices.first { $0.address == address })
            let bearer = SlowBearer(device, delay: delay, clock: { virtual.now })
            opened.append((address, bearer))
            return bearer
        }
        let host = CentralHost(transport: virtual, configuration: CentralConfiguration(allow: [.service(.heartRateService)]),
                               connector: connector, clock: { virtual.now })
        host.wantsSubscription = { catalog.spec(forCharacteristic: $0) != nil }
        let recorder = CentralHostSimulatorTests.Recorder()
        host.delegate = recorder
        try host.run(until: seconds)
        return (host, recorder, opened, Set(simulation.devices.filter { !$0.spec.isInsole }.map(\.address)))
    }

    /// Links that take 3 s to come up: both wristbands' attempts are under way at once (the
    /// second starts before the first is up), and both links become ready and notify.
    @Test func attemptsOverlapAndEveryLinkComesUp() throws {
        let (host, recorder, opened, wristbands) = try host(delay: 3, seconds: 20)
        #expect(Set(opened.map(\.address)) == wristbands)
        let starts = opened.map(\.bearer.upAt)
        #expect(opened.count == 2 && starts[1] - 3 < starts[0], "links up at \(starts): the second attempt waited for the first")
        #expect(Set(recorder.readyPeers.map(\.address)) == wristbands)
        for band in wristbands {
            let rates = recorder.values.filter { $0.address == band && $0.uuid == .heartRateMeasurement }
            #expect(rates.count >= 5, "\(band): \(rates.count) heart rate notifications")
        }
        #expect(host.statistics.failedConnections == 0)
    }

    /// A link the kernel takes longer than `connectTimeout` (5 s) to create is waited for: the
    /// kernel creates one link at a time, so attempts under way at once wait their turn, and
    /// closing a socket mid-creation made Debian's 6.1 kernel stop connecting (issue 10).
    @Test func anAttemptSlowerThanTheConnectTimeoutIsNotCancelled() throws {
        let (host, recorder, opened, wristbands) = try host(delay: 12, seconds: 40)
        // One attempt per wristband, none given up (the host closes every bearer when it stops).
        #expect(opened.count == 2, "\(opened.map(\.address))")
        #expect(Set(recorder.readyPeers.map(\.address)) == wristbands)
        #expect(host.statistics.failedConnections == 0)
    }

    /// A link that never comes up (and whose socket never says why) is given up after
    /// `CentralHost.kernelConnectTimeout` (45 s, past the kernel's own 40 s): the bearer is
    /// closed, the failure is reported as Connection Failed to be Established, and the device is
    /// tried again after its backoff.
    @Test func anAttemptThatNeverCompletesIsGivenUpAndRetried() throws {
        let (host, recorder, opened, wristbands) = try host(delay: .infinity, seconds: 100)
        #expect(recorder.readyPeers.isEmpty)
        let failures = recorder.events.compactMap { event -> BDAddress? in
            guard case .connectFailed(let address, let status) = event,
                  status == HCIStatusCode.connectionFailedToBeEstablished else { return nil }
            return address
        }
        #expect(Set(failures) == wristbands, "\(failures)")
        #expect(host.statistics.failedConnections == failures.count)
        // Each wristband: tried, given up after 45 s, retried after 1 s, given up at 91 s.
        for band in wristbands {
            let attempts = opened.filter { $0.address == band }
            #expect(attempts.count == 3, "\(band): \(attempts.count) attempts")
            #expect(attempts.dropLast().allSatisfy { $0.bearer.closed }, "\(band): a given-up bearer left open")
        }
    }
}
