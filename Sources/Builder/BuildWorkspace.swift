import Foundation
import Store
#if canImport(Glibc)
import Glibc
#endif

/// Scratch folders for the steps being run, under the store: each holds
/// an upper and an overlay work directory, and is flocked while in use, so
/// the next build removes what a killed one left behind.
public final class BuildWorkspace {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        collectLeftovers()
    }

    public final class Scratch {
        public let path: String
        let fd: Int32
        public var upper: String { path + "/upper" }
        public var work: String { path + "/work" }
        public var root: String { path + "/root" }

        init(path: String, fd: Int32) { self.path = path; self.fd = fd }

        /// Removes the folder (files a sandbox wrote may need the store's remover).
        public func release() {
            try? removeTree(path)
            close(fd)
        }
    }

    public func makeScratch() throws -> Scratch {
        let path = directory + "/tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard mkdir(path, 0o700) == 0 else { throw BuildError.errno("mkdir", path) }
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BuildError.errno("open", path) }
        flock(fd, LOCK_EX)
        for sub in ["upper", "work", "root"] where mkdir(path + "/" + sub, 0o755) != 0 {
            throw BuildError.errno("mkdir", path + "/" + sub)
        }
        return Scratch(path: path, fd: fd)
    }

    func collectLeftovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("tmp-") {
            let path = directory + "/" + name
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { try? removeTree(path) }
            close(fd)
        }
    }
}
