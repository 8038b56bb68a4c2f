import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the owners a process sees on disk become the owners written into a
/// committed layer (the ids inside the container). A process inside the
/// container's user namespace already sees container ids: `identity`. A
/// process outside it sees host ids: the user's own id is the container's
/// root, and the subordinate range follows from 1 (the mapping hutch's
/// sandbox sets up with newuidmap).
public struct OwnerMapping: Sendable, Equatable {
    /// `count` ids from `host` on disk are `container`... in the layer.
    public struct Range: Sendable, Equatable {
        public var container: UInt32
        public var host: UInt32
        public var count: UInt32
        public init(container: UInt32, host: UInt32, count: UInt32) {
            self.container = container
            self.host = host
            self.count = count
        }
    }

    public var uids: [Range]
    public var gids: [Range]

    public init(uids: [Range], gids: [Range]) {
        self.uids = uids
        self.gids = gids
    }

    /// Ids are written as seen.
    public static let identity = OwnerMapping(uids: [Range(container: 0, host: 0, count: UInt32.max)],
                                              gids: [Range(container: 0, host: 0, count: UInt32.max)])

    /// What the kernel shows for an id outside every range.
    public static let overflowID: UInt32 = 65534

    public func uid(_ host: UInt32) -> UInt32 { Self.map(host, uids) }
    public func gid(_ host: UInt32) -> UInt32 { Self.map(host, gids) }

    static func map(_ id: UInt32, _ ranges: [Range]) -> UInt32 {
        for r in ranges where id >= r.host && UInt64(id) < UInt64(r.host) + UInt64(r.count) {
            return r.container + (id - r.host)
        }
        return overflowID
    }

    /// Identity inside a user namespace (or for real root); otherwise the
    /// user's id is 0 and their /etc/subuid and /etc/subgid ranges follow.
    public static var current: OwnerMapping {
        if !inInitialUserNamespace || getuid() == 0 { return .identity }
        let name = getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) }
        let group = getgrgid(getgid()).map { String(cString: $0.pointee.gr_name) }
        var uids = [Range(container: 0, host: getuid(), count: 1)]
        var gids = [Range(container: 0, host: getgid(), count: 1)]
        if let r = subordinateRange(file: "/etc/subuid", names: [name, String(getuid())].compactMap { $0 }) {
            uids.append(Range(container: 1, host: r.start, count: r.count))
        }
        if let r = subordinateRange(file: "/etc/subgid", names: [name, group, String(getuid())].compactMap { $0 }) {
            gids.append(Range(container: 1, host: r.start, count: r.count))
        }
        return OwnerMapping(uids: uids, gids: gids)
    }

    /// True when /proc/self/uid_map is the initial namespace's identity map.
    static var inInitialUserNamespace: Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8) else { return true }
        return text.split(separator: "\n").contains { line in
            line.split(separator: " ").compactMap { UInt64($0) } == [0, 0, 4294967295]
        }
    }

    /// The first `name:start:count` line of an /etc/subuid-style file for one of `names`.
    public static func subordinateRange(file: String, names: [String]) -> (start: UInt32, count: UInt32)? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count == 3, names.contains(String(f[0])), let start = UInt32(f[1]), let count = UInt32(f[2]),
                  count > 0 else { continue }
            return (start, count)
        }
        return nil
    }
}
