import BLEWire

/// The attributes a GATT server exposes, with handles assigned in order from 0x0001
/// (Core Specification v5.4, Vol 3, Part G, §3: a service declaration, then for each
/// characteristic its declaration, its value and its descriptors).
///
/// ```
/// 0x0001  «Primary Service»   180D            (group end 0x0006)
/// 0x0002  «Characteristic»    notify, 0x0003, 2A37
/// 0x0003  2A37 value
/// 0x0004  «CCCD» 2902         (per connection)
/// 0x0005  «Characteristic»    read, 0x0006, 2A38
/// 0x0006  2A38 value
/// 0x0007  «Primary Service»   180F ...
/// ```
/// Handles are dense, so attribute `h` is `attributes[h - 1]`. A database is built once
/// per device and shared by the `GATTServer` of each connection; values come from the
/// `GATTValue` of each characteristic, CCCD values from each server.
public struct GATTDatabase {
    /// Every attribute; `attributes[h - 1].handle == h`.
    public private(set) var attributes: [GATTAttribute] = []
    /// Every service, in handle order.
    public private(set) var services: [GATTServiceHandles] = []
    /// Characteristic value handle -> its properties, for each characteristic with a CCCD.
    private(set) var clientConfigurable: [AttributeHandle: CharacteristicProperties] = [:]

    /// An empty database, to fill with `add(_:)`.
    public init() {}

    /// A database of `services`, in that order.
    public init(services: [GATTService]) {
        for service in services { add(service) }
    }

    /// The last handle in use (0x0000 when empty).
    public var lastHandle: AttributeHandle { AttributeHandle(UInt16(truncatingIfNeeded: attributes.count)) }

    /// Appends a service after the existing ones and returns where it landed.
    ///
    /// - Precondition: the database stays within 0xFFFF attributes (a programming
    ///   error, not something a client can cause).
    @discardableResult
    public mutating func add(_ service: GATTService) -> GATTServiceHandles {
        let attributeCount = 1 + service.characteristics.reduce(0) { count, characteristic in
            count + 2 + (characteristic.hasClientConfiguration ? 1 : 0)
                + (characteristic.userDescription == nil ? 0 : 1) + characteristic.descriptors.count
        }
        precondition(attributes.count + attributeCount <= 0xFFFF, "a GATT database holds at most 0xFFFF attributes")
        let start = AttributeHandle(UInt16(attributes.count + 1))
        let end = AttributeHandle(UInt16(attributes.count + attributeCount))
        var declaration = ByteWriter(capacity: 16)
        ServiceDeclaration(uuid: service.uuid).encode(into: &declaration)
        append(type: service.isPrimary ? .primaryService : .secondaryService, permissions: .readable,
               groupEnd: end, content: .constant(declaration.bytes))

        var characteristics: [GATTCharacteristicHandles] = []
        for characteristic in service.characteristics {
            let declarationHandle = nextHandle
            let valueHandle = AttributeHandle(declarationHandle.rawValue + 1)
            var value = ByteWriter(capacity: 19)
            CharacteristicDeclaration(properties: characteristic.properties, valueHandle: valueHandle,
                                      uuid: characteristic.uuid).encode(into: &value)
            append(type: .characteristic, permissions: .readable, content: .constant(value.bytes))
            append(type: characteristic.uuid, permissions: characteristic.permissions,
                   content: Self.content(characteristic.value, permissions: characteristic.permissions,
                                         onWrite: characteristic.onWrite),
                   onWrite: characteristic.onWrite)

            var handles = GATTCharacteristicHandles(
                uuid: characteristic.uuid, properties: characteristic.properties, declaration: declarationHandle,
                value: valueHandle, clientConfiguration: nil, userDescription: nil, descriptors: [])
            if characteristic.hasClientConfiguration {
                handles.clientConfiguration = nextHandle
                clientConfigurable[valueHandle] = characteristic.properties
                handles.descriptors.append(nextHandle)
                append(type: .clientCharacteristicConfiguration, permissions: [.readable, .writable],
                       content: .clientConfiguration(valueHandle: valueHandle, properties: characteristic.properties))
            }
            var descriptors = characteristic.descriptors
            if let text = characteristic.userDescription {
                handles.userDescription = nextHandle
                descriptors.insert(.userDescription(text), at: 0)
            }
            for descriptor in descriptors {
                handles.descriptors.append(nextHandle)
                append(type: descriptor.uuid, permissions: descriptor.permissions,
                       content: Self.content(descriptor.value, permissions: descriptor.permissions,
                                             onWrite: descriptor.onWrite),
                       onWrite: descriptor.onWrite)
            }
            characteristics.append(handles)
        }
        let handles = GATTServiceHandles(uuid: service.uuid, range: ATTHandleRange(start: start, end: end),
                                         characteristics: characteristics)
        services.append(handles)
        return handles
    }

    /// The attribute at `handle`, or nil for 0 and handles past the end.
    public func attribute(at handle: AttributeHandle) -> GATTAttribute? {
        guard handle.isValid, Int(handle.rawValue) <= attributes.count else { return nil }
        return attributes[Int(handle.rawValue) - 1]
    }

    /// The first service with this UUID.
    public func service(_ uuid: BluetoothUUID) -> GATTServiceHandles? {
        services.first { $0.uuid == uuid }
    }

    /// The first characteristic with this UUID, in `service` when given.
    public func characteristic(_ uuid: BluetoothUUID, in service: BluetoothUUID? = nil) -> GATTCharacteristicHandles? {
        for candidate in services where service == nil || candidate.uuid == service {
            if let found = candidate[uuid] { return found }
        }
        return nil
    }

    // MARK: Building

    private var nextHandle: AttributeHandle { AttributeHandle(UInt16(truncatingIfNeeded: attributes.count + 1)) }

    private mutating func append(type: BluetoothUUID, permissions: GATTPermissions, groupEnd: AttributeHandle? = nil,
                                 content: GATTAttribute.Content, onWrite: GATTWriteHandler? = nil) {
        let handle = nextHandle
        attributes.append(GATTAttribute(handle: handle, type: type, permissions: permissions,
                                        groupEnd: groupEnd ?? handle, content: content, onWrite: onWrite))
    }

    private static func content(_ value: GATTValue, permissions: GATTPermissions,
                                onWrite: GATTWriteHandler?) -> GATTAttribute.Content {
        switch value {
        case .fixed(let bytes):
            permissions.contains(.writable) && onWrite == nil ? .variable(GATTValueCell(bytes)) : .constant(bytes)
        case .provided(let provider):
            .provided(provider)
        }
    }
}
