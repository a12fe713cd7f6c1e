// Events about the life of a connection: created, updated, encrypted, closed.
// Connection handles are kept as sent (12 significant bits, 0x0000...0x0EFF).

extension HCIEvent {
    /// HCI_Disconnection_Complete (Core Specification v5.4, Vol 4, Part E, §7.7.5).
    ///
    /// ```
    /// +--------+-------------------+--------+
    /// | Status | Connection_Handle | Reason |
    /// |  (1)   |        (2)        |  (1)   |
    /// +--------+-------------------+--------+
    /// ```
    public struct DisconnectionComplete: Equatable, Sendable {
        public static let code: UInt8 = 0x05

        public var status: UInt8
        public var connectionHandle: ConnectionHandle
        /// Why the link was closed: an HCI error code (Vol 1, Part F), e.g. 0x08 supervision
        /// timeout, 0x13 remote user terminated, 0x16 terminated by local host.
        public var reason: UInt8

        public init(status: UInt8 = 0, connectionHandle: ConnectionHandle, reason: UInt8) {
            self.status = status
            self.connectionHandle = connectionHandle
            self.reason = reason
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            status = try cursor.readUInt8("Status")
            connectionHandle = try cursor.readConnectionHandle()
            reason = try cursor.readUInt8("Reason")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeEvent(code: Self.code) { writer in
                writer.write(status)
                writer.write(connectionHandle)
                writer.write(reason)
            }
        }
    }

    /// HCI_Encryption_Change [v1] (Vol 4, Part E, §7.7.8).
    ///
    /// ```
    /// +--------+-------------------+--------------------+
    /// | Status | Connection_Handle | Encryption_Enabled |
    /// |  (1)   |        (2)        |        (1)         |
    /// +--------+-------------------+--------------------+
    /// ```
    public struct EncryptionChange: Equatable, Sendable {
        public static let code: UInt8 = 0x08

        public var status: UInt8
        public var connectionHandle: ConnectionHandle
        /// 0x00 off, 0x01 on (AES-CCM on LE).
        public var encryptionEnabled: UInt8

        public init(status: UInt8 = 0, connectionHandle: ConnectionHandle, encryptionEnabled: UInt8) {
            self.status = status
            self.connectionHandle = connectionHandle
            self.encryptionEnabled = encryptionEnabled
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            status = try cursor.readUInt8("Status")
            connectionHandle = try cursor.readConnectionHandle()
            encryptionEnabled = try cursor.readUInt8("Encryption_Enabled")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeEvent(code: Self.code) { writer in
                writer.write(status)
                writer.write(connectionHandle)
                writer.write(encryptionEnabled)
            }
        }
    }

    /// HCI_LE_Connection_Complete (Vol 4, Part E, §7.7.65.1).
    ///
    /// ```
    /// +----------+--------+--------+------+-----------+---------+----------+---------+-------------+----------+
    /// | Subevent | Status | Handle | Role | Peer_Addr | Peer_   | Conn_    | Periph. | Supervision | Central_ |
    /// |   0x01   |  (1)   |  (2)   | (1)  | _Type (1) | Addr (6)| Interval | Latency | _Timeout (2)| Clock_   |
    /// |          |        |        |      |           |         |   (2)    |   (2)   |             | Acc. (1) |
    /// +----------+--------+--------+------+-----------+---------+----------+---------+-------------+----------+
    /// ```
    public struct LEConnectionComplete: Equatable, Sendable {
        public static let subevent: UInt8 = 0x01

        public var status: UInt8
        public var connectionHandle: ConnectionHandle
        /// 0x00 central, 0x01 peripheral.
        public var role: UInt8
        /// 0x00 public, 0x01 random (0x02/0x03 identity addresses in the enhanced event).
        public var peerAddressType: UInt8
        public var peerAddress: BDAddress
        /// In units of 1.25 ms.
        public var connectionInterval: UInt16
        /// Connection events the peripheral may skip.
        public var peripheralLatency: UInt16
        /// In units of 10 ms.
        public var supervisionTimeout: UInt16
        /// Sleep clock accuracy code 0...7 (500 ppm ... 20 ppm); only valid on a peripheral.
        public var centralClockAccuracy: UInt8

