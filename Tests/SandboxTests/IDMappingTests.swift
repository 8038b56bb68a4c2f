import XCTest
@testable import Sandbox

final class IDMappingTests: XCTestCase {
    let range = SubordinateRange(start: 1_000_000, count: 65536)

    func testSubordinateRangeLookup() {
        let text = """
        alice:100000:65536
        # a comment is not a user
        broken line
        bob:notanumber:65536
        1002:300000:0
        1002:200000:65536
        carol:400000
        """
        let cases: [(String?, UInt32, SubordinateRange?)] = [
            ("alice", 1001, SubordinateRange(start: 100000, count: 65536)),
            ("bob", 1005, nil),                                       // malformed number
            (nil, 1002, SubordinateRange(start: 200000, count: 65536)), // by uid; a zero count is skipped
            ("carol", 1003, nil),                                     // truncated line
            ("dave", 1004, nil),
            ("", 1006, nil),
        ]
        for (user, id, expected) in cases {
            XCTAssertEqual(SubordinateRange.find(in: text, user: user, id: id), expected, "\(String(describing: user)) \(id)")
        }
        XCTAssertNil(SubordinateRange.find(in: "", user: "alice", id: 1))
        XCTAssertNil(SubordinateRange.find(in: "::::\n:\n\0", user: "", id: 0))
    }

    func testWithRangeRootIsTheUser() {
        let m = IDMappings.compute(hostUID: 1001, hostGID: 1001, subuid: range, subgid: range, uid: 0, gid: 0, keepID: false)
        XCTAssertTrue(m.useHelpers)
        XCTAssertEqual(IDMappings.mapText(m.uids), "0 1001 1\n1 1000000 65535\n")
        XCTAssertEqual(IDMappings.helperArguments(m.gids), ["0", "1001", "1", "1", "1000000", "65535"])
        XCTAssertTrue(m.mapsUID(65534))
        XCTAssertTrue(m.mapsUID(65535))
        XCTAssertFalse(m.mapsUID(65536))
    }

    func testWithoutRangeTheOneIDMapsToTheContainerUser() {
        let cases: [(UInt32, UInt32, String, String)] = [
            (0, 0, "0 1002 1\n", "0 1002 1\n"),
            (65534, 65534, "65534 1002 1\n", "65534 1002 1\n"),
            (1000, 33, "1000 1002 1\n", "33 1002 1\n"),
        ]
        for (uid, gid, uidMap, gidMap) in cases {
            let m = IDMappings.compute(hostUID: 1002, hostGID: 1002, subuid: nil, subgid: nil, uid: uid, gid: gid, keepID: false)
            XCTAssertFalse(m.useHelpers)
            XCTAssertFalse(m.setgroupsAllowed)
            XCTAssertEqual(IDMappings.mapText(m.uids), uidMap)
            XCTAssertEqual(IDMappings.mapText(m.gids), gidMap)
        }
    }

    func testOnlyOneRangeIsTreatedAsNone() {
        let m = IDMappings.compute(hostUID: 1001, hostGID: 1001, subuid: range, subgid: nil, uid: 0, gid: 0, keepID: false)
        XCTAssertFalse(m.useHelpers)
    }

    func testKeepIDWithRange() {
        let m = IDMappings.compute(hostUID: 1001, hostGID: 1001, subuid: range, subgid: range, uid: 1001, gid: 1001, keepID: true)
        XCTAssertEqual(m.uids, [IDMapRange(container: 0, host: 1_000_000, count: 1001),
                                IDMapRange(container: 1001, host: 1001, count: 1),
                                IDMapRange(container: 1002, host: 1_001_001, count: 64535)])
        XCTAssertTrue(m.mapsUID(0) && m.mapsUID(1001) && m.mapsUID(65535))
        // The ranges never overlap on either side.
        let total = m.uids.reduce(0) { $0 + $1.count }
        XCTAssertEqual(total, 65537)
    }

    func testKeepIDWithoutRange() {
        let m = IDMappings.compute(hostUID: 1002, hostGID: 1003, subuid: nil, subgid: nil, uid: 1002, gid: 1003, keepID: true)
        XCTAssertEqual(IDMappings.mapText(m.uids), "1002 1002 1\n")
        XCTAssertEqual(IDMappings.mapText(m.gids), "1003 1003 1\n")
    }

    func testKeepIDWithASmallRange() {
        let small = SubordinateRange(start: 500000, count: 10)
        let m = IDMappings.compute(hostUID: 1001, hostGID: 1001, subuid: small, subgid: small, uid: 1001, gid: 1001, keepID: true)
        XCTAssertEqual(m.uids, [IDMapRange(container: 0, host: 500000, count: 10), IDMapRange(container: 1001, host: 1001, count: 1)])
    }
}
