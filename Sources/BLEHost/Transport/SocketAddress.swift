import Glibc

/// A socket address as the kernel takes it (`sockaddr_in`, `sockaddr_in6` or `sockaddr_un`
/// in a `sockaddr_storage`), with the family and length `socket`/`bind`/`connect` need.
struct SocketAddress {
    var storage = sockaddr_storage()
    var length: socklen_t = 0
    var family: Int32 { Int32(storage.ss_family) }

    /// Longest path a `sockaddr_un` holds, leaving room for the terminating NUL.
    static let maximumUnixPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    init() {}

    /// A Unix-domain address; nil if the path does not fit (see `maximumUnixPathLength`).
    init?(unixPath path: String) {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= Self.maximumUnixPathLength, !bytes.contains(0) else { return nil }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        withUnsafeMutableBytes(of: &storage) { raw in
            withUnsafeBytes(of: &address) { raw.copyMemory(from: $0) }
        }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    }

    /// Runs `body` with the address as the `sockaddr` pointer the socket calls take.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    /// The port of an IPv4 or IPv6 address (host byte order); nil for other families.
    var port: UInt16? {
        withUnsafeBytes(of: storage) { raw -> UInt16? in
            switch Int32(storage.ss_family) {
            case AF_INET: UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port)
            case AF_INET6: UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port)
            default: nil
            }
        }
    }

    /// The address a socket is bound to (`getsockname`).
    static func local(of descriptor: Int32, target: String) throws(TransportError) -> SocketAddress {
        var address = SocketAddress()
        address.length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutableBytes(of: &address.storage) { raw in
            getsockname(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &address.length)
        }
        guard result == 0 else { throw SystemCall.failure("getsockname", target) }
        return address
    }

    /// Resolves a TCP host and port with `getaddrinfo`, in the order the resolver prefers
    /// (IPv6 and IPv4 alike). A nil host with `passive` gives the wildcard addresses.
    static func resolveTCP(host: String?, port: UInt16, passive: Bool, target: String) throws(TransportError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let code = getaddrinfo(host, String(port), &hints, &list)
        guard code == 0 else {
            let message = code == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(code))
            throw .system(call: "getaddrinfo", target: target, errno: code, message: message)
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            let info = current.pointee
            if let source = info.ai_addr, Int(info.ai_addrlen) <= MemoryLayout<sockaddr_storage>.size,
               info.ai_family == AF_INET || info.ai_family == AF_INET6 {
                var address = SocketAddress()
                withUnsafeMutableBytes(of: &address.storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: source, count: Int(info.ai_addrlen)))
                }
                address.length = info.ai_addrlen
                addresses.append(address)
            }
            entry = info.ai_next
        }
        return addresses
    }
}
