import CPostgres

/// Parameter values laid out the way `PQexecParams` takes them: one type OID, one byte
/// buffer, one length and one format (binary) per value; NULL is a null pointer.
struct PostgresParameters {
    private var types: [UInt32] = []
    private var buffers: [[CChar]?] = []

    init(_ values: [SQLValue]) {
        for value in values {
            switch value {
            case .null:
                types.append(0)
                buffers.append(nil)
            case .integer(let number):
                types.append(PostgresType.int8)
                let bigEndian = UInt64(bitPattern: number).bigEndian
                buffers.append(withUnsafeBytes(of: bigEndian) { $0.map { CChar(bitPattern: $0) } })
            case .text(let text):
                types.append(PostgresType.text)
                buffers.append(text.utf8.map { CChar(bitPattern: $0) })
            case .blob(let bytes):
                types.append(PostgresType.bytea)
                buffers.append(bytes.map { CChar(bitPattern: $0) })
            }
        }
    }

    /// Calls `body` with C arrays that stay valid for the duration of the call.
    func withArrays<T>(
        _ body: (
            UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?,
            UnsafePointer<Int32>?, UnsafePointer<Int32>?
        ) -> T
    ) -> T {
        // One contiguous copy, so every pointer handed to libpq stays put during the call.
        var storage: [CChar] = []
        for buffer in buffers { storage += buffer ?? [] }
        storage.append(0)
        let lengths = buffers.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: buffers.count)
        return storage.withUnsafeBufferPointer { base in
            var offset = 0
            var pointers: [UnsafePointer<CChar>?] = []
            for buffer in buffers {
                let start: UnsafePointer<CChar> = base.baseAddress! + offset
                pointers.append(buffer == nil ? nil : start)
                offset += buffer?.count ?? 0
            }
            return body(types, pointers, lengths, formats)
        }
    }
}

/// The type OIDs whoot sends and reads (see PostgreSQL's pg_type catalog).
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let json: UInt32 = 114
    static let varchar: UInt32 = 1043
    static let void: UInt32 = 2278
}

/// Decodes a binary-format `PGresult` into rows of `SQLValue`.
enum PostgresRows {
    static func decode(_ result: OpaquePointer) throws -> [Row] {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        var rows: [Row] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) != 0 {
                    values.append(.null)
                    continue
                }
                let length = Int(PQgetlength(result, row, column))
                let bytes = PQgetvalue(result, row, column).map { pointer in
                    UnsafeRawBufferPointer(start: pointer, count: length).map { $0 }
                } ?? []
                values.append(try value(PQftype(result, column), bytes))
            }
            rows.append(Row(values: values))
        }
        return rows
    }

    private static func value(_ type: UInt32, _ bytes: [UInt8]) throws -> SQLValue {
        switch type {
        case PostgresType.int8, PostgresType.int4, PostgresType.int2, PostgresType.bool:
            return .integer(bigEndian(bytes))
        case PostgresType.bytea:
            return .blob(bytes)
        case PostgresType.text, PostgresType.varchar, PostgresType.name, PostgresType.json:
            return .text(String(decoding: bytes, as: UTF8.self))
        case PostgresType.void:
            return .null
        default:
            throw StoreError(
                "decode", message: "column of PostgreSQL type oid \(type) is not supported")
        }
    }

    /// A signed big-endian integer of 1, 2, 4 or 8 bytes.
    private static func bigEndian(_ bytes: [UInt8]) -> Int64 {
        var value: Int64 = bytes.first.map { $0 & 0x80 != 0 ? -1 : 0 } ?? 0
        for byte in bytes { value = (value << 8) | Int64(byte) }
        return value
    }
}
