import Glibc

/// An in-process H4 link: two connected `SocketTransport`s over
/// `socketpair(AF_UNIX, SOCK_STREAM)`, one for a host stack and one for a (virtual)
/// controller. Used by tests and by the embedded simulator (`sim:`), which thus runs
/// through exactly the code paths of a TCP or Unix connection.
public enum PipeTransport {
    /// Kernel buffer asked for in each direction, so that a burst of notifications from
    /// many simulated devices rarely blocks the controller side.
    public static let bufferSize: Int32 = 1 << 20

    /// A connected pair; `label` names both ends in error messages ("pipe:LABEL/host").
    public static func makePair(label: String = "sim") throws(TransportError) -> (host: SocketTransport, controller: SocketTransport) {
        let target = "pipe:\(label)"
        var descriptors: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &descriptors) == 0 else { throw SystemCall.failure("socketpair", target) }
        let host = SocketTransport(connectedSocket: descriptors[0], target: target + "/host")
        let controller = SocketTransport(connectedSocket: descriptors[1], target: target + "/controller")
        for descriptor in descriptors {
            // A smaller buffer than asked for is fine: writes block until the reader catches up.
            try? SystemCall.setOption(descriptor, SOL_SOCKET, SO_SNDBUF, bufferSize, label: "SO_SNDBUF", target: target)
        }
        return (host, controller)
    }
}
