import XCTest
@testable import UnionFS

final class UnionOptionsTests: XCTestCase {
    func testParsesFuseOverlayfsOptions() throws {
        var o = UnionOptions()
        try o.parse("lowerdir=/a:/b\\:c:/d,upperdir=/u,workdir=/w,squash_to_root,squash_to_uid=5,uidmapping=0:1000:1:1:100000:65536,fast_ino,ro")
        XCTAssertEqual(o.lowers, ["/a", "/b:c", "/d"])
        XCTAssertEqual(o.upper, "/u")
        XCTAssertEqual(o.work, "/w")
        XCTAssertTrue(o.squashToRoot)
        XCTAssertEqual(o.squashToUID, 5)
        XCTAssertEqual(o.uidMapping.ranges.count, 2)
        XCTAssertEqual(o.fuseOptions, ["ro"])
        try o.validate()
        var again = UnionOptions()
        try again.parse(o.optionString)
        XCTAssertEqual(again, o)
    }

    func testRejectsBrokenOptions() {
        let bad = ["lowerdir=", "lowerdir=a::b", "squash_to_uid=x", "squash_to_uid=", "uidmapping=0:1",
                   "uidmapping=0:1:0", "uidmapping=a:b:c", "uidmapping=4294967295:0:2", "watch_pid=-1"]
        for text in bad {
            var o = UnionOptions()
            XCTAssertThrowsError(try o.parse(text), text)
        }
        let noLower = UnionOptions()
        XCTAssertThrowsError(try noLower.validate())
        var noWork = UnionOptions(lowers: ["/l"], upper: "/u", work: nil)
        XCTAssertThrowsError(try noWork.validate())
        noWork.work = "/w"
        XCTAssertNoThrow(try noWork.validate())
    }

    func testIDMapping() throws {
        let m = try IDMapping(parsing: "0:1000:1:1:100000:65536")
        let cases: [(UInt32, UInt32)] = [(1000, 0), (100000, 1), (165535, 65536), (5, IDMapping.overflow),
                                         (165536, IDMapping.overflow)]
        for (host, shown) in cases { XCTAssertEqual(m.toContainer(host), shown, "host \(host)") }
        XCTAssertEqual(m.toHost(0), 1000)
        XCTAssertEqual(m.toHost(2), 100001)
        XCTAssertNil(m.toHost(70000))
        XCTAssertEqual(IDMapping.identity.toHost(7), 7)
    }

    func testOwnershipOverrideFormat() {
        let table: [(String, OwnershipOverride?)] = [
            ("0:0:0100755", OwnershipOverride(uid: 0, gid: 0, mode: 0o755)),
            ("1000:100:4755", OwnershipOverride(uid: 1000, gid: 100, mode: 0o4755)),
            ("5:6:040700\0", OwnershipOverride(uid: 5, gid: 6, mode: 0o700)),
            ("", nil), (":", nil), ("1:2", nil), ("1:2:", nil), ("a:2:3", nil), ("1:2:9", nil),
            ("1:2:3:4", nil), ("99999999999:0:0", nil), ("-1:0:0", nil), ("1:2:777777777777777", nil),
        ]
        for (text, want) in table {
            XCTAssertEqual(OwnershipOverride(parsing: Array(text.utf8)), want, text.debugDescription)
        }
        XCTAssertEqual(OwnershipOverride(uid: 1, gid: 2, mode: 0o4755).encoded(fileType: 0o100000), "1:2:0104755")
    }

    func testCommandLine() throws {
        let inv = try UnionFSMain.parse(["hutch-unionfs", "-o", "lowerdir=/l,upperdir=/u,workdir=/w", "-f", "/m"])
        XCTAssertEqual(inv.mountpoint, "/m")
        XCTAssertTrue(inv.foreground)
        XCTAssertThrowsError(try UnionFSMain.parse(["hutch-unionfs", "-o", "lowerdir=/l"]))
        XCTAssertThrowsError(try UnionFSMain.parse(["hutch-unionfs", "-x", "/m"]))
        XCTAssertThrowsError(try UnionFSMain.parse(["hutch-unionfs", "-o"]))
        XCTAssertThrowsError(try UnionFSMain.parse(["hutch-unionfs", "-olowerdir=/l", "/m", "/n"]))
    }
}
