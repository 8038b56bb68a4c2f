import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--network private`: the container's own network namespace, connected to
/// the outside by pasta (Debian's passt), or slirp4netns when pasta is
/// missing, both running as the user. Published ports are pasta's -t/-u
/// forwards: pasta listens on the host and connects inside the namespace.
public enum PrivateNetwork {
    public enum Tool: Equatable { case pasta(String), slirp4netns(String) }

    public static func findTool(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") -> Tool? {
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/bin"]
        for dir in dirs where access(dir + "/pasta", X_OK) == 0 { return .pasta(dir + "/pasta") }
        for dir in dirs where access(dir + "/slirp4netns", X_OK) == 0 { return .slirp4netns(dir + "/slirp4netns") }
        return nil
    }

    /// pasta's arguments to join the namespaces of `pid` and forward `ports`.
    public static func pastaArguments(pid: Int32, ports: [PortMapping], pidFile: String) -> [String] {
        var args = ["--config-net", "--quiet", "--dns-forward", NetworkFiles.dnsForwardAddress,
                    // No forwarding from the container to the host's own loopback ports.
                    "-T", "none", "-U", "none", "-P", pidFile]
        func specs(_ proto: PortMapping.Proto) -> [String] {
            ports.filter { $0.proto == proto }.map { m in
                (m.hostIP.isEmpty ? "" : m.hostIP + "/") + "\(m.hostPort):\(m.containerPort)"
            }
        }
        let tcp = specs(.tcp), udp = specs(.udp)
        args += ["-t", tcp.isEmpty ? "none" : tcp.joined(separator: ",")]
        args += ["-u", udp.isEmpty ? "none" : udp.joined(separator: ",")]
        args.append(String(pid))
        return args
    }

    /// Connects the network namespace of `pid` (a fresh one, in the user
    /// namespace the same process owns) and returns the helper to stop
    /// when the container ends. pasta forks to the background once the
    /// namespace is configured, so returning means the network is up.
    public static func attach(pid: Int32, ports: [PortMapping], folder: String) throws -> ProcessIdentity {
        guard let tool = findTool() else {
            throw ContainerError.network("--network private needs pasta (Debian package passt) or slirp4netns: ask your admin to install passt, or use --network host")
        }
        switch tool {
        case .pasta(let pasta):
            let pidFile = folder + "/pasta.pid"
            unlink(pidFile)
            let result = Subprocess.run([pasta] + pastaArguments(pid: pid, ports: ports, pidFile: pidFile))
            guard result.status == 0 else {
                throw ContainerError.network("pasta could not set up the container's network: \(result.output.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                  let helperPid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let identity = ProcessIdentity.of(helperPid) else {
                throw ContainerError.network("pasta started but left no pid file at \(pidFile)")
            }
            return identity
        case .slirp4netns(let slirp):
            guard ports.isEmpty else {
                throw ContainerError.network("publishing ports (-p, -P) needs pasta (Debian package passt); only slirp4netns is installed")
            }
            return try startSlirp(slirp, pid: pid)
        }
    }

    /// slirp4netns stays in the foreground: started detached, and waited on
    /// through its ready fd.
    static func startSlirp(_ slirp: String, pid: Int32) throws -> ProcessIdentity {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ContainerError.network("pipe: \(String(cString: strerror(errno)))") }
        let child = Subprocess.spawnDetached([slirp, "--configure", "--mtu=65520", "--disable-host-loopback",
                                              "--ready-fd=3", String(pid), "tap0"], extraFD: fds[1])
        close(fds[1])
        defer { close(fds[0]) }
        guard child > 0 else { throw ContainerError.network("cannot start slirp4netns") }
        var byte: UInt8 = 0
        let n = read(fds[0], &byte, 1)
        guard n == 1, let identity = ProcessIdentity.of(child) else {
            throw ContainerError.network("slirp4netns could not set up the container's network")
        }
        return identity
    }
}
