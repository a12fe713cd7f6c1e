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
}
