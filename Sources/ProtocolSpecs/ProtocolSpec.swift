import BLEWire

/// One payload format loaded from a `Protocols/*.yaml` file and compiled.
///
/// The ``program`` is what the gateway runs per packet (allocation-free, see
/// `PayloadProgram.decode(_:into:base:)`); the conveniences here (``decodeFields(_:)``,
/// ``decodeJSON(_:)``, ``encode(_:hints:)``) allocate and are meant for tools, tests and
/// the simulator.
public struct ProtocolSpec: Sendable {
    /// Unique name, e.g. `heart-rate-measurement`; the `format` of decoded output.
    public var name: String
    public var title: String
    public var summary: String?
    /// Characteristic UUIDs whose values this spec decodes (GATT).
    public var characteristics: [BluetoothUUID]
    /// Service-data UUIDs (AD type 0x16 and friends) whose data this spec decodes.
    public var serviceData: [BluetoothUUID]
    /// Company identifiers of manufacturer-specific data (AD type 0xFF) this spec decodes.
    public var manufacturers: [UInt16]
    public var reference: SpecReference
    public var program: PayloadProgram
    public var vectors: [SpecTestVector]
    public var geometry: InsoleGeometry?
    /// Where the spec came from (path as given to the loader).
    public var file: String

    public init(name: String, title: String, summary: String? = nil, characteristics: [BluetoothUUID] = [],
                serviceData: [BluetoothUUID] = [], manufacturers: [UInt16] = [], reference: SpecReference,
                program: PayloadProgram, vectors: [SpecTestVector] = [], geometry: InsoleGeometry? = nil, file: String) {
        self.name = name
        self.title = title
        self.summary = summary
        self.characteristics = characteristics
        self.serviceData = serviceData
        self.manufacturers = manufacturers
        self.reference = reference
        self.program = program
        self.vectors = vectors
        self.geometry = geometry
        self.file = file
    }

    /// Decodes into a value tree.
    public func decodeFields(_ bytes: [UInt8]) throws(WireError) -> PayloadObject {
        var sink = PayloadTreeSink(program: program)
        try program.decode(bytes.span.bytes, into: &sink)
        return sink.result
    }

    /// Decodes into the JSON object text of the `fields` of a decoded value.
    public func decodeJSON(_ bytes: [UInt8]) throws(WireError) -> String {
        try JSONPayloadSink.render(program, bytes.span.bytes)
    }

    /// A decode error with the name of the field being read, e.g.
    /// `rr_intervals: payload: truncated integer field: needs 2 bytes, 1 left at byte offset 2`.
    public func explain(_ bytes: [UInt8]) -> String? {
        var sink = PayloadTreeSink(program: program)
        var failing: Int32 = -1
        do {
            try program.decode(bytes.span.bytes, into: &sink, base: 0, failingField: &failing)
            return nil
        } catch {
            let field = failing >= 0 ? program.fields[Int(failing)].name + ": " : ""
            return field + error.description
        }
    }

    /// Encodes field values with this spec (see `PayloadEncoder` for how flags are chosen).
    public func encode(_ fields: PayloadObject, hints: [String: Int] = [:]) throws(PayloadEncodingError) -> [UInt8] {
        try PayloadEncoder(program: program, hints: hints).encode(fields)
    }
}

/// The document a spec follows.
public struct SpecReference: Sendable, Equatable {
    /// e.g. `Bluetooth GATT Specification Supplement v11`.
    public var document: String
    /// e.g. `3.113 Heart Rate Measurement`.
    public var section: String?
    public var url: String?

    public init(document: String, section: String? = nil, url: String? = nil) {
        self.document = document
        self.section = section
        self.url = url
    }
}

/// A hex payload and what it must decode to (or the error it must raise).
public struct SpecTestVector: Sendable {
    public var name: String
    /// Where the bytes come from (a tool's output, another project's tests, the spec).
    public var source: String?
    public var bytes: [UInt8]
    /// Expected fields; nil when an error is expected.
    public var fields: PayloadObject?
    public var expectedError: ExpectedError?
    /// Encoder hints (flag bits, tagged object ids) needed to reproduce `bytes` exactly.
    public var hints: [String: Int]
    /// False when the bytes are a valid but non-canonical encoding the encoder does not
    /// choose (checked in one direction only).
    public var encodes: Bool
    public var line: Int

    public struct ExpectedError: Sendable, Equatable {
        /// Byte offset the error must report.
        public var offset: Int
        /// Text the error's description must contain.
        public var message: String?

        public init(offset: Int, message: String?) {
            self.offset = offset
            self.message = message
        }
    }

    public init(name: String, source: String? = nil, bytes: [UInt8], fields: PayloadObject?,
                expectedError: ExpectedError? = nil, hints: [String: Int] = [:], encodes: Bool = true, line: Int = 0) {
        self.name = name
        self.source = source
        self.bytes = bytes
        self.fields = fields
        self.expectedError = expectedError
        self.hints = hints
        self.encodes = encodes
        self.line = line
    }
}

/// Where each force cell of an insole sits, for centre-of-pressure estimates.
///
/// Coordinates follow the gaitpdb convention (`../shared/data/gaitpdb/format.txt`):
/// origin between the feet, y towards the toes, x to the right, arbitrary units.
public struct InsoleGeometry: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var x: Double
        public var y: Double

        public init(x: Double, y: Double) {
            self.x = x
            self.y = y
        }
    }

    public struct Layout: Sendable, Equatable {
        /// Number of force cells this layout describes (8 or 16 for our insole).
        public var cells: Int
        /// Cell `i` of the left insole (array index = cell index on the wire).
        public var left: [Cell]
        public var right: [Cell]

        public init(cells: Int, left: [Cell], right: [Cell]) {
            self.cells = cells
            self.left = left
            self.right = right
        }
    }

    public var units: String?
    public var layouts: [Layout]

    public init(units: String? = nil, layouts: [Layout]) {
        self.units = units
        self.layouts = layouts
    }

    /// The layout for a given cell count.
    public func layout(cells: Int) -> Layout? { layouts.first { $0.cells == cells } }
}
