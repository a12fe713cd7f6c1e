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
    static func belongsToKernel(_ event: HCIEvent) -> Bool {
        switch event {
        case .leConnectionComplete, .leEnhancedConnectionComplete, .disconnectionComplete,
             .leRemoteConnectionParameterRequest, .leConnectionUpdateComplete:
            true
        default:
            false
        }
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

    /// Bearers whose link came up become links; failed ones, and ones still pending after
    /// `connectTimeout`, are closed (which cancels the kernel's attempt) and backed off.
    /// The kernel creates links in the background, so several attempts are under way at
    /// once and the loop goes on reading meanwhile (a blocking connect took ~4 s per device).
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
            } else if now - pending.since > configuration.connectTimeout {
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
