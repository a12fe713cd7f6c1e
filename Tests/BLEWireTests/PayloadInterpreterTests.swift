import BLEWire
import Testing

/// Programs built by hand (no YAML), to test the interpreter on its own.
@Suite struct PayloadInterpreterTests {
    func decode(_ program: PayloadProgram, _ hex: String) throws(WireError) -> PayloadObject {
        let bytes = [UInt8](hex: hex)!
        var sink = PayloadTreeSink(program: program)
        try program.decode(bytes.span.bytes, into: &sink)
        return sink.result
    }

    func json(_ program: PayloadProgram, _ hex: String) throws(WireError) -> String {
        let bytes = [UInt8](hex: hex)!
        return try JSONPayloadSink.render(program, bytes.span.bytes)
    }

    func error(_ program: PayloadProgram, _ hex: String) -> WireError? {
        do {
            _ = try decode(program, hex)
            return nil
        } catch {
            return error
        }
    }

    /// Two 12-bit values in three bytes, least significant bit first:
    /// 0x123, 0x456 -> 23 61 45.
    @Test func packedTwelveBit() throws {
        let program = PayloadProgram(ops: [PayloadOp(.array(.unsigned(bits: 12), .fixed(2)), field: 0)],
                                     fields: [PayloadFieldInfo(name: "cells")])
        #expect(try decode(program, "23 61 45") == PayloadObject(["cells": .array([.integer(0x123), .integer(0x456)])]))
        // An odd count leaves the top half of the last byte unused.
        let three = PayloadProgram(ops: [PayloadOp(.array(.unsigned(bits: 12), .fixed(3)), field: 0)],
                                   fields: [PayloadFieldInfo(name: "cells")])
        #expect(try decode(three, "ff ff ff 01 00") == PayloadObject(["cells": .array([.integer(0xFFF), .integer(0xFFF), .integer(1)])]))
        #expect(error(three, "ff ff ff 01") == WireError(.payload, .truncated(field: "packed array", needed: 5, available: 4), at: 0))
        // Signed packed values are sign-extended.
        let signed = PayloadProgram(ops: [PayloadOp(.array(.signed(bits: 4), .fixed(2)), field: 0)],
                                    fields: [PayloadFieldInfo(name: "nibbles")])
        #expect(try decode(signed, "f7") == PayloadObject(["nibbles": .array([.integer(7), .integer(-1)])]))
    }

    @Test func twentyFourBitAndEndianness() throws {
        let program = PayloadProgram(ops: [
            PayloadOp(.scalar(.unsigned(bits: 24)), field: 0),
            PayloadOp(.scalar(.signed(bits: 24)), field: 1),
            PayloadOp(.scalar(.unsigned(bits: 16)), field: 2, bigEndian: true),
            PayloadOp(.scalar(.signed(bits: 24)), field: 3, bigEndian: true),
        ], fields: [PayloadFieldInfo(name: "u"), PayloadFieldInfo(name: "s"), PayloadFieldInfo(name: "be"),
                    PayloadFieldInfo(name: "sbe")])
        #expect(try json(program, "01 02 03 ff ff ff 12 34 ff ff fe") == #"{"u":197121,"s":-1,"be":4660,"sbe":-2}"#)
    }

    @Test func truncatedPayloadReportsOffset() {
        let program = PayloadProgram(ops: [
            PayloadOp(.scalar(.unsigned(bits: 8)), field: 0),
            PayloadOp(.scalar(.unsigned(bits: 32)), field: 1),
        ], fields: [PayloadFieldInfo(name: "a"), PayloadFieldInfo(name: "b")])
        let failure = error(program, "01 02 03")
        #expect(failure == WireError(.payload, .truncated(field: "integer field", needed: 4, available: 2), at: 1))
        #expect(failure?.description == "payload: truncated integer field: needs 4 bytes, 2 left at byte offset 1")
        #expect(error(program, "01 02 03 04 05 06") == WireError(.payload, .trailingBytes(count: 1), at: 5))
    }

    @Test func conditionsFlagsAndDerivedFields() throws {
        // flags u8: bit0 "extra" present; bit1 shown as boolean "on".
        let program = PayloadProgram(ops: [
            PayloadOp(.scalar(.unsigned(bits: 8)), extracts: 0..<2),
            PayloadOp(.derived(register: 1, boolean: true), field: 0),
            PayloadOp(.scalar(.unsigned(bits: 8)), field: 1, condition: PayloadCondition(register: 0), absence: .null),
            PayloadOp(.scalar(.unsigned(bits: 8)), field: 2, condition: PayloadCondition(register: 0, negated: true)),
        ], fields: [PayloadFieldInfo(name: "on"), PayloadFieldInfo(name: "extra"), PayloadFieldInfo(name: "other")],
           extracts: [PayloadBitExtract(register: 0, shift: 0, width: 1), PayloadBitExtract(register: 1, shift: 1, width: 1)],
           registerNames: ["extra_present", "on"])
        #expect(try json(program, "03 07") == #"{"on":true,"extra":7}"#)
        #expect(try json(program, "00 09") == #"{"on":false,"extra":null,"other":9}"#)
    }

