import Foundation
import XCTest

/// kill -9 in the middle of store changes, hutch processes racing on one
/// store, and removal of files owned by subordinate ids.
final class ImageCrashTests: XCTestCase {
    /// Imports a busybox image as `busybox:crash` into `env`'s store.
    func importBusybox(_ user: TestUser, _ work: String, _ env: [String: String]) throws -> String {
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar .", as: user), 0)
        let r = Harness.hutch(["import", work + "/bb.tar", "busybox:crash"], as: user, env: env)
        XCTAssertStatus(r, 0)
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Every listed image is whole, no temporary file or folder is left
    /// once a store was opened again, and images.json parses.
    func assertStoreIsWhole(_ user: TestUser, _ root: String, _ env: [String: String],
                            file: StaticString = #filePath, line: UInt = #line) {
        let images = Harness.hutch(["images", "-q"], as: user, env: env)
        XCTAssertStatus(images, 0, "", file: file, line: line)
        for id in images.stdout.split(separator: "\n") {
            XCTAssertStatus(Harness.hutch(["history", String(id)], as: user, env: env), 0, "", file: file, line: line)
        }
        let left = Harness.sh("ls -a \(root) | grep '^.tmp-'; ls \(root)/layers | grep tmp-; ls \(root)/blobs/tmp", as: user)
        XCTAssertEqual(left.stdout, "", "leftovers", file: file, line: line)
    }

    func testKillDuringUnpackOfABigLayer() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "unpack")
            defer { Harness.removeTree(work, as: user) }
            let root = work + "/store"
            let env = ["HUTCH_ROOT": root]
            // 3,000 files of 20 kB: an unpack that lasts long enough to be caught in.
            XCTAssertStatus(Harness.sh("""
                mkdir -p \(work)/big/d && cd \(work)/big/d && head -c 20000 /dev/urandom > f0 &&
                i=1; while [ $i -lt 3000 ]; do cp f0 f$i; i=$((i+1)); done &&
                tar -C \(work)/big -cf \(work)/big.tar .
                """, as: user, timeout: 300), 0)
            for (what, command) in [("import", "hutch import \(work)/big.tar big:1"),
                                    ("load", "hutch load -i \(work)/big-saved.tar")] {
                if what == "load" {
                    XCTAssertStatus(Harness.hutch(["import", work + "/big.tar", "big:saved"], as: user, env: env), 0)
                    XCTAssertStatus(Harness.hutch(["save", "-o", work + "/big-saved.tar", "big:saved"], as: user, env: env), 0)
                    XCTAssertStatus(Harness.hutch(["rmi", "big:saved"], as: user, env: env), 0)
                }
                // Kill once the layer's staging folder has files in it (a bounded wait on that).
                let r = Harness.sh("""
                    \(command) & p=$!
                    i=0; while [ $i -lt 3000 ] && [ -z "$(ls \(root)/layers/tmp-*/diff/d 2>/dev/null | head -1)" ]; do
                      i=$((i+1)); sleep 0.002; done
                    [ -n "$(ls \(root)/layers/tmp-*/diff/d 2>/dev/null | head -1)" ] && echo caught
                    kill -9 $p; wait $p; echo status=$?
                    """, as: user, env: env)
                XCTAssertEqual(r.stdout, "caught\nstatus=137\n", "\(what): \(r.stderr)")
                assertStoreIsWhole(user, root, env)
                XCTAssertEqual(Harness.hutch(["images", "-q"], as: user, env: env).stdout, "", what)
                // The next store operation gave back what the killed one had added (its journal).
                let left = Harness.sh("ls \(root)/blobs/sha256 \(root)/layers \(root)/journal", as: user)
                XCTAssertEqual(left.stdout, "\(root)/blobs/sha256:\n\n\(root)/journal:\n\n\(root)/layers:\n", "\(what): orphans left")
            }
            XCTAssertStatus(Harness.hutch(["load", "-i", work + "/big-saved.tar"], as: user, env: env), 0)
            assertStoreIsWhole(user, root, env)
        }
    }

    func testKillDuringTagNeverLosesOrHalvesTheTable() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "tag")
            defer { Harness.removeTree(work, as: user) }
            let root = work + "/store"
            let env = ["HUTCH_ROOT": root]
            let id = try importBusybox(user, work, env)
            // While the store lock is held elsewhere, tag waits inside; killed there, it changed nothing.
            let blocked = Harness.sh("""
                flock \(root)/store.lock sh -c 'touch \(work)/held; i=0; while [ ! -e \(work)/go ] && [ $i -lt 3000 ]; do i=$((i+1)); sleep 0.01; done' & f=$!
                i=0; while [ ! -e \(work)/held ] && [ $i -lt 1000 ]; do i=$((i+1)); sleep 0.01; done
                hutch tag busybox:crash waiting:1 & t=$!
                i=0; while ! grep -q -- "-> FLOCK  ADVISORY  WRITE $t " /proc/locks && [ $i -lt 1000 ]; do i=$((i+1)); sleep 0.01; done
                grep -q -- "-> FLOCK  ADVISORY  WRITE $t " /proc/locks && echo blocked
                kill -9 $t; wait $t; echo status=$?
                touch \(work)/go; wait $f
                """, as: user, env: env)
            XCTAssertEqual(blocked.stdout, "blocked\nstatus=137\n", blocked.stderr)
            XCTAssertEqual(Harness.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"], as: user, env: env).stdout,
                           "busybox:crash\n")
            // Killed at many moments of its write: the table is the old one or the new one.
            let r = Harness.sh("""
                for n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
                  hutch tag busybox:crash t:$n & p=$!
                  usleep=$(( (n * 3) % 40 )); sleep 0.0$(printf %02d $usleep); kill -9 $p 2>/dev/null; wait $p
                done; true
                """, as: user, env: env)
            XCTAssertStatus(r, 0)
            assertStoreIsWhole(user, root, env)
            let tags = Harness.hutch(["images", "--format", "{{.Tag}} {{.ID}}"], as: user, env: env).stdout
            for line in tags.split(separator: "\n") {
                XCTAssertTrue(line.hasSuffix(" " + id.dropFirst(7).prefix(12)), "a tag points elsewhere: \(tags)")
            }
        }
    }

    func testConcurrentProcessesSerializeOnTheStoreLock() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "lock")
            defer { Harness.removeTree(work, as: user) }
            let root = work + "/store"
            let env = ["HUTCH_ROOT": root]
            _ = try importBusybox(user, work, env)
            XCTAssertStatus(Harness.hutch(["save", "-o", work + "/bb-saved.tar", "busybox:crash"], as: user, env: env), 0)
            // 12 tags and 3 loads of the same archive at once: no update is lost, nothing is doubled.
            let r = Harness.sh("""
                for n in 1 2 3 4 5 6 7 8 9 10 11 12; do hutch tag busybox:crash many:$n & done
                for n in 1 2 3; do HUTCH_ROOT=\(work)/other hutch load -q -i \(work)/bb-saved.tar & done
                fail=0; for p in $(jobs -p); do wait $p || fail=1; done; echo fail=$fail
                """, as: user, env: env, timeout: 300)
            XCTAssertEqual(r.stdout, "fail=0\n", r.stderr)
            let tags = Harness.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"], as: user, env: env).stdout
            XCTAssertEqual(Set(tags.split(separator: "\n").map(String.init)),
                           Set(["busybox:crash"] + (1...12).map { "many:\($0)" }))
            let other = ["HUTCH_ROOT": work + "/other"]
            XCTAssertEqual(Harness.hutch(["images", "--format", "{{.Repository}}:{{.Tag}}"], as: user, env: other).stdout,
                           "busybox:crash\n")
            assertStoreIsWhole(user, work + "/other", other)
            XCTAssertEqual(Harness.sh("ls \(work)/other/layers | wc -l", as: user).stdout.trimmingCharacters(in: .whitespacesAndNewlines), "1")
        }
    }

    /// A container's files owned by subordinate ids (made here with
    /// unshare --map-auto) are removed by `hutch system rm-tree` and by rmi.
    func testRmTreeAndRmiRemoveFilesOwnedBySubordinateIDs() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "rmtree")
            defer { Harness.removeTree(work, as: user) }
            let hasRange = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8))?
                .split(separator: "\n").contains { $0.hasPrefix(user.name + ":") } ?? false
            let chownAway = hasRange
                ? "unshare --map-auto --map-root-user sh -c 'chown -R 5:5 \"$1\" && chmod -R a-w \"$1\"' - "
                : "chmod -R a-w "
            XCTAssertStatus(Harness.sh("mkdir -p \(work)/tree/a/b && echo x > \(work)/tree/a/b/f && \(chownAway)\(work)/tree/a", as: user), 0)
            if hasRange { XCTAssertNotEqual(Harness.sh("rm -rf \(work)/tree", as: user).status, 0, "plain rm should fail") }
            XCTAssertStatus(Harness.hutch(["system", "rm-tree", work + "/tree"], as: user), 0)
            XCTAssertFalse(FileManager.default.fileExists(atPath: work + "/tree"))

            let root = work + "/store"
            let env = ["HUTCH_ROOT": root]
            let id = try importBusybox(user, work, env)
            XCTAssertStatus(Harness.sh("\(chownAway)\(root)/layers/*/diff/bin", as: user), 0)
            let rmi = Harness.hutch(["rmi", String(id.dropFirst(7).prefix(12))], as: user, env: env)
            XCTAssertStatus(rmi, 0)
            XCTAssertEqual(Harness.sh("ls \(root)/layers", as: user).stdout, "")
            XCTAssertEqual(Harness.hutch(["system", "rm-tree", "/"], as: user).status, 125)
        }
    }
}
