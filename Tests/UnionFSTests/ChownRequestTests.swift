import XCTest
import Glibc
@testable import UnionFS

/// The pieces of the chown supervisor that read what a container process
/// hands over: the notification, its path in the caller's memory, the
/// caller's id maps and capabilities. Hostile and truncated input included.
final class ChownRequestTests: XCTestCase {
    func testControlOption() throws {
        var o = UnionOptions()
        try o.parse("lowerdir=/l,upperdir=/u,workdir=/w,control=/run/user/1000/hutch/c1.sock")
        XCTAssertEqual(o.controlSocket, "/run/user/1000/hutch/c1.sock")
        var again = UnionOptions()
        try again.parse(o.optionString)
        XCTAssertEqual(again, o)
        var empty = UnionOptions()
        XCTAssertThrowsError(try empty.parse("control="))
        XCTAssertThrowsError(try empty.parse("control"))
    }

    func testNotificationDecoding() {
        var bytes = [UInt8](repeating: 0, count: 80)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt64(77), toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: UInt32(1234), toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: Int32(260), toByteOffset: 16, as: Int32.self)
            raw.storeBytes(of: ChownRequest.x86_64, toByteOffset: 20, as: UInt32.self)
            for i in 0..<6 { raw.storeBytes(of: UInt64(i + 10), toByteOffset: 32 + 8 * i, as: UInt64.self) }
        }
        let n = bytes.withUnsafeBytes { SeccompNotification(bytes: $0) }
        XCTAssertEqual(n, SeccompNotification(id: 77, pid: 1234, nr: 260, arch: ChownRequest.x86_64, args: [10, 11, 12, 13, 14, 15]))
        XCTAssertNil(bytes.prefix(79).withUnsafeBytes { SeccompNotification(bytes: $0) }, "a short record")
    }

    func testRequestDecoding() throws {
        let x86 = ChownRequest.x86_64, arm = ChownRequest.aarch64
        let minus1 = UInt64(UInt32.max), fdcwd = UInt64(bitPattern: -100)
        func n(_ arch: UInt32, _ nr: Int32, _ args: [UInt64]) -> SeccompNotification {
            SeccompNotification(id: 1, pid: 1, nr: nr, arch: arch, args: args + Array(repeating: 0, count: 6 - args.count))
        }
        let cases: [(String, SeccompNotification, ChownRequest.Target?, UInt32?, UInt32?, Bool)] = [
            ("chown", n(x86, 92, [0x1000, 1000, 1000]), .path(dirfd: -100, address: 0x1000, followLinks: true), 1000, 1000, false),
            ("lchown, gid unchanged", n(x86, 94, [0x1000, 5, minus1]), .path(dirfd: -100, address: 0x1000, followLinks: false), 5, nil, false),
            ("fchown", n(x86, 93, [3, minus1, 7]), .descriptor(3), nil, 7, false),
            ("fchownat nofollow", n(x86, 260, [fdcwd, 0x2000, 1, 2, 0x100]), .path(dirfd: -100, address: 0x2000, followLinks: false), 1, 2, false),
            ("fchownat empty path", n(arm, 54, [4, 0x2000, 1, 2, 0x1000]), .path(dirfd: 4, address: 0x2000, followLinks: true), 1, 2, true),
            ("fchown on arm64", n(arm, 55, [9, 1, 1]), .descriptor(9), 1, 1, false),
            ("a uid with high garbage bits is the kernel's 32-bit uid", n(x86, 92, [0x1000, 0xdead_0000_0000_03e8, 0]), .path(dirfd: -100, address: 0x1000, followLinks: true), 1000, 0, false),
            ("another syscall", n(x86, 2, [0]), nil, nil, nil, false),
            ("chown's number on another arch (i386's 92 is truncate)", n(0x4000_0003, 92, [0]), nil, nil, nil, false),
            ("arm64 has no chown", n(arm, 92, [0]), nil, nil, nil, false),
        ]
        for (label, notif, target, uid, gid, empty) in cases {
            let r = try ChownRequest(notif)
            XCTAssertEqual(r?.target, target, label)
            XCTAssertEqual(r?.uid, uid, label)
            XCTAssertEqual(r?.gid, gid, label)
            if r != nil { XCTAssertEqual(r?.emptyPathAllowed, empty, label) }
        }
        XCTAssertThrowsError(try ChownRequest(n(x86, 260, [fdcwd, 0x2000, 1, 2, 0x400])), "unknown flags are EINVAL") { e in
            XCTAssertEqual((e as? FSError)?.code, EINVAL)
        }
    }

    /// /proc/self/mem stands in for the caller's memory.
    enum Read: Equatable { case success([UInt8]), failure(Int32) }

    func readOwn(_ address: UInt64, max: Int = Int(PATH_MAX)) -> Read {
        let procFD = open("/proc", O_RDONLY | O_DIRECTORY)
        defer { close(procFD) }
        do throws(FSError) {
            return .success(try CallerProcess(procFD: procFD, pid: UInt32(getpid())).string(at: address, max: max))
        } catch { return .failure(error.code) }
    }

    func testReadsPathsFromMemoryWithTheKernelsErrors() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let map = try XCTUnwrap(mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        XCTAssertNotEqual(map, MAP_FAILED)
        defer { munmap(map, 2 * page) }
        let base = UInt64(UInt(bitPattern: map))
        // A string that ends just before an unmapped page is read whole.
        XCTAssertEqual(munmap(map + page, page), 0)
        let tail = Array("/etc/x".utf8) + [0]
        (map + page - tail.count).copyMemory(from: tail, byteCount: tail.count)
        XCTAssertEqual(readOwn(base + UInt64(page - tail.count)), .success(Array("/etc/x".utf8)))
        // Unterminated up to the unmapped page: EFAULT, as the kernel's
        // strncpy_from_user; PATH_MAX bytes without a NUL: ENAMETOOLONG.
        memset(map, 0x61, page)
        XCTAssertEqual(readOwn(base + 100), .failure(EFAULT))
        XCTAssertEqual(readOwn(base), .failure(ENAMETOOLONG))
        // Unterminated within PATH_MAX: ENAMETOOLONG.
        XCTAssertEqual(readOwn(base, max: 100), .failure(ENAMETOOLONG))
        // Bad pointers.
        XCTAssertEqual(readOwn(0), .failure(EFAULT))
        XCTAssertEqual(readOwn(16), .failure(EFAULT))
        XCTAssertEqual(readOwn(base + UInt64(page)), .failure(EFAULT))
        XCTAssertEqual(readOwn(UInt64.max - 3), .failure(EFAULT))
        // Empty and crossing a page boundary.
        (map + 10).storeBytes(of: 0, as: UInt8.self)
        XCTAssertEqual(readOwn(base + 10), .success([]))
    }

    func testDeadProcess() throws {
        let procFD = open("/proc", O_RDONLY | O_DIRECTORY)
        defer { close(procFD) }
        // A pid above pid_max never exists.
        let caller = CallerProcess(procFD: procFD, pid: 4_194_305)
        XCTAssertThrowsError(try caller.string(at: 0x1000)) { XCTAssertEqual(($0 as? FSError)?.code, ESRCH) }
        XCTAssertThrowsError(try caller.open("root", directory: true)) { XCTAssertEqual(($0 as? FSError)?.code, ESRCH) }
        XCTAssertNil(caller.text("status"))
        XCTAssertNil(caller.readlink("cwd"))
        let me = CallerProcess(procFD: procFD, pid: UInt32(getpid()))
        XCTAssertThrowsError(try me.open("fd/100000")) { XCTAssertEqual(($0 as? FSError)?.code, EBADF) }
    }

    func testIDMaps() {
        let single = IDMapFile(parsing: "         0       1002          1\n")
        XCTAssertEqual(single.outside(0), 1002)
        XCTAssertNil(single.outside(1))
        XCTAssertNil(single.outside(1000))
        let range = IDMapFile(parsing: "0 1002 1\n1 1000000 65536\n")
        XCTAssertEqual(range.outside(1000), 1_000_999)
        XCTAssertEqual(range.outside(65536), 1_065_535)
        XCTAssertNil(range.outside(65537))
        let whole = IDMapFile(parsing: "0 0 4294967295\n")
        XCTAssertEqual(whole.outside(4_294_967_294), 4_294_967_294)
        for hostile in ["", "garbage", "0 1\n", "0 1 2 3\n", "-1 0 1\n", "0 0 0\n", "99999999999 0 1\n", "\u{0}\u{1}"] {
            XCTAssertEqual(IDMapFile(parsing: hostile).ranges, [], hostile)
        }
    }

    func testEffectiveCapabilities() {
        XCTAssertEqual(effectiveCapabilities(status: "Name:\tsh\nCapInh:\t0\nCapEff:\t00000000a80425fb\nCapBnd:\t0\n"), 0xa80425fb)
        XCTAssertEqual(effectiveCapabilities(status: "CapEff:\t0000000000000000\n"), 0)
        for bad in ["", "CapEff:\n", "CapEff:\tzz\n", "CapEff:\t00000000000000000000\n", "CapPrm:\t1\n"] {
            XCTAssertNil(effectiveCapabilities(status: bad), bad)
        }
    }
}
