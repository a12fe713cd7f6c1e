import BLEWire

/// The kernel-managed mode (`bluez:hciN`): the kernel owns the adapter and its LE links,
/// so the host only scans over the raw HCI socket and connects by opening an ATT bearer
/// (an L2CAP socket on CID 4) per device; GATT then runs over that bearer exactly as over
/// ACL. Links get handles of the host's own numbering (the kernel does not expose its own).
extension CentralHost {
    /// Whether ATT goes over bearers (kernel-managed adapter) rather than ACL.
    public var isKernelManaged: Bool { connector != nil }

    /// Whether `event` is one of the kernel's own link events, which a raw HCI socket
    /// (`bluez:hciN`) receives copies of: LE Meta events pass its filter whole, so the LE
    /// Connection Complete of the link the kernel made for a bearer arrives too, with the
    /// kernel's handle. The kernel answers these (connection parameter requests included);
    /// the host's links come from its bearers (``connectThroughBearer(_:_:at:)``) and end
    /// when a bearer closes. Taken as the host's own, they set every link up twice: two
    /// GATT clients, two Exchange MTU requests per link (btmon, 2026-12-02).
    ///
    /// So do Command Complete and Command Status once the host has started (its start-up
    /// commands take their answers in `execute`): after that the host sends nothing on a
    /// kernel-managed adapter until it stops, and what the socket sees answers the kernel's or
    /// bluetoothd's commands: the kernel's LE Create Connection Cancel, refused with Command
    /// Disallowed, was logged as a failure of the gateway's (btmon, 2026-12-02).
    static func belongsToKernel(_ event: HCIEvent) -> Bool {
        switch event {
        case .leConnectionComplete, .leEnhancedConnectionComplete, .disconnectionComplete,
             .leRemoteConnectionParameterRequest, .leConnectionUpdateComplete, .commandComplete, .commandStatus:
            true
        default:
            false
        }
    }

    // MARK: The kernel's scanning

    /// A command the kernel (or bluetoothd) sent to the controller: the raw socket's filter
    /// passes commands (``BlueZHCIFilter/leScanning``), and the kernel copies every command it
    /// sends to raw sockets (`hci_send_frame` -> `hci_send_to_sock`, hci_core.c).
    ///
    /// The kernel scans around its own connections: for each pending ATT socket it stops
    /// scanning, adds the peer to the accept list, scans passively with it, stops again for
    /// LE Extended Create Connection, and when no connection is pending any more it leaves
    /// scanning off (`hci_update_passive_scan_sync`, hci_sync.c; btmon, 2026-12-02: after the
    /// fourth link no scan at all for the remaining 56 s, so no advertisement reached the
    /// gateway). The host lets the kernel have the scanner while it connects and starts its own
    /// scan again once the kernel has left it off (``resumeScanning(at:)``), with the scan
    /// commands the kernel itself uses: a controller refuses a legacy scan command after an
    /// extended one (Command Disallowed, Vol 4, Part E, §3.1.1).
    func observeKernelCommand(_ packet: RawSpan, at now: Double) {
        let enable: Bool
        switch try? HCICommand(parsing: packet) {
        case .leSetExtendedScanEnable(let command)?:
            usesExtendedCommands = true
            enable = command.enable
        case .leSetScanEnable(let on, _)?:
            usesExtendedCommands = false
            enable = on
        default:
            return
        }
        kernelScan = (enable, now)
        scanningEnabled = false
    }

    /// Starts the host's scan again when the kernel stopped scanning at least a second ago
    /// and no connection of the host's is pending (the kernel would scan for it itself).
    func resumeScanning(at now: Double) {
        guard let scan = kernelScan, !scan.enabled, now - scan.at >= 1, pendingBearers.isEmpty else { return }
        kernelScan = nil
        link.send(command: (usesExtendedCommands ? HCICommand.leSetExtendedScanParameters(extendedScanParameters)
                                                 : .leSetScanParameters(scanParameters)).encoded)
        setScanning(true)
    }

    /// Sends an ATT PDU on a link, over its bearer or as ACL.
    func sendATT(_ pdu: [UInt8], handle: ConnectionHandle) {
        guard let bearer = bearers[handle] else {
            link.send(l2cap: pdu, channel: .att, handle: handle)
            return
        }
        do throws(TransportError) {
            try bearer.send(pdu)
        } catch {
            bearerLost(handle, at: clock())
        }
    }

    /// Connects through the connector; the kernel creates the LE link.
    func connectThroughBearer(_ address: BDAddress, _ device: SeenDevice, at now: Double) {
        guard let connector else { return }
        statistics.connectionAttempts += 1
        delegate?.central(self, event: .connecting(address), at: now)
        let bearer: any ATTBearer
        do {
            bearer = try connector(address, device.addressType)
        } catch {
            // Connection Failed to be Established (0x3E): the kernel's reason is in the log.
            delegate?.central(self, event: .unexpectedPacket("ATT bearer to \(address): \(error)"), at: now)
            connectFailed(address, status: HCIStatusCode.connectionFailedToBeEstablished, at: clock())
            return
        }
        pendingBearers[address] = (bearer, now)
        pollPendingBearers(at: clock())
    }

