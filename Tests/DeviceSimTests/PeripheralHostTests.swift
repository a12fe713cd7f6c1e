import BLEWire
import Testing
@testable import DeviceSim

/// The legacy advertising commands the peripheral host sends, byte for byte against
/// Bumble 0.0.236's encoder (`bytes(hci.HCI_LE_Set_..._Command(...))`, which includes the
/// H4 indicator 0x01; dropped here).
@Suite struct PeripheralHostCommandTests {
    @Test func advertisingParametersMatchBumble() {
        // HCI_LE_Set_Advertising_Parameters_Command(advertising_interval_min=160, advertising_interval_max=160,
        //   advertising_type=0, own_address_type=1, peer_address_type=0, peer_address=00:00:00:00:00:00,
        //   advertising_channel_map=7, advertising_filter_policy=0)
        let command = LegacyAdvertisingCommand.setParameters(
            intervalMin: 160, intervalMax: 160, type: .connectableUndirected, ownAddressType: 1)
        #expect(command.encoded == [UInt8](hex: "06200fa000a0000001000000000000000700"))
        #expect(LegacyAdvertisingCommand.intervalUnits(seconds: 0.1) == 160)
        #expect(LegacyAdvertisingCommand.intervalUnits(seconds: 0.001) == 0x20)
        #expect(LegacyAdvertisingCommand.intervalUnits(seconds: 100) == 0x4000)
    }

    @Test func advertisingAndScanResponseDataMatchBumble() {
        // HCI_LE_Set_Advertising_Data_Command(advertising_data=bytes.fromhex('02010603020d18'))
        #expect(LegacyAdvertisingCommand.setData([UInt8](hex: "02010603020d18")!).encoded
            == [UInt8](hex: "0820200702010603020d18000000000000000000000000000000000000000000000000"))
        // HCI_LE_Set_Scan_Response_Data_Command(scan_response_data=b'\x05\x09Band')
        #expect(LegacyAdvertisingCommand.setScanResponseData([0x05, 0x09] + Array("Band".utf8)).encoded
            == [UInt8](hex: "09202006050942616e6400000000000000000000000000000000000000000000000000"))
        // HCI_LE_Set_Advertising_Enable_Command(advertising_enable=1)
        #expect(LegacyAdvertisingCommand.setEnable(true).encoded == [UInt8](hex: "0a200101"))
    }

    @Test func overlongDataIsCutAtThirtyOneBytes() {
        let encoded = LegacyAdvertisingCommand.setData([UInt8](repeating: 0xAA, count: 40)).encoded
        #expect(encoded.count == 3 + 1 + 31)
        #expect(encoded[2] == 32 && encoded[3] == 31)
    }

    /// The extended advertising commands and event, against Bumble 0.0.236's encoder
    /// (`bytes(hci.HCI_LE_Set_Extended_..._Command(...))`, H4 indicator dropped).
    @Test func extendedAdvertisingCommandsMatchBumble() throws {
        // HCI_LE_Set_Extended_Advertising_Parameters_Command(advertising_handle=1,
        //   advertising_event_properties=0x13, primary_advertising_interval_min=160, ..._max=160,
        //   primary_advertising_channel_map=7, own_address_type=1, peer_address_type=0,
        //   peer_address=00:00:00:00:00:00, advertising_filter_policy=0, advertising_tx_power=0x7F,
        //   primary_advertising_phy=1, secondary_advertising_max_skip=0, secondary_advertising_phy=1,
        //   advertising_sid=1, scan_request_notification_enable=0)
        #expect(ExtendedAdvertisingCommand.setParameters(handle: 1, properties: .legacyConnectableUndirected,
                                                         intervalMin: 160, intervalMax: 160, ownAddressType: 1).encoded
            == [UInt8](hex: "362019011300a00000a00000070100000000000000007f0100010100"))
        // HCI_LE_Set_Advertising_Set_Random_Address_Command(advertising_handle=1, random_address='C1:4D:AE:E4:8F:BD')
        #expect(ExtendedAdvertisingCommand.setRandomAddress(handle: 1, address: BDAddress("C1:4D:AE:E4:8F:BD")!).encoded
            == [UInt8](hex: "35200701bd8fe4ae4dc1"))
        // HCI_LE_Set_Extended_Advertising_Data_Command(advertising_handle=1, operation=3,
        //   fragment_preference=1, advertising_data=bytes.fromhex('02010603020d18'))
        #expect(ExtendedAdvertisingCommand.setData(handle: 1, [UInt8](hex: "02010603020d18")!).encoded
            == [UInt8](hex: "37200b0103010702010603020d18"))
        // HCI_LE_Set_Extended_Scan_Response_Data_Command(advertising_handle=1, operation=3,
        //   fragment_preference=1, scan_response_data=b'\x05\x09Band')
        #expect(ExtendedAdvertisingCommand.setScanResponseData(handle: 1, [0x05, 0x09] + Array("Band".utf8)).encoded
            == [UInt8](hex: "38200a01030106050942616e64"))
        // HCI_LE_Set_Extended_Advertising_Enable_Command(enable=1, advertising_handles=[0, 1],
        //   durations=[0, 0], max_extended_advertising_events=[0, 0]); and enable=0 with no sets
        #expect(ExtendedAdvertisingCommand.setEnable(true, handles: [0, 1]).encoded == [UInt8](hex: "39200a01020000000001000000"))
        #expect(ExtendedAdvertisingCommand.setEnable(false, handles: []).encoded == [UInt8](hex: "3920020000"))
        // HCI_LE_Read_Number_Of_Supported_Advertising_Sets_Command()
        #expect(ExtendedAdvertisingCommand.readNumberOfSupportedSets.encoded == [UInt8](hex: "3b2000"))
        // HCI_LE_Advertising_Set_Terminated_Event(status=0, advertising_handle=1,
        //   connection_handle=0x41, num_completed_extended_advertising_events=0)
        let event = try #require([UInt8](hex: "3e06120001410000"))
        #expect(AdvertisingSetTerminated(status: 0, advertisingHandle: 1, connectionHandle: ConnectionHandle(0x41)).encoded == event)
        let parsed = try AdvertisingSetTerminated(parsing: event.span.bytes.extracting(3...), base: 3)
        #expect(parsed == AdvertisingSetTerminated(status: 0, advertisingHandle: 1, connectionHandle: ConnectionHandle(0x41)))
        #expect(throws: WireError.self) { try AdvertisingSetTerminated(parsing: event.span.bytes.extracting(3..<7)) }
    }
}
