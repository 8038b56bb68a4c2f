import XCTest
import Foundation
@testable import Sandbox

final class RootfsPathTests: XCTestCase {
    /// A rootfs described by its symlinks only (path under /r -> link text).
    func resolve(_ path: String, links: [String: String]) throws -> String {
        try RootfsPath.resolve(path, in: "/r") { links[$0] }
    }

    func testResolvesInsideTheRoot() throws {
        let links = [
            "/r/abs": "/etc",                  // absolute: relative to the rootfs, not the host
            "/r/up": "../../../../etc",         // climbs out: clamped at the root
            "/r/data/rel": "../var/lib",
            "/r/loop1": "loop2", "/r/loop2": "loop1",
            "/r/chain": "abs/passwd.d",
            "/r/proc-self": "/proc/self/root",  // no host magic: a plain path in the rootfs
        ]
        let cases: [(String, String)] = [
            ("/", ""),
            ("/a/b", "a/b"),
            ("//a///b/", "a/b"),
            ("/a/./b/../c", "a/c"),
            ("/../../..", ""),
            ("/../etc", "etc"),
            ("/abs/x", "etc/x"),
            ("/up/x", "etc/x"),
            ("/data/rel/x", "var/lib/x"),
            ("/chain", "etc/passwd.d"),
            ("/proc-self/etc", "proc/self/root/etc"),
        ]
        for (path, expected) in cases {
            XCTAssertEqual(try resolve(path, links: links), expected, path)
        }
        XCTAssertThrowsError(try resolve("/loop1/x", links: links))
        XCTAssertThrowsError(try resolve("relative", links: links))
        XCTAssertThrowsError(try resolve("", links: links))
    }

    func testRealSymlinksCannotEscape() throws {
        let root = NSTemporaryDirectory() + "rootfs-path-\(getpid())"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createSymbolicLink(atPath: root + "/host", withDestinationPath: "/")
        try FileManager.default.createSymbolicLink(atPath: root + "/dotdot", withDestinationPath: "../../../../../tmp")
        XCTAssertEqual(try RootfsPath.resolve("/host/etc/shadow", in: root), "etc/shadow")
        XCTAssertEqual(try RootfsPath.resolve("/dotdot/x", in: root), "tmp/x")
        XCTAssertEqual(try RootfsPath.resolve("/etc/new", in: root), "etc/new")
    }
}