    /// A frame group repeated to the end; a partial last frame is reported where it starts.
    @Test func repeatedFrames() throws {
        let program = PayloadProgram(ops: [
            PayloadOp(.scalar(.unsigned(bits: 8)), field: 0),
            PayloadOp(.group(.toEnd), field: 1, length: 3),
            PayloadOp(.scalar(.unsigned(bits: 16)), field: 2),
            PayloadOp(.scalar(.signed(bits: 8)), field: 3, scale: PayloadScale(numerator: 1, denominator: 4)),
        ], fields: [PayloadFieldInfo(name: "n"), PayloadFieldInfo(name: "frames"), PayloadFieldInfo(name: "a"),
                    PayloadFieldInfo(name: "b")])
        #expect(try json(program, "02 01 00 fe 02 00 05") == #"{"n":2,"frames":[{"a":1,"b":-0.5},{"a":2,"b":1.25}]}"#)
        #expect(try json(program, "02") == #"{"n":2,"frames":[]}"#)
        #expect(error(program, "02 01 00 fe 02 00") == WireError(.payload, .truncated(field: "frame", needed: 3, available: 2), at: 4))
    }

    @Test func taggedObjects() throws {
        var table = [Int32](repeating: -1, count: 256)
        table[0x01] = 1
        table[0x02] = 2
        let program = PayloadProgram(ops: [
            PayloadOp(.tagged(table: 0), length: 3),
            PayloadOp(.scalar(.unsigned(bits: 8)), field: 0, tag: 1, occurrenceSlot: 0),
            PayloadOp(.scalar(.signed(bits: 16)), field: 1, scale: PayloadScale(numerator: 1, denominator: 100), tag: 2, occurrenceSlot: 1),
        ], fields: [PayloadFieldInfo(name: "battery"), PayloadFieldInfo(name: "temperature")], tagTables: [table])
        #expect(try json(program, "01 5d 02 5d 09 02 cf 09") == #"{"battery":93,"temperature":23.97,"temperature_2":25.11}"#)
        #expect(error(program, "01 5d fe 00") == WireError(.payload, .unknownType(field: "object id", value: 0xFE), at: 2))
        #expect(error(program, "01 5d 02 5d") == WireError(.payload, .truncated(field: "integer field", needed: 2, available: 1), at: 3))
    }

    @Test func floatsAndSpecialsReachTheSink() throws {
        let program = PayloadProgram(ops: [
            PayloadOp(.scalar(.sfloat), field: 0),
            PayloadOp(.scalar(.float), field: 1),
            PayloadOp(.scalar(.float32), field: 2),
        ], fields: [PayloadFieldInfo(name: "s"), PayloadFieldInfo(name: "f"), PayloadFieldInfo(name: "ieee")])
        #expect(try json(program, "fe 07 6e 01 00 ff 00 00 c0 3f") == #"{"s":"+INF","f":36.6,"ieee":1.5}"#)
        #expect(try decode(program, "01 08 ff ff 7f 00 00 00 00 00") == PayloadObject([
            "s": .special(.reserved), "f": .special(.nan), "ieee": .integer(0),
        ]))
    }

    @Test func textIsValidated() throws {
        let program = PayloadProgram(ops: [PayloadOp(.text(count: nil), field: 0)], fields: [PayloadFieldInfo(name: "name")])
        #expect(try json(program, "47 c3 a9 22") == #"{"name":"Gé\""}"#)
        #expect(error(program, "47 c3 28") == WireError(.payload, .invalidValue(field: "UTF-8 text", value: 0xC3), at: 1))
        #expect(error(program, "ed a0 80") != nil) // a UTF-16 surrogate
        #expect(error(program, "c0 80") != nil) // overlong NUL
    }

    @Test func jsonNumbers() {
        func render(_ value: Double) -> String {
            var out: [UInt8] = []
            JSONText.appendNumber(value, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        #expect(render(75) == "75")
        #expect(render(-0.5) == "-0.5")
        #expect(render(0.78125) == "0.78125")
        #expect(render(2397.0 / 100) == "23.97")
        #expect(render(.nan) == "null")
        #expect(render(Double(Int64.min)) == "-9223372036854775808" || render(Double(Int64.min)).contains("e"))
    }

    @Test func encoderRoundTrip() throws {
        let program = PayloadProgram(ops: [
            PayloadOp(.scalar(.unsigned(bits: 8)), extracts: 0..<1),
            PayloadOp(.array(.unsigned(bits: 12), .fixed(2)), field: 0, scale: PayloadScale(numerator: 1, denominator: 2)),
            PayloadOp(.array(.unsigned(bits: 16), .toEnd), field: 1, condition: PayloadCondition(register: 0), absence: .empty),
        ], fields: [PayloadFieldInfo(name: "forces"), PayloadFieldInfo(name: "rest")],
           extracts: [PayloadBitExtract(register: 0, shift: 0, width: 1)], registerNames: ["rest_present"])
        let fields = PayloadObject(["forces": .array([.number(145.5), .number(555)]), "rest": .array([.integer(7)])])
        let bytes = try PayloadEncoder(program: program).encode(fields)
        #expect(bytes.hexString == "012361450700")
        var sink = PayloadTreeSink(program: program)
        try program.decode(bytes.span.bytes, into: &sink)
        #expect(sink.result == fields)
        let none = try PayloadEncoder(program: program).encode(PayloadObject(["forces": .array([.integer(0), .integer(0)]), "rest": .array([])]))
        #expect(none == [0, 0, 0, 0])
        #expect(throws: PayloadEncodingError.self) {
            try PayloadEncoder(program: program).encode(PayloadObject(["forces": .array([.integer(5000), .integer(0)])]))
        }
    }
}
