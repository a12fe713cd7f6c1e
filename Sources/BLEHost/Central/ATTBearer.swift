import BLEWire

/// A channel that carries whole ATT PDUs to one connected device: on kernel-managed
/// BlueZ (`bluez:hciN`), an L2CAP socket on the ATT channel (CID 4, `BlueZATTSocket`); the
/// kernel then owns the LE link, its L2CAP framing and its flow control, and the central
/// host only runs GATT over it.
public protocol ATTBearer: AnyObject {
    /// Sends one ATT PDU.
    func send(_ pdu: [UInt8]) throws(TransportError)
    /// Receives one whole ATT PDU into `buffer`; 0 when `timeout` passed with none;
    /// throws `.closed` when the link is gone.
    func receive(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TransportError) -> Int
    func close()
    /// False while the link is still being created (a connector that returned without
    /// waiting), true once it is up; throws why when the attempt failed. Does not wait.
    func connectionEstablished() throws(TransportError) -> Bool
}

extension ATTBearer {
    /// A bearer its connector returned connected.
    public func connectionEstablished() throws(TransportError) -> Bool { true }
}

extension BlueZATTSocket: ATTBearer {}

/// Opens an ATT bearer to a device: how a central host connects when the kernel manages the
/// adapter. It may return before the link is up (`BlueZATTSocket.startConnecting`): the host
/// then asks ``ATTBearer/connectionEstablished()`` between reads, several attempts under way
/// at once, and gives up after `CentralConfiguration.connectTimeout`.
public typealias ATTBearerConnector = (_ address: BDAddress, _ addressType: UInt8) throws -> any ATTBearer
