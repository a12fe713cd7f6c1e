import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` (15): `initdb` into a
/// new temporary directory, `pg_ctl start` on a free loopback port with its Unix socket in that
/// directory, `pg_ctl stop -m immediate` and the directory removed at the end.
///
/// Logins over TCP use SCRAM-SHA-256 (``user``, ``password``), as a real server would ask;
/// the Unix socket trusts, for `createdb`. Durability is off (`fsync`, `synchronous_commit`,
/// `full_page_writes`) unless started with `durable: true`: tests need a database, not one
/// that survives a power cut.
///
/// `initdb` and `pg_ctl` refuse to run as root: as root (CI) the server's binaries run as
/// `nobody` through `runuser`, and the directory is that user's.
public final class PostgresCluster: Sendable {
    /// Debian's PostgreSQL 15, or the directory GAITWAY_POSTGRES_BIN names (another version).
    public static let binaries = ProcessInfo.processInfo.environment["GAITWAY_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin"
    public static let user = "gaitway"
    public static let password = "gaitway-test-secret"

    public let directory: URL
    public let port: UInt16
    /// Where the server's socket `.s.PGSQL.PORT` is.
    public var socketDirectory: String { directory.path }
    var dataDirectory: String { directory.appendingPathComponent("data").path }

    static var isRoot: Bool { getuid() == 0 }
    static let runuser = "/usr/sbin/runuser"
    static let unprivileged = "nobody"

    /// Whether the binaries are installed (and, as root, `runuser` to drop to `nobody`).
    public static var available: Bool {
        ["initdb", "pg_ctl", "createdb"].allSatisfy { Reference.executable("\(binaries)/\($0)") }
            && (!isRoot || Reference.executable(runuser))
    }

    /// Why ``available`` is false, for ``Reference/missing(_:sourceLocation:)``.
    public static let missingMessage =
        "PostgreSQL server binaries (initdb, pg_ctl, createdb) not in \(binaries) (Debian's postgresql; tools/bootstrap.sh)"

    private init(directory: URL, port: UInt16) {
        self.directory = directory
        self.port = port
    }

    /// Runs one of the server's programs, as `nobody` when we are root.
    private static func server(_ program: String, _ arguments: [String], in directory: URL) throws {
        if isRoot {
            try spawn([runuser, "-u", unprivileged, "--", "\(binaries)/\(program)"] + arguments, in: directory)
        } else {
            try spawn(["\(binaries)/\(program)"] + arguments, in: directory)
        }
    }

    /// Runs `argv` in `directory` to its end with its output in `directory/command.log`, through
    /// posix_spawn and waitpid rather than Foundation's `Process`: `pg_ctl start` leaves a
    /// daemon holding the descriptors it inherited, and `Process.waitUntilExit` was seen waiting
    /// on them forever here after `pg_ctl` (and `runuser`) had exited.
    private static func spawn(_ argv: [String], in directory: URL) throws {
        let log = directory.appendingPathComponent("command.log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // posix_spawn_file_actions_addchdir_np is not imported: a shell changes directory.
        let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + argv
        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, arguments, environ)
        let command = argv.dropFirst(4).joined(separator: " ")
        guard spawned == 0 else {
            throw Reference.ProcessFailure(command: command, status: spawned, stderr: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // <sys/wait.h>: exited when the low 7 bits are 0, with the code in the next 8.
        let exited = status & 0x7F == 0, code = (status >> 8) & 0xFF
        guard exited, code == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Reference.ProcessFailure(command: command, status: exited ? code : -(status & 0x7F), stderr: output)
        }
    }

    /// A new cluster, started and accepting connections.
    public static func start(durable: Bool = false) throws -> PostgresCluster {
        let directory = try Reference.temporaryDirectory("postgres")
        do {
            let passwordFile = directory.appendingPathComponent("password")
            try Data(password.utf8).write(to: passwordFile)
            if isRoot {
                guard let account = getpwnam(unprivileged) else {
                    throw Reference.ProcessFailure(command: "getpwnam(\(unprivileged))", status: -1, stderr: "no such user")
                }
                for path in [directory.path, passwordFile.path] {
                    guard chown(path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                        throw Reference.ProcessFailure(command: "chown \(path)", status: errno, stderr: String(cString: strerror(errno)))
                    }
                }
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            let cluster = PostgresCluster(directory: directory, port: try Loopback.freePort())
            try server("initdb", ["-D", cluster.dataDirectory, "-U", user, "--pwfile=\(passwordFile.path)",
                                  "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale",
                                  "--no-sync"], in: directory)
            var settings = ["-c listen_addresses=127.0.0.1", "-p \(cluster.port)", "-k \(directory.path)",
                            "-c max_connections=200"]
            if !durable { settings += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"] }
            try server("pg_ctl", ["-D", cluster.dataDirectory, "-l", directory.appendingPathComponent("server.log").path,
                                  "-o", settings.joined(separator: " "), "-w", "-t", "60", "start"], in: directory)
            return cluster
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// A new empty database, and its URL for a login over TCP with the password.
    public func createDatabase(_ name: String = "t\(UInt64.random(in: 0...UInt64.max))") throws -> String {
        try Self.spawn(["\(Self.binaries)/createdb", "-h", socketDirectory, "-p", "\(port)", "-U", Self.user, name],
                       in: directory)
        return url(database: name)
    }

    public func url(database: String) -> String {
        "postgres://\(Self.user):\(Self.password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Stops the server at once (nothing in it is kept) and removes its directory.
    public func stop() {
        try? Self.server("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], in: directory)
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: One per test process

    private static let sharedCluster = Mutex<Result<PostgresCluster, Reference.ProcessFailure>?>(nil)

    /// The test process's cluster, started by the first caller and stopped when the process
    /// exits: starting one takes seconds, a database in it a fraction of one. A test process
    /// that crashed never ran its exit handler: the first caller also stops the clusters that
    /// such processes left.
    public static func shared() throws -> PostgresCluster {
        try sharedCluster.withLock { state in
            if let state { return try state.get() }
            stopOrphans()
            let result: Result<PostgresCluster, Reference.ProcessFailure>
            do {
                result = .success(try start())
                atexit { PostgresCluster.stopShared() }
            } catch let failure as Reference.ProcessFailure {
                result = .failure(failure)
            } catch {
                result = .failure(Reference.ProcessFailure(command: "PostgresCluster.start", status: -1, stderr: "\(error)"))
            }
            state = result
            return try result.get()
        }
    }

    /// Stops and removes the clusters in the temporary directory whose test process is gone
    /// (``Reference/temporaryDirectory(_:)`` names them gaitway-postgres-PID-RANDOM).
    private static func stopOrphans() {
        let temporary = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        for name in names where name.hasPrefix("gaitway-postgres-") {
            let fields = name.split(separator: "-")
            guard fields.count == 4, let pid = pid_t(fields[2]), pid != getpid(),
                  kill(pid, 0) == -1, errno == ESRCH else { continue }
            let directory = temporary.appendingPathComponent(name)
            try? server("pg_ctl", ["-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"],
                        in: directory)
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private static func stopShared() {
        let cluster = sharedCluster.withLock { state -> PostgresCluster? in
            defer { state = nil }
            return try? state?.get()
        }
        cluster?.stop()
    }
}
