#if canImport(Glibc)
import Glibc
#endif

// Glibc's Swift module leaves out <sys/xattr.h>; the functions are looked up
// once in libc and called with the C convention.
typealias LGetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
typealias LSetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32

let libcLGetXattr: LGetXattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lgetxattr")!, to: LGetXattr.self)
let libcLSetXattr: LSetXattr = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lsetxattr")!, to: LSetXattr.self)

func lgetxattr(_ path: String, _ name: String, _ value: UnsafeMutableRawPointer?, _ size: Int) -> Int {
    libcLGetXattr(path, name, value, size)
}

func lsetxattr(_ path: String, _ name: String, _ value: UnsafeRawPointer?, _ size: Int, _ flags: Int32) -> Int32 {
    libcLSetXattr(path, name, value, size, flags)
}
