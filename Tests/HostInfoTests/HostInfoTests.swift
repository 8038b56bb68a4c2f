import XCTest
@testable import HostInfo

final class HostInfoTests: XCTestCase {
    func testSubordinateRangesTable() {
        typealias R = HostReport.IDRange
        let cases: [(String, [R])] = [
            ("alice:100000:65536\n", [R(start: 100000, count: 65536)]),
            ("1001:200000:1000\nalice:300000:10\n", [R(start: 200000, count: 1000), R(start: 300000, count: 10)]),
            ("bob:100000:65536\nalicex:1:2\n", []),
            ("alice:abc:65536\nalice:5:0\nalice:1\n::\n", []),
            ("", []),
            ("alice: 7 : 9\n", [R(start: 7, count: 9)]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(HostChecks.parseSubordinateRanges(text, user: "alice", uid: 1001), expected, text)
        }
    }

    func testNetworkFilesystemWarningNamesTheSettingsNotXDGDataHome() {
        for fs in ["nfs", "nfs4", "cifs", "smb3", "fuse.sshfs"] {
            let warning = HostChecks.networkFilesystemWarning(fs)
            XCTAssertNotNil(warning, fs)
            XCTAssertTrue(warning?.contains("HUTCH_ROOT") ?? false, fs)
            XCTAssertTrue(warning?.contains("/var/tmp/hutch-$UID") ?? false, fs)
            XCTAssertFalse(warning?.contains("XDG_DATA_HOME") ?? true, fs)
        }
        for fs in ["ext4", "xfs", "btrfs", "tmpfs", "fuse.hutch-unionfs"] {
            XCTAssertNil(HostChecks.networkFilesystemWarning(fs), fs)
        }
    }

    func testFilesystemOfRoot() {
        XCTAssertNotEqual(HostChecks.filesystemType(of: "/"), "unknown")
        XCTAssertEqual(HostChecks.filesystemType(of: "/proc/self"), "proc")
        XCTAssertEqual(HostChecks.filesystemType(of: "/no/such/dir/below/proc"), HostChecks.filesystemType(of: "/"))
    }
}
