/// One line of /proc/PID/uid_map: `count` ids from `container` up map onto
/// `host` up.
public struct IDMapRange: Equatable, CustomStringConvertible {
    public var container: UInt32
    public var host: UInt32
    public var count: UInt32

    public init(container: UInt32, host: UInt32, count: UInt32) {
        self.container = container
        self.host = host
        self.count = count
    }

    public var description: String { "\(container) \(host) \(count)" }
}

/// A user's subordinate id range from /etc/subuid or /etc/subgid.
public struct SubordinateRange: Equatable {
    public var start: UInt32
    public var count: UInt32
    public init(start: UInt32, count: UInt32) { self.start = start; self.count = count }

    /// The first range for the user, matched by name or by uid, as shadow's
    /// newuidmap does. Broken lines are skipped.
    public static func find(in text: String, user: String?, id: UInt32) -> SubordinateRange? {
        let idText = String(id)
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 3, let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { continue }
            guard fields[0] == idText || (user != nil && fields[0] == user![...]) else { continue }
            return SubordinateRange(start: start, count: count)
        }
        return nil
    }
}

/// How ids inside the container map onto the host, and whether that needs
/// the setuid helpers (newuidmap/newgidmap) or can be written directly.
public struct IDMappings: Equatable {
    public var uids: [IDMapRange]
    public var gids: [IDMapRange]
    /// Written by newuidmap/newgidmap (a subordinate range); otherwise written
    /// directly, which needs setgroups denied.
    public var useHelpers: Bool

    public init(uids: [IDMapRange], gids: [IDMapRange], useHelpers: Bool) {
        self.uids = uids
        self.gids = gids
        self.useHelpers = useHelpers
    }

    /// setgroups(2) works in the namespace only when the helpers wrote the maps.
    public var setgroupsAllowed: Bool { useHelpers }

    public func mapsUID(_ id: UInt32) -> Bool { uids.contains { id >= $0.container && id - $0.container < $0.count } }
    public func mapsGID(_ id: UInt32) -> Bool { gids.contains { id >= $0.container && id - $0.container < $0.count } }

    /// The maps for a container whose process runs as `uid`:`gid`.
    /// - With subordinate ranges: container 0 is the user, 1... the range
    ///   (or, with keep-id, the user keeps their own id and the range fills
    ///   the ids around it).
    /// - Without: the user's one id maps to the id the container runs as,
    ///   so a `-u 65534` process really is 65534 inside.
    public static func compute(hostUID: UInt32, hostGID: UInt32,
                               subuid: SubordinateRange?, subgid: SubordinateRange?,
                               uid: UInt32, gid: UInt32, keepID: Bool) -> IDMappings {
        if let subuid, let subgid {
            return IDMappings(uids: ranged(host: hostUID, sub: subuid, keepID: keepID),
                              gids: ranged(host: hostGID, sub: subgid, keepID: keepID),
                              useHelpers: true)
        }
        return IDMappings(uids: [IDMapRange(container: uid, host: hostUID, count: 1)],
                          gids: [IDMapRange(container: gid, host: hostGID, count: 1)],
                          useHelpers: false)
    }

    private static func ranged(host: UInt32, sub: SubordinateRange, keepID: Bool) -> [IDMapRange] {
        // Container ids 0...65535 at most, as Docker images expect.
        let size = min(sub.count, 65535)
        guard keepID else {
            return [IDMapRange(container: 0, host: host, count: 1),
                    IDMapRange(container: 1, host: sub.start, count: size)]
        }
        if host == 0 { return [IDMapRange(container: 0, host: 0, count: 1), IDMapRange(container: 1, host: sub.start, count: size)] }
        var ranges: [IDMapRange] = []
        let below = min(host, sub.count)
        ranges.append(IDMapRange(container: 0, host: sub.start, count: below))
        ranges.append(IDMapRange(container: host, host: host, count: 1))
        let rest = sub.count - below
        if rest > 0 {
            ranges.append(IDMapRange(container: host + 1, host: sub.start + below, count: min(rest, UInt32.max - host - 1)))
        }
        return ranges
    }

    /// The text for /proc/PID/uid_map (one line per range).
    public static func mapText(_ ranges: [IDMapRange]) -> String {
        ranges.map { $0.description + "\n" }.joined()
    }

    /// newuidmap's arguments after the pid.
    public static func helperArguments(_ ranges: [IDMapRange]) -> [String] {
        ranges.flatMap { [String($0.container), String($0.host), String($0.count)] }
    }
}
