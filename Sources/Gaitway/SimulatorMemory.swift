import Foundation
import Glibc

/// Whether a simulation of N devices fits the memory this process may use, asked before
/// the scenario is resolved: an absurd `--devices` is refused with the memory it would
/// need instead of being found out by the kernel's OOM killer an hour later.
enum SimulatorMemory {
    /// Peak resident memory per simulated device. Measured with the debug build on this
    /// package's 2-core dev machine (2026-12-02):
    ///
    ///     /usr/bin/time -v gaitway sim --scenario gym-100 --devices N --duration S
    ///
    /// Maximum resident set size, S = 30: 42,224 kB at N = 100, 89,676 kB at N = 1000
    /// (52.7 kB per device); S = 60: 42,560 kB and 91,564 kB (54.4 kB per device);
    /// parkinson-clinic, S = 30: 39,112 kB and 91,588 kB (58.3 kB per device). The
    /// per-device buffers fill over the first ~20 simulated seconds, then stay (1000
    /// devices peak at 61,456 kB after 1 s, 85,008 kB after 10 s). Rounded up to 64 kB so
    /// that a refused count is surely too many, not about right.
    static let bytesPerDevice = 64 * 1024
    /// What the process holds besides its devices (the specs, the scenario, the runtime):
    /// 42,560 kB at 100 devices less their 5,440 kB is 36 MB; rounded up.
    static let baseBytes = 48 * 1024 * 1024

    /// The memory `devices` devices need, in bytes (no overflow: devices is at most 1e6).
    static func bytesNeeded(devices: Int) -> Int { baseBytes + devices * bytesPerDevice }

    /// Why `devices` devices cannot be simulated here, or nil if they fit.
    static func problem(devices: Int) -> String? {
        let needed = bytesNeeded(devices: devices)
        guard let (available, source) = available(), needed > available else { return nil }
        return "--devices \(devices) would need about \(format(needed)) of memory "
            + "(\(bytesPerDevice / 1024) kB per device, measured on gym-100), and \(source) is \(format(available)); "
            + "at most \(max(0, (available - baseBytes) / bytesPerDevice)) devices fit"
    }

    /// The least of what the kernel reports available and the limits set on this process
    /// (its data-segment rlimit, its cgroup's memory.max), with the name of the one that binds.
    static func available() -> (bytes: Int, source: String)? {
        var candidates: [(Int, String)] = []
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            candidates.append((kilobytes.multipliedReportingOverflow(by: 1024).partialValue, "the memory available (MemAvailable)"))
        }
        var limit = rlimit()
        // RLIM_INFINITY is all ones: above Int.max.
        if getrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit) == 0, limit.rlim_cur < UInt64(Int.max) {
            candidates.append((Int(limit.rlim_cur), "this process's data limit (ulimit -d)"))
        }
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            candidates.append((bytes, "the cgroup's memory.max"))
        }
        return candidates.min { $0.0 < $1.0 }.map { (bytes: $0.0, source: $0.1) }
    }

    static func format(_ bytes: Int) -> String {
        let megabytes = Double(bytes) / 1_048_576
        return megabytes >= 1024 ? String(format: "%.1f GB", megabytes / 1024) : String(format: "%.0f MB", megabytes)
    }
}