        public init(status: UInt8 = 0, connectionHandle: ConnectionHandle, role: UInt8, peerAddressType: UInt8,
                    peerAddress: BDAddress, connectionInterval: UInt16, peripheralLatency: UInt16,
                    supervisionTimeout: UInt16, centralClockAccuracy: UInt8 = 0) {
            self.status = status
            self.connectionHandle = connectionHandle
            self.role = role
            self.peerAddressType = peerAddressType
            self.peerAddress = peerAddress
            self.connectionInterval = connectionInterval
            self.peripheralLatency = peripheralLatency
            self.supervisionTimeout = supervisionTimeout
            self.centralClockAccuracy = centralClockAccuracy
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            status = try cursor.readUInt8("Status")
            connectionHandle = try cursor.readConnectionHandle()
            role = try cursor.readUInt8("Role")
            peerAddressType = try cursor.readUInt8("Peer_Address_Type")
            peerAddress = try cursor.readAddress("Peer_Address")
            connectionInterval = try cursor.readUInt16("Connection_Interval")
            peripheralLatency = try cursor.readUInt16("Peripheral_Latency")
            supervisionTimeout = try cursor.readUInt16("Supervision_Timeout")
            centralClockAccuracy = try cursor.readUInt8("Central_Clock_Accuracy")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeLEMetaEvent(subevent: Self.subevent) { writer in
                writer.write(status)
                writer.write(connectionHandle)
                writer.write(role)
                writer.write(peerAddressType)
                writer.write(peerAddress)
                writer.write(connectionInterval)
                writer.write(peripheralLatency)
                writer.write(supervisionTimeout)
                writer.write(centralClockAccuracy)
            }
        }
    }

    /// HCI_LE_Enhanced_Connection_Complete v1 (subevent 0x0A) and v2 (subevent 0x29)
    /// (Vol 4, Part E, §7.7.65.10). v2 appends the advertising set and sync handles.
    ///
    /// ```
    /// +--------+--------+------+-----------+-----------+--------------+--------------+
    /// | Status | Handle | Role | Peer_Addr | Peer_Addr | Local_RPA (6)| Peer_RPA (6) |
    /// |  (1)   |  (2)   | (1)  | _Type (1) |    (6)    |              |              |
    /// +--------+--------+------+-----------+-----------+--------------+--------------+
    /// | Conn_Interval (2) | Periph_Latency (2) | Supervision_Timeout (2) | CCA (1) |
    /// +-------------------+--------------------+-------------------------+---------+
    /// v2 only: | Advertising_Handle (1) | Sync_Handle (2) |
    /// ```
    public struct LEEnhancedConnectionComplete: Equatable, Sendable {
        public static let subeventV1: UInt8 = 0x0A
        public static let subeventV2: UInt8 = 0x29

        public var status: UInt8
        public var connectionHandle: ConnectionHandle
        /// 0x00 central, 0x01 peripheral.
        public var role: UInt8
        /// 0x00 public, 0x01 random, 0x02 public identity, 0x03 random (static) identity.
        public var peerAddressType: UInt8
        public var peerAddress: BDAddress
        /// The resolvable private address this device used, or zero.
        public var localResolvablePrivateAddress: BDAddress
        /// The peer's resolvable private address, or zero.
        public var peerResolvablePrivateAddress: BDAddress
        /// In units of 1.25 ms.
        public var connectionInterval: UInt16
        public var peripheralLatency: UInt16
        /// In units of 10 ms.
        public var supervisionTimeout: UInt16
        public var centralClockAccuracy: UInt8
        /// v2 only: the advertising set that created the connection (0xFF if none).
        public var advertisingHandle: UInt8?
        /// v2 only: the periodic advertising train's sync handle (0xFFFF if none).
        public var syncHandle: UInt16?

        public init(status: UInt8 = 0, connectionHandle: ConnectionHandle, role: UInt8, peerAddressType: UInt8,
                    peerAddress: BDAddress, localResolvablePrivateAddress: BDAddress = BDAddress(rawValue: 0),
                    peerResolvablePrivateAddress: BDAddress = BDAddress(rawValue: 0), connectionInterval: UInt16,
                    peripheralLatency: UInt16, supervisionTimeout: UInt16, centralClockAccuracy: UInt8 = 0,
                    advertisingHandle: UInt8? = nil, syncHandle: UInt16? = nil) {
            self.status = status
            self.connectionHandle = connectionHandle
            self.role = role
            self.peerAddressType = peerAddressType
            self.peerAddress = peerAddress
            self.localResolvablePrivateAddress = localResolvablePrivateAddress
            self.peerResolvablePrivateAddress = peerResolvablePrivateAddress
            self.connectionInterval = connectionInterval
            self.peripheralLatency = peripheralLatency
            self.supervisionTimeout = supervisionTimeout
            self.centralClockAccuracy = centralClockAccuracy
            self.advertisingHandle = advertisingHandle
            self.syncHandle = syncHandle
        }

        /// Whether this is the v2 event (with advertising and sync handles).
        public var isV2: Bool { advertisingHandle != nil || syncHandle != nil }

