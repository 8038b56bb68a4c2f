import Foundation

/// The per-container network files, written before each start.
enum NetworkSetup {
    static func writeFiles(config: ContainerConfig, folder: String) throws {
        let hostname = config.hostname ?? config.shortID
        let addHosts = try config.addHosts.map(NetworkFiles.parseAddHost)
        let hostResolv = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        var slirp = false
        if config.network == "private", case .slirp4netns? = PrivateNetwork.findTool() { slirp = true }
        try ContainerFiles.writeAtomically(Data((hostname + "\n").utf8), to: folder + "/hostname")
        try ContainerFiles.writeAtomically(Data(NetworkFiles.hosts(hostname: hostname, containerAddress: nil,
                                                                  addHosts: addHosts).utf8), to: folder + "/hosts")
        try ContainerFiles.writeAtomically(Data(NetworkFiles.resolvConf(dns: config.dns, network: config.network,
                                                                       hostResolvConf: hostResolv, slirp: slirp).utf8),
                                           to: folder + "/resolv.conf")
    }
}
