import CFuse3
import Glibc

/// One directory of the union: the upper (index 0 when there is one) or a
/// lower. Held open as an HUTCH_O_PATH descriptor so every lookup is a *at call.
struct Layer {
    let path: String
    let fd: Int32
    let dev: UInt64

    init(path: String) throws {
        guard let real = realpath(path, nil) else {
            throw UnionFSError.layer(path, String(cString: strerror(errno)))
        }
        self.path = String(cString: real)
        free(real)
        fd = open(self.path, HUTCH_O_PATH | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw UnionFSError.layer(path, String(cString: strerror(errno))) }
        var st = stat()
        fstat(fd, &st)
        dev = UInt64(st.st_dev)
    }

    /// Absolute path for calls with no *at form (the xattr family).
    @inline(__always)
    func absolute(_ rel: String) -> String { rel == "." ? path : path + "/" + rel }
}

/// What the xattrs of one file say, read with a single listxattr.
struct XattrFacts {
    var override: OwnershipOverride?
    var hasSecurity = false
    var opaque = false
    /// user.hutch.datasource: where a metadata-only copy's data lives.
    var dataSource: String?
}

/// Names only the union filesystem may see or change.
@inline(__always)
func isPrivateXattr(_ name: UnsafePointer<CChar>) -> Bool {
    strncmp(name, "user.overlay.", 13) == 0 || strncmp(name, "trusted.overlay.", 16) == 0
        || strncmp(name, "user.hutch.", 11) == 0
}

/// Reads the facts the stat and merge paths need from an absolute path.
func readXattrFacts(_ abs: String, wantOpaque: Bool) -> XattrFacts {
    var facts = XattrFacts()
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1024) { buf in
        var n = llistxattr(abs, buf.baseAddress, 1024)
        var heap: UnsafeMutableBufferPointer<CChar>? = nil
        defer { heap?.deallocate() }
        if n < 0 && errno == ERANGE {
            let size = llistxattr(abs, nil, 0)
            guard size > 0 else { return }
            heap = .allocate(capacity: size)
            n = llistxattr(abs, heap!.baseAddress, size)
        }
        guard n > 0 else { return }
        let names = heap?.baseAddress ?? buf.baseAddress!
        var i = 0
        var hasOverride = false, hasOpaque = false, hasSource = false
        while i < n {
            let name = names + i
            let len = strlen(name)
            if strncmp(name, "security.", 9) == 0 { facts.hasSecurity = true }
            else if strcmp(name, OwnershipOverride.xattrName) == 0 { hasOverride = true }
            else if strcmp(name, "user.overlay.opaque") == 0 || strcmp(name, "trusted.overlay.opaque") == 0 {
                hasOpaque = true
            }
            else if strcmp(name, DataSource.xattrName) == 0 { hasSource = true }
            i += len + 1
        }
        if hasOverride {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { value in
                let got = lgetxattr(abs, OwnershipOverride.xattrName, value.baseAddress, 63)
                if got > 0 { facts.override = OwnershipOverride(parsing: UnsafeBufferPointer(rebasing: value[0..<got])) }
            }
        }
        if hasSource { facts.dataSource = readDataSource(abs) }
        if hasOpaque && wantOpaque {
            facts.opaque = xattrIsY(abs, "user.overlay.opaque") || xattrIsY(abs, "trusted.overlay.opaque")
        }
    }
    return facts
}

private func xattrIsY(_ abs: String, _ name: String) -> Bool {
    var c: UInt8 = 0
    return lgetxattr(abs, name, &c, 1) == 1 && c == UInt8(ascii: "y")
}