    /// How long a kernel-managed attempt may stay pending before the host gives it up: longer
    /// than the kernel's own limit, so that the kernel ends its attempts itself.
    ///
    /// The kernel connects an L2CAP socket by adding the peer to its pending connections and
    /// scanning passively with the accept list (`hci_connect_le_scan`, net/bluetooth/hci_conn.c);
    /// it creates one LE connection at a time, each when the peer next advertises, and fails an
    /// attempt itself after the socket's send timeout (`L2CAP_CONN_TIMEOUT`, 40 s, which the
    /// socket reports as `ETIMEDOUT`). Attempts under way at once therefore wait their turn:
    /// under emulation each link took 1.5 to 2 s (btmon, 2026-12-02), so the fourth of four
    /// outlasted the 5 s `connectTimeout`. Closing a socket while the kernel is between its LE
    /// Extended Create Connection and the Connection Complete makes it cancel (LE Create
    /// Connection Cancel, which the controller then refused with Command Disallowed); on Debian's
    /// 6.1 kernel that once left the kernel neither scanning nor connecting for the rest of the
    /// run (/tmp/gaitway-bluez-vm-19716: no further LE command in 50 s). So the host does not
    /// cancel the kernel's attempts; this is only a backstop for a socket that never reports.
    static let kernelConnectTimeout = 45.0

    /// Bearers whose link came up become links; failed ones (the kernel's reason) and ones still
    /// pending after ``kernelConnectTimeout`` are closed and backed off. The kernel creates links
    /// in the background, so several attempts are under way at once and the loop goes on
    /// reading meanwhile (a blocking connect took ~4 s per device).
    func pollPendingBearers(at now: Double) {
        for (address, pending) in pendingBearers.sorted(by: { $0.key < $1.key }) {
            let established: Bool
            do throws(TransportError) {
                established = try pending.bearer.connectionEstablished()
            } catch {
                pendingBearers[address] = nil
                pending.bearer.close()
                delegate?.central(self, event: .unexpectedPacket("ATT bearer to \(address): \(error)"), at: now)
                // Connection Failed to be Established (0x3E): the kernel's reason is in the log.
                connectFailed(address, status: HCIStatusCode.connectionFailedToBeEstablished, at: now)
                continue
            }
            if established {
                pendingBearers[address] = nil
                nextBearerHandle = ConnectionHandle(nextBearerHandle == .maximum ? 1 : nextBearerHandle.rawValue + 1)
                while links[nextBearerHandle] != nil { nextBearerHandle.rawValue += 1 }
                bearers[nextBearerHandle] = pending.bearer
                connectionComplete(status: 0, handle: nextBearerHandle, role: 0x00, address: address,
                                   addressType: devices[address]?.addressType ?? 0, at: now)
            } else if now - pending.since > max(configuration.connectTimeout, Self.kernelConnectTimeout) {
                pendingBearers[address] = nil
                pending.bearer.close()
                connectFailed(address, status: HCIStatusCode.connectionFailedToBeEstablished, at: now)
            }
        }
    }

    /// Reads whatever PDUs the bearers have, without waiting.
    func pollBearers() {
        for handle in bearers.keys.sorted() {
            guard let bearer = bearers[handle] else { continue }
            while true {
                let count: Int
                do throws(TransportError) {
                    let bearerRef = bearer
                    let result: Result<Int, TransportError> = bearerBuffer.withUnsafeMutableBytes { raw in
                        Result { () throws(TransportError) in try bearerRef.receive(into: raw, timeout: .zero) }
                    }
                    count = try result.get()
                } catch {
                    bearerLost(handle, at: clock())
                    break
                }
                guard count > 0 else { break }
                let pdu = bearerBuffer
                do throws(WireError) {
                    try attribute(pdu.span.bytes.extracting(0..<count), handle: handle)
                } catch {
                    statistics.malformedPackets += 1
                }
            }
        }
    }

    /// The bearer closed (the device went away or the kernel dropped the link).
    func bearerLost(_ handle: ConnectionHandle, at now: Double) {
        guard let bearer = bearers.removeValue(forKey: handle) else { return }
        bearer.close()
        // Connection Timeout (0x08): the kernel does not tell the bearer why.
        disconnected(handle: handle, reason: HCIStatusCode.connectionTimeout, at: now)
    }

    /// Closes a bearer on purpose (ATT timeout, shutdown).
    func closeBearer(_ handle: ConnectionHandle, at now: Double) {
        guard let bearer = bearers.removeValue(forKey: handle) else { return }
        bearer.close()
        disconnected(handle: handle, reason: HCIStatusCode.localHostTerminated, at: now)
    }
}
