import GRDB

/// Inserts rows into one table many at a time: `INSERT ... VALUES (...), (...), ...` with
/// ``rowsPerStatement`` rows per execution, the remainder one row at a time.
///
/// Each statement execution through GRDB costs a few microseconds of bookkeeping besides
/// SQLite's own work, as much as inserting the row itself; sharing it among 64 rows
/// doubles commit throughput on an unindexed table (measured with SQLite 3.40 on
/// x86-64). Both statements are cached by the connection, so a steady-state commit
/// prepares nothing.
struct MultiRowInsert {
    /// Rows per multi-row statement: 64 rows of up to 6 columns stay far below SQLite's
    /// historical limit of 999 bound parameters.
    static let rowsPerStatement = 64

    private let columnCount: Int
    private let chunkStatement: Statement
    private let singleStatement: Statement
    private var values: [DatabaseValue] = []

    /// Prepares (or takes from the connection's cache) the statements for `table`.
    ///
    /// - Parameter placeholders: the SQL expression of each column's value, one `?`
    ///   each; plain `?` when nil.
    init(_ db: Database, table: String, columns: [String], placeholders: [String]? = nil) throws {
        columnCount = columns.count
        let placeholders = placeholders ?? Array(repeating: "?", count: columns.count)
        precondition(placeholders.count == columns.count, "one placeholder per column")
        let row = "(" + placeholders.joined(separator: ", ") + ")"
        let prefix = "INSERT INTO \(table) (" + columns.joined(separator: ", ") + ") VALUES "
        singleStatement = try db.cachedStatement(sql: prefix + row)
        chunkStatement = try db.cachedStatement(
            sql: prefix + Array(repeating: row, count: Self.rowsPerStatement).joined(separator: ", "))
        values.reserveCapacity(Self.rowsPerStatement * columnCount)
    }

    /// Adds the next value of the current row (one call per column, in column order;
    /// values one by one rather than a row array so that appending allocates nothing).
    mutating func add(_ value: DatabaseValue) {
        values.append(value)
    }

    /// Ends the current row, inserting the rows gathered when a statement's worth is full.
    mutating func endRow() throws {
        assert(values.count % columnCount == 0, "a row needs one value per column")
        if values.count == Self.rowsPerStatement * columnCount {
            // Unchecked: the statement's parameter count is exactly `values.count`.
            chunkStatement.setUncheckedArguments(StatementArguments(values))
            try chunkStatement.execute()
            values.removeAll(keepingCapacity: true)
        }
    }

    /// Inserts the rows left over from the last full statement.
    mutating func finish() throws {
        var start = 0
        while start < values.count {
            singleStatement.setUncheckedArguments(StatementArguments(values[start..<start + columnCount]))
            try singleStatement.execute()
            start += columnCount
        }
        values.removeAll(keepingCapacity: true)
    }
}
