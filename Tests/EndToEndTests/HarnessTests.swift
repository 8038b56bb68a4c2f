import XCTest

/// The harness itself: the users exist as `make test` promised, and run unprivileged.
final class HarnessTests: XCTestCase {
    func testUsersAreUnprivileged() throws {
        try Harness.forEachUser { user in
            let r = Harness.run(["/usr/bin/id", "-u"], as: user)
            XCTAssertStatus(r, 0)
            XCTAssertNotEqual(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0")
            let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
            XCTAssertEqual(subuid.split(separator: "\n").contains { $0.hasPrefix("\(user.name):") }, user.hasSubuid)
        }
    }

    func testHutchRunsAsTheUser() throws {
        try Harness.forEachUser { user in
            let r = Harness.hutch(["--version"], as: user)
            XCTAssertStatus(r, 0)
            XCTAssertFalse(r.stdout.isEmpty)
        }
    }

    /// A run killed part way leaves FUSE mounts with dead daemons under
    /// E2E_ROOT; every walk of the tree then fails (EACCES for root, ENOTCONN
    /// for the owner), which once failed `make test` at its first chmod.
    /// `make test` starts with clear-stale.sh, which detaches them and clears
    /// the scratch folder, and keeps the rest. As the user: the path a
    /// developer's own `make e2e-prepare` takes.
    func testClearStaleDetachesAKilledRunsMounts() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "stale")
            defer {
                // Should the script fail, the mounts must not outlive the test.
                Harness.sh("cd \(dir)/root/tmp/x 2>/dev/null && fusermount3 -u -z m; fusermount3 -u -z 'sp ace'; true", as: user)
                Harness.removeTree(dir, as: user)
            }
            let script = """
                set -e
                R=\(dir)/root
                mkdir -p $R/tmp/x/l $R/tmp/x/u $R/tmp/x/w $R/tmp/x/m "$R/tmp/x/sp ace" $R/fixtures
                echo kept > $R/fixtures/f
                cd $R/tmp/x
                \(Harness.unionfs) -o lowerdir=l,upperdir=u,workdir=w m
                \(Harness.unionfs) -o lowerdir=l,upperdir=u,workdir=w "sp ace"
                pkill -KILL -u $(id -u) -f "^\(Harness.unionfs) -o lowerdir=l,"
                for i in $(seq 1 100); do pgrep -u $(id -u) -f "^\(Harness.unionfs) -o lowerdir=l," >/dev/null || break; sleep 0.05; done
                cd /
                if ls $R/tmp/x/m >/dev/null 2>&1; then echo "the killed daemon's mount still answers"; exit 1; fi
                bash \(Harness.harnessDir)/clear-stale.sh $R
                if grep -qF "$R/" /proc/self/mountinfo; then echo "still mounted:"; grep -F "$R/" /proc/self/mountinfo; exit 1; fi
                test ! -e $R/tmp || { echo "the scratch folder stayed"; exit 1; }
                test "$(cat $R/fixtures/f)" = kept
                """
            let r = Harness.sh(script, as: user, timeout: 60)
            XCTAssertStatus(r, 0)
            XCTAssertTrue(r.stdout.contains("detached \(dir)/root/tmp/x/sp ace"), r.stdout)
        }
    }
}
