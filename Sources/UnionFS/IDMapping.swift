/// A list of `container:host:length` ranges (fuse-overlayfs `uidmapping=`).
/// Files on disk carry host ids; the mount shows container ids.
public struct IDMapping: Equatable, Sendable, CustomStringConvertible {
    public struct Range: Equatable, Sendable {
        public var container: UInt32, host: UInt32, length: UInt32
        public init(container: UInt32, host: UInt32, length: UInt32) {
            self.container = container; self.host = host; self.length = length
        }
    }
    public var ranges: [Range]
    public static let identity = IDMapping(ranges: [])
    public var isIdentity: Bool { ranges.isEmpty }
    /// The id shown for host ids outside every range (the kernel's overflow id).
    public static let overflow: UInt32 = 65534

    public init(ranges: [Range]) { self.ranges = ranges }

    /// Parses `0:1000:1:1:100000:65536` (triples, colon or comma separated).
    public init(parsing text: String) throws {
        let numbers = text.split(whereSeparator: { $0 == ":" || $0 == "," })
        guard !numbers.isEmpty, numbers.count % 3 == 0 else {
            throw UnionFSError.badOption("id mapping \"\(text)\" is not container:host:length triples")
        }
        var ranges: [Range] = []
        var i = 0
        while i < numbers.count {
            guard let c = UInt32(numbers[i]), let h = UInt32(numbers[i + 1]), let l = UInt32(numbers[i + 2]), l > 0,
                  UInt64(c) + UInt64(l) <= 1 << 32, UInt64(h) + UInt64(l) <= 1 << 32 else {
                throw UnionFSError.badOption("id mapping \"\(text)\" has a bad range")
            }
            ranges.append(Range(container: c, host: h, length: l))
            i += 3
        }
        self.ranges = ranges
    }

    /// Host id (on disk) to the id the mount shows.
    @inline(__always)
    public func toContainer(_ host: UInt32) -> UInt32 {
        if ranges.isEmpty { return host }
        for r in ranges where host >= r.host && host - r.host < r.length { return r.container + (host - r.host) }
        return IDMapping.overflow
    }

    /// Id asked for through the mount to the id written on disk; nil when unmapped.
    @inline(__always)
    public func toHost(_ container: UInt32) -> UInt32? {
        if ranges.isEmpty { return container }
        for r in ranges where container >= r.container && container - r.container < r.length {
            return r.host + (container - r.container)
        }
        return nil
    }

    public var description: String {
        ranges.map { "\($0.container):\($0.host):\($0.length)" }.joined(separator: ":")
    }
}
