import Foundation

/// /etc/hosts, /etc/hostname and /etc/resolv.conf for one container, written
/// into its folder and bind-mounted over the image's.
public enum NetworkFiles {
    /// The address pasta answers DNS on inside the container (it forwards
    /// to the host's first resolver), the one podman uses too.
    public static let dnsForwardAddress = "169.254.1.1"

    public static func hosts(hostname: String, containerAddress: String?, addHosts: [(String, String)]) -> String {
        var text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        if let containerAddress { text += "\(containerAddress)\t\(hostname)\n" } else { text += "127.0.1.1\t\(hostname)\n" }
        for (name, address) in addHosts { text += "\(address)\t\(name)\n" }
        return text
    }

    /// `--add-host NAME:IP` (Docker also takes NAME=IP and `host-gateway`).
    public static func parseAddHost(_ text: String) throws -> (String, String) {
        let sep: Character = text.contains("=") ? "=" : ":"
        guard let i = text.firstIndex(of: sep) else {
            throw ContainerError.invalidOption("invalid argument \"\(text)\" for \"--add-host\" flag: expected NAME:IP")
        }
        let name = String(text[..<i]), address = String(text[text.index(after: i)...])
        guard !name.isEmpty, !address.isEmpty, !name.contains(" ") else {
            throw ContainerError.invalidOption("invalid argument \"\(text)\" for \"--add-host\" flag: expected NAME:IP")
        }
        let resolved = address == "host-gateway" ? hostGatewayAddress : address
        guard PortMapping.isIPv4(resolved) || resolved.contains(":") else {
            throw ContainerError.invalidOption("invalid IP address in add-host: \"\(address)\"")
        }
        return (name, resolved)
    }

    /// What `host-gateway` means with pasta: the container's default
    /// gateway, which is the host's and which pasta maps to the host itself.
    public static var hostGatewayAddress: String {
        defaultGateway(routeTable: (try? String(contentsOfFile: "/proc/net/route", encoding: .utf8)) ?? "") ?? "10.0.2.2"
    }

    /// The gateway of the default route in /proc/net/route (hex, little endian).
    static func defaultGateway(routeTable: String) -> String? {
        for line in routeTable.split(separator: "\n").dropFirst() {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 3, f[1] == "00000000", let g = UInt32(f[2], radix: 16), g != 0 else { continue }
            return "\(g & 0xff).\((g >> 8) & 0xff).\((g >> 16) & 0xff).\(g >> 24)"
        }
        return nil
    }

    /// resolv.conf: `--dns` servers if given; with a private network, pasta's
    /// forwarder; otherwise the host's own nameservers.
    /// slirp4netns's built-in DNS forwarder, in its default 10.0.2.0/24 network.
    public static let slirpDNSAddress = "10.0.2.3"

    /// `slirp`: the private network is slirp4netns's (pasta missing), whose
    /// forwarder has an address of its own.
    public static func resolvConf(dns: [String], network: String, hostResolvConf: String, slirp: Bool = false) -> String {
        var servers = dns
        var searchLines: [String] = []
        for line in hostResolvConf.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.first == "search" || words.first == "options" { searchLines.append(String(line)) }
        }
        if servers.isEmpty {
            let hostServers = hostResolvConf.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                return words.count >= 2 && words[0] == "nameserver" ? String(words[1]) : nil
            }
            switch network {
            case "private":
                // A loopback resolver (systemd-resolved's 127.0.0.53) is not
                // reachable from the container's own loopback; pasta's
                // forwarder reaches whatever the host uses.
                servers = [slirp ? slirpDNSAddress : dnsForwardAddress]
            default:
                servers = hostServers.isEmpty ? ["8.8.8.8"] : hostServers
            }
        }
        return servers.map { "nameserver \($0)\n" }.joined() + searchLines.map { $0 + "\n" }.joined()
    }
}
