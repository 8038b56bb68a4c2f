import Foundation
import XCTest

/// hutch-unionfs driven as the test users: against the kernel overlay
/// (differential), under real programs, and for cleanup after kills.
final class UnionFSTests: XCTestCase {
    /// The differential test script, copied where the test user can read it.
    private func script(in dir: String, user: TestUser) throws -> String {
        let dst = dir + "/unionfs-difftest.py"
        try? FileManager.default.removeItem(atPath: dst)
        try FileManager.default.copyItem(atPath: Harness.harnessDir + "/unionfs-difftest.py", toPath: dst)
        chmod(dst, 0o755)
        return dst
    }

    private func assertNoDaemon(_ user: TestUser, file: StaticString = #filePath, line: UInt = #line) {
        let gone = Harness.waitUntil(timeout: 10) {
            !Harness.processes(of: user).contains { $0.contains(Harness.unionfs) && !$0.contains("<defunct>") }
        }
        XCTAssertTrue(gone, "hutch-unionfs still running for \(user): \(Harness.processes(of: user))", file: file, line: line)
    }

    func testMatchesKernelOverlay() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "diff")
            defer { Harness.removeTree(dir, as: user) }
            let py = try script(in: dir, user: user)
            let ops = ProcessInfo.processInfo.environment["HUTCH_UNIONFS_DIFF_OPS"] ?? "3000"
            var args = ["/usr/bin/unshare", "-Urm", "/usr/bin/python3", py, "--unionfs", Harness.unionfs,
                        "--dir", dir + "/work", "--ops", ops]
            // A fixed seed keeps make test repeatable; HUTCH_UNIONFS_DIFF_SEED=random
            // (or a number) explores further. Seeds that once failed and pass now:
            // 4, 1375187721, 3747830649 (setgid on a renamed lower folder),
            // 2165468090, 3262980106 (ESTALE from the kernel overlay).
            let seed = ProcessInfo.processInfo.environment["HUTCH_UNIONFS_DIFF_SEED"] ?? "1"
            if seed != "random" { args += ["--seed", seed] }
            let r = Harness.run(args, as: user, timeout: 600)
            print(r.stdout)
            XCTAssertStatus(r, 0, "differential test against the kernel overlay failed (its output names the seed)")
            assertNoDaemon(user)
        }
    }

    func testRealPrograms() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "progs")
            defer { Harness.removeTree(dir, as: user) }
            let script = """
                set -e
                cd \(dir)
                mkdir -p lower upper work m src
                # A lower layer with a python tree and a tarball of it.
                cp -r /usr/lib/python3*/json /usr/lib/python3*/email /usr/lib/python3*/http lower/
                tar --owner=0 --group=0 -C /usr/lib -cf src/tree.tar $(cd /usr/lib && ls -d python3*/ | head -1)
                \(Harness.unionfs) -o lowerdir=lower,upperdir=upper,workdir=work m
                cd m
                mkdir untar && tar -C untar -xf ../src/tree.tar
                n=$(find untar -type f | wc -l); test "$n" -gt 1000
                tar -C /usr/lib -cf - $(cd /usr/lib && ls -d python3*/ | head -1) | tar -tf - | wc -l >/dev/null
                diff -r --no-dereference untar/$(cd /usr/lib && ls -d python3*/ | head -1) /usr/lib/$(cd /usr/lib && ls -d python3*/ | head -1) >/dev/null
                python3 -m compileall -q json email http >/dev/null
                test -n "$(find json -name '*.pyc' | head -1)"
                git init -q repo && cd repo
                git config user.email t@example.com && git config user.name t
                cp -a ../json . && git add -A && git commit -qm one
                echo change >> json/__init__.py && git commit -qam two
                test "$(git rev-list --count HEAD)" = 2 && git fsck --no-progress 2>&1 | (! grep -q .)
                cd ..
                sqlite3 db.sqlite 'create table t(x); begin; insert into t values(1); commit;'
                ( sqlite3 -cmd '.timeout 5000' db.sqlite 'begin exclusive; insert into t values(2); commit;' & \
                  sqlite3 -cmd '.timeout 5000' db.sqlite 'insert into t values(3);'; wait )
                test "$(sqlite3 db.sqlite 'select count(*) from t')" = 3
                python3 -c "
                import fcntl, mmap, os
                fd = os.open('locked', os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.lockf(fd, fcntl.LOCK_EX); fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.ftruncate(fd, 4096)
                m = mmap.mmap(fd, 4096); m[0:5] = b'hello'; m.flush(); m.close()
                assert os.pread(fd, 5, 0) == b'hello'
                "
                rm -rf untar json
                cd ..
                umount m
                """
            let r = Harness.run(["/usr/bin/unshare", "-Urm", "/bin/sh", "-c", script], as: user, timeout: 600)
            XCTAssertStatus(r, 0, "real programs on hutch-unionfs")
            assertNoDaemon(user)
        }
    }

    /// kill -9 of the process that holds the namespace: the mount goes with
    /// the namespace and the daemon must exit, not linger.
    func testKilledNamespaceLeavesNoDaemon() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "kill")
            defer { Harness.removeTree(dir, as: user) }
            let script = """
                cd \(dir) && mkdir -p l u w m && echo x > l/f
                unshare -Urm sh -c '\(Harness.unionfs) -o lowerdir=l,upperdir=u,workdir=w,watch_pid=$$ m && cat m/f >/dev/null && exec sleep 600' &
                pid=$!
                for i in $(seq 1 200); do pgrep -u $(id -u) -f "^\(Harness.unionfs) -o lowerdir=l," >/dev/null && break; sleep 0.05; done
                pgrep -u $(id -u) -f "^\(Harness.unionfs) -o lowerdir=l," >/dev/null || { echo "daemon never started"; exit 1; }
                kill -9 $pid
                wait $pid 2>/dev/null
                for i in $(seq 1 200); do pgrep -u $(id -u) -f "^\(Harness.unionfs) -o lowerdir=l," >/dev/null || exit 0; sleep 0.05; done
                echo "daemon still running after its namespace was killed"; exit 1
                """
            let r = Harness.sh(script, as: user, timeout: 60)
            XCTAssertStatus(r, 0)
            assertNoDaemon(user)
        }
    }

    /// From the host (no namespace), libfuse mounts through fusermount3.
    func testHostMountThroughFusermount() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "host")
            defer { Harness.removeTree(dir, as: user) }
            let script = """
                set -e
                cd \(dir) && mkdir -p l u w m && echo lower > l/f
                \(Harness.unionfs) -o lowerdir=l,upperdir=u,workdir=w m
                test "$(cat m/f)" = lower
                echo upper > m/f && rm -f m/missing && mkdir m/d
                fusermount3 -u m
                test "$(cat u/f)" = upper && test -d u/d && test "$(cat l/f)" = lower
                ! grep -q " $(pwd)/m " /proc/self/mountinfo
                """
            let r = Harness.sh(script, as: user, timeout: 60)
            XCTAssertStatus(r, 0)
            assertNoDaemon(user)
        }
    }

    /// Workers spin on /dev/fuse for a moment after each request (docs/unionfs.md,
    /// Speed): once the programs stop, the daemon must go to sleep, not keep a CPU
    /// busy. And with the spinning, or the splicing of requests, turned off the
    /// same work gives the same tree.
    func testIdleDaemonSleepsAndSpinningAndSplicingAreOptional() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "spin")
            defer { Harness.removeTree(dir, as: user) }
            let script = """
                set -e
                cd \(dir) && mkdir -p l/d && echo lower > l/d/f
                for both in 50:1 0:1 50:0; do
                    spin=${both%:*}; splice=${both#*:}
                    rm -rf u w m && mkdir u w m
                    HUTCH_UNIONFS_SPIN_US=$spin HUTCH_UNIONFS_SPLICE_REQUESTS=$splice \(Harness.unionfs) -o lowerdir=l,upperdir=u,workdir=w m
                    pid=$(pgrep -u $(id -u) -n -f "^\(Harness.unionfs) -o lowerdir=l,")
                    for i in $(seq 1 300); do echo $i > m/d/n$i; done
                    ls -lR m >/dev/null && rm -f m/d/n* && mkdir m/d/e && rm m/d/f
                    test "$(ls -A m/d)" = e || { echo "$both: wrong tree: $(ls -A m/d)"; exit 1; }
                    # CPU ticks (1/100 s) of the daemon over a second must stop growing.
                    ticks() { awk '{print $14 + $15}' /proc/$pid/stat; }
                    ok=
                    for try in 1 2 3 4 5; do
                        a=$(ticks); sleep 1; b=$(ticks)
                        if [ $((b - a)) -le 5 ]; then ok=1; break; fi
                    done
                    test -n "$ok" || { echo "$both: the idle daemon used $((b - a)) ticks in a second"; exit 1; }
                    fusermount3 -u m
                    for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
                    ! kill -0 $pid 2>/dev/null || { echo "$both: daemon still running after unmount"; exit 1; }
                done
                """
            let r = Harness.sh(script, as: user, timeout: 120)
            XCTAssertStatus(r, 0)
            assertNoDaemon(user)
        }
    }
}
