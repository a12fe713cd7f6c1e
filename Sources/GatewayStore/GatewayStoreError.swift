import GRDB

/// Why a store operation failed, with the file it concerns.
///
/// Every SQLite or file-system failure of ``GatewayStore`` arrives as one of these, so a
/// caller can tell the cases it reacts to differently: a full disk (keep the batch in
/// memory, shed the oldest data, retry later) from a file that is not a store at all
/// (stop and tell the operator). Messages carry no stored values: logs at the default
/// level must not contain health data.
///
/// The description reads like `cannot open /var/lib/gaitway/store.db: unable to open
/// database file (SQLite 14)`.
public enum GatewayStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be created or opened: a missing directory, a permission, a
    /// directory where a file was expected. `sqliteCode` is nil when the operating system
    /// refused before SQLite was involved; `reason` is then its `strerror` text.
    case cannotOpen(path: String, reason: String, sqliteCode: Int32?)
    /// The file exists but is not an SQLite database (SQLite 26, `SQLITE_NOTADB`).
    case notADatabase(path: String)
    /// The file is an SQLite database, but not one this version of the store can use:
    /// written by a newer gaitway, or not a gateway store.
    case incompatibleSchema(path: String, reason: String)
    /// The disk, or the store's configured maximum size, is full (SQLite 13,
    /// `SQLITE_FULL`). The failed transaction was rolled back: nothing of it was written.
    case diskFull(path: String, operation: String)
    /// Any other SQLite failure during `operation`, phrased to precede the path
    /// ("commit a batch to", "query samples from").
    /// `code` is SQLite's primary result code, `extendedCode` its extended one.
    case sqlite(path: String, operation: String, code: Int32, extendedCode: Int32, message: String)
    /// A stored row did not have the shape the schema promises (edited by another
    /// program, or a damaged file).
    case invalidStoredData(path: String, operation: String, detail: String)

    /// The database file the error concerns (`:memory:` for an in-memory store).
    public var path: String {
        switch self {
        case .cannotOpen(let path, _, _), .notADatabase(let path), .incompatibleSchema(let path, _),
            .diskFull(let path, _), .sqlite(let path, _, _, _, _), .invalidStoredData(let path, _, _):
            path
        }
    }

    /// Whether the failure was a full disk (or the configured size cap): the case where
    /// retrying later, after space is freed, can succeed.
    public var isDiskFull: Bool {
        if case .diskFull = self { return true }
        return false
    }

    /// SQLite's primary result code, when SQLite reported the failure.
    public var sqliteCode: Int32? {
        switch self {
        case .cannotOpen(_, _, let code): code
        case .notADatabase: 26
        case .diskFull: 13
        case .sqlite(_, _, let code, _, _): code
        case .incompatibleSchema, .invalidStoredData: nil
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason, let code):
            "cannot open \(path): \(reason)" + (code.map { " (SQLite \($0))" } ?? "")
        case .notADatabase(let path):
            "cannot open \(path): file is not a database (SQLite 26)"
        case .incompatibleSchema(let path, let reason):
            "cannot use \(path): \(reason)"
        case .diskFull(let path, let operation):
            "cannot \(operation) \(path): database or disk is full (SQLite 13)"
        case .sqlite(let path, let operation, let code, let extendedCode, let message):
            "cannot \(operation) \(path): \(message) (SQLite \(code)"
                + (extendedCode != code ? ", extended \(extendedCode))" : ")")
        case .invalidStoredData(let path, let operation, let detail):
            "cannot \(operation) \(path): unexpected stored data: \(detail)"
        }
    }
}

extension GatewayStoreError {
    /// Classifies a GRDB error raised while doing `operation` on `path`.
    init(_ error: DatabaseError, path: String, operation: String) {
        let code = error.resultCode.primaryResultCode.rawValue
        let extended = error.extendedResultCode.rawValue
        // SQLite's own text for the code when GRDB has no message. The SQL text and
        // arguments are left out on purpose: arguments would be measurements.
        let message = error.message ?? "SQLite error"
        switch error.resultCode {
        case .SQLITE_FULL:
            self = .diskFull(path: path, operation: operation)
        case .SQLITE_NOTADB:
            self = .notADatabase(path: path)
        case .SQLITE_CANTOPEN:
            self = .cannotOpen(path: path, reason: message, sqliteCode: code)
        default:
            self = .sqlite(path: path, operation: operation, code: code, extendedCode: extended, message: message)
        }
    }

    /// Classifies any error escaping GRDB: database errors by their code, row decoding
    /// errors as invalid stored data.
    static func wrapping(_ error: any Error, path: String, operation: String) -> GatewayStoreError {
        switch error {
        case let error as GatewayStoreError:
            error
        case let error as DatabaseError:
            GatewayStoreError(error, path: path, operation: operation)
        default:
            // Only the error's type: GRDB's decoding errors print the row, which holds
            // measurements.
            .invalidStoredData(path: path, operation: operation, detail: "a row could not be decoded (\(type(of: error)))")
        }
    }
}