        public init(parsing cursor: inout ByteCursor, v2: Bool) throws(WireError) {
            status = try cursor.readUInt8("Status")
            connectionHandle = try cursor.readConnectionHandle()
            role = try cursor.readUInt8("Role")
            peerAddressType = try cursor.readUInt8("Peer_Address_Type")
            peerAddress = try cursor.readAddress("Peer_Address")
            localResolvablePrivateAddress = try cursor.readAddress("Local_Resolvable_Private_Address")
            peerResolvablePrivateAddress = try cursor.readAddress("Peer_Resolvable_Private_Address")
            connectionInterval = try cursor.readUInt16("Connection_Interval")
            peripheralLatency = try cursor.readUInt16("Peripheral_Latency")
            supervisionTimeout = try cursor.readUInt16("Supervision_Timeout")
            centralClockAccuracy = try cursor.readUInt8("Central_Clock_Accuracy")
            if v2 {
                advertisingHandle = try cursor.readUInt8("Advertising_Handle")
                syncHandle = try cursor.readUInt16("Sync_Handle")
            } else {
                advertisingHandle = nil
                syncHandle = nil
            }
        }

        /// Appends the whole event packet (without H4 indicator): v2 when either v2 field is set.
        public func encode(into writer: inout ByteWriter) {
            writer.writeLEMetaEvent(subevent: isV2 ? Self.subeventV2 : Self.subeventV1) { writer in
                writer.write(status)
                writer.write(connectionHandle)
                writer.write(role)
                writer.write(peerAddressType)
                writer.write(peerAddress)
                writer.write(localResolvablePrivateAddress)
                writer.write(peerResolvablePrivateAddress)
                writer.write(connectionInterval)
                writer.write(peripheralLatency)
                writer.write(supervisionTimeout)
                writer.write(centralClockAccuracy)
                if isV2 {
                    writer.write(advertisingHandle ?? 0xFF)
                    writer.write(syncHandle ?? 0xFFFF)
                }
            }
        }
    }

    /// HCI_LE_Connection_Update_Complete (Vol 4, Part E, §7.7.65.3).
    ///
    /// ```
    /// +--------+--------+-------------------+------------------------+-------------------------+
    /// | Status | Handle | Conn_Interval (2) | Peripheral_Latency (2) | Supervision_Timeout (2) |
    /// |  (1)   |  (2)   | 1.25 ms units     |                        | 10 ms units             |
    /// +--------+--------+-------------------+------------------------+-------------------------+
    /// ```
    public struct LEConnectionUpdateComplete: Equatable, Sendable {
        public static let subevent: UInt8 = 0x03

        public var status: UInt8
        public var connectionHandle: ConnectionHandle
        /// In units of 1.25 ms.
        public var connectionInterval: UInt16
        public var peripheralLatency: UInt16
        /// In units of 10 ms.
        public var supervisionTimeout: UInt16

        public init(status: UInt8 = 0, connectionHandle: ConnectionHandle, connectionInterval: UInt16,
                    peripheralLatency: UInt16, supervisionTimeout: UInt16) {
            self.status = status
            self.connectionHandle = connectionHandle
            self.connectionInterval = connectionInterval
            self.peripheralLatency = peripheralLatency
            self.supervisionTimeout = supervisionTimeout
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            status = try cursor.readUInt8("Status")
            connectionHandle = try cursor.readConnectionHandle()
            connectionInterval = try cursor.readUInt16("Connection_Interval")
            peripheralLatency = try cursor.readUInt16("Peripheral_Latency")
            supervisionTimeout = try cursor.readUInt16("Supervision_Timeout")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeLEMetaEvent(subevent: Self.subevent) { writer in
                writer.write(status)
                writer.write(connectionHandle)
                writer.write(connectionInterval)
                writer.write(peripheralLatency)
                writer.write(supervisionTimeout)
            }
        }
    }

    /// HCI_LE_Remote_Connection_Parameter_Request (Vol 4, Part E, §7.7.65.6): the peer asks
    /// for new connection parameters; the host answers with
    /// `HCICommand.leRemoteConnectionParameterRequestReply` (or the negative reply).
    ///
    /// ```
    /// +--------+------------------+------------------+-----------------+-------------+
    /// | Handle | Interval_Min (2) | Interval_Max (2) | Max_Latency (2) | Timeout (2) |
    /// |  (2)   | 1.25 ms units    | 1.25 ms units    |                 | 10 ms units |
    /// +--------+------------------+------------------+-----------------+-------------+
    /// ```
    public struct LERemoteConnectionParameterRequest: Equatable, Sendable {
        public static let subevent: UInt8 = 0x06

        public var connectionHandle: ConnectionHandle
        /// In units of 1.25 ms.
        public var intervalMin: UInt16
        /// In units of 1.25 ms.
        public var intervalMax: UInt16
        public var maxLatency: UInt16
        /// In units of 10 ms.
        public var timeout: UInt16

        public init(connectionHandle: ConnectionHandle, intervalMin: UInt16, intervalMax: UInt16, maxLatency: UInt16, timeout: UInt16) {
            self.connectionHandle = connectionHandle
            self.intervalMin = intervalMin
            self.intervalMax = intervalMax
            self.maxLatency = maxLatency
            self.timeout = timeout
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            connectionHandle = try cursor.readConnectionHandle()
            intervalMin = try cursor.readUInt16("Interval_Min")
            intervalMax = try cursor.readUInt16("Interval_Max")
            maxLatency = try cursor.readUInt16("Max_Latency")
            timeout = try cursor.readUInt16("Timeout")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeLEMetaEvent(subevent: Self.subevent) { writer in
                writer.write(connectionHandle)
                writer.write(intervalMin)
                writer.write(intervalMax)
                writer.write(maxLatency)
                writer.write(timeout)
            }
        }
    }

    /// HCI_LE_Data_Length_Change (Vol 4, Part E, §7.7.65.7): the link-layer payload sizes now
    /// in force (27...251 octets; times in µs).
    ///
    /// ```
    /// +--------+------------------+----------------+------------------+----------------+
    /// | Handle | Max_TX_Octets (2)| Max_TX_Time (2)| Max_RX_Octets (2)| Max_RX_Time (2)|
    /// |  (2)   |                  |                |                  |                |
    /// +--------+------------------+----------------+------------------+----------------+
    /// ```
    public struct LEDataLengthChange: Equatable, Sendable {
        public static let subevent: UInt8 = 0x07

        public var connectionHandle: ConnectionHandle
        public var maxTxOctets: UInt16
        /// In µs.
        public var maxTxTime: UInt16
        public var maxRxOctets: UInt16
        /// In µs.
        public var maxRxTime: UInt16

        public init(connectionHandle: ConnectionHandle, maxTxOctets: UInt16, maxTxTime: UInt16, maxRxOctets: UInt16, maxRxTime: UInt16) {
            self.connectionHandle = connectionHandle
            self.maxTxOctets = maxTxOctets
            self.maxTxTime = maxTxTime
            self.maxRxOctets = maxRxOctets
            self.maxRxTime = maxRxTime
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            connectionHandle = try cursor.readConnectionHandle()
            maxTxOctets = try cursor.readUInt16("Max_TX_Octets")
            maxTxTime = try cursor.readUInt16("Max_TX_Time")
            maxRxOctets = try cursor.readUInt16("Max_RX_Octets")
            maxRxTime = try cursor.readUInt16("Max_RX_Time")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeLEMetaEvent(subevent: Self.subevent) { writer in
                writer.write(connectionHandle)
                writer.write(maxTxOctets)
                writer.write(maxTxTime)
                writer.write(maxRxOctets)
                writer.write(maxRxTime)
            }
        }
    }

    /// HCI_LE_PHY_Update_Complete (Vol 4, Part E, §7.7.65.12).
    ///
    /// ```
    /// +--------+--------+------------+------------+
    /// | Status | Handle | TX_PHY (1) | RX_PHY (1) |   PHY: 0x01 LE 1M, 0x02 LE 2M, 0x03 LE Coded
    /// |  (1)   |  (2)   |            |            |
    /// +--------+--------+------------+------------+
    /// ```
    public struct LEPHYUpdateComplete: Equatable, Sendable {
        public static let subevent: UInt8 = 0x0C

        public var status: UInt8
        public var connectionHandle: ConnectionHandle
        public var txPHY: UInt8
        public var rxPHY: UInt8

        public init(status: UInt8 = 0, connectionHandle: ConnectionHandle, txPHY: UInt8, rxPHY: UInt8) {
            self.status = status
            self.connectionHandle = connectionHandle
            self.txPHY = txPHY
            self.rxPHY = rxPHY
        }

        public init(parsing cursor: inout ByteCursor) throws(WireError) {
            status = try cursor.readUInt8("Status")
            connectionHandle = try cursor.readConnectionHandle()
            txPHY = try cursor.readUInt8("TX_PHY")
            rxPHY = try cursor.readUInt8("RX_PHY")
        }

        /// Appends the whole event packet (without H4 indicator).
        public func encode(into writer: inout ByteWriter) {
            writer.writeLEMetaEvent(subevent: Self.subevent) { writer in
                writer.write(status)
                writer.write(connectionHandle)
                writer.write(txPHY)
                writer.write(rxPHY)
            }
        }
    }
}
