import Foundation
import XCTest

/// A store on a filesystem that cannot hold it, and a store whose disk
/// fills up. Both in `unshare -rm` (no root needed): a ramfs (no user
/// xattrs) as HOME, a tmpfs over /var/tmp so the local fallback folder
/// stays in the test's mount namespace, a 2 MB tmpfs as a full disk.
final class StoreFilesystemTests: XCTestCase {
    /// Tars of a one-file tree, `kilobytes` of random bytes (gzip cannot shrink them).
    func makeTar(_ user: TestUser, _ work: String, _ name: String, kilobytes: Int) {
        XCTAssertStatus(Harness.sh("""
            mkdir -p \(work)/\(name) && head -c \(kilobytes)k /dev/urandom > \(work)/\(name)/data &&
            tar -C \(work)/\(name) -cf \(work)/\(name).tar .
            """, as: user), 0)
    }

    func testDefaultRootOnAFilesystemWithoutXattrsMovesToALocalFolder() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "fsfallback")
            defer { Harness.removeTree(work, as: user) }
            makeTar(user, work, "small", kilobytes: 4)
            let r = Harness.sh("""
                mkdir -p "$W/home" && unshare -rm sh -c '
                  mount -t ramfs none "$W/home" && mount -t tmpfs none /var/tmp || exit 99
                  export HOME="$W/home"; unset XDG_DATA_HOME HUTCH_ROOT
                  hutch import "$W/small.tar" small:1 >/dev/null 2>"$W/first.err"; echo "import=$?"
                  hutch images --format "{{.Repository}}:{{.Tag}}" 2>"$W/second.err"
                  hutch info 2>/dev/null | grep -A1 "Storage folder:"
                  stat -c "%a %u" /var/tmp/hutch-0
                  HUTCH_ROOT="$HOME/explicit" hutch images; echo "explicit=$?"
                  ls -A "$HOME"
                '
                """, as: user, env: ["W": work])
            XCTAssertStatus(r, 0)
            let first = (try? String(contentsOfFile: work + "/first.err", encoding: .utf8)) ?? ""
            let second = (try? String(contentsOfFile: work + "/second.err", encoding: .utf8)) ?? "unreadable"
            XCTAssertEqual(first, "hutch: \(work)/home/.local/share/hutch cannot hold the store: its filesystem (ramfs) lacks user extended attributes, which the store needs; using /var/tmp/hutch-0 instead (see `hutch info`; set HUTCH_ROOT to choose)\n")
            XCTAssertEqual(second, "", "the notice is said once, when the local folder is made")
            XCTAssertEqual(r.stdout, """
                import=0
                small:1
                 Storage folder:     /var/tmp/hutch-0 (from local fallback)
                                     NOTE: \(work)/home/.local/share/hutch cannot hold the store: its filesystem (ramfs) lacks user extended attributes, which the store needs
                700 0
                explicit=125

                """, r.stderr)
            XCTAssertEqual(r.stderr, "Error: cannot use \(work)/home/explicit (from HUTCH_ROOT) for images and containers: its filesystem (ramfs) lacks user extended attributes, which the store needs; choose a folder on a local disk\n")
        }
    }

    func testFullDiskIsAnErrorAndTheStoreStaysWhole() throws {
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "fulldisk")
            defer { Harness.removeTree(work, as: user) }
            makeTar(user, work, "small", kilobytes: 4)
            makeTar(user, work, "unpack", kilobytes: 1200)   // the blob fits, its unpacked copy does not
            makeTar(user, work, "blob", kilobytes: 3000)     // not even the blob fits
            let other = ["HUTCH_ROOT": work + "/other"]
            XCTAssertStatus(Harness.hutch(["import", work + "/unpack.tar", "big:saved"], as: user, env: other), 0)
            XCTAssertStatus(Harness.hutch(["save", "-o", work + "/saved.tar", "big:saved"], as: user, env: other), 0)
            let r = Harness.sh("""
                mkdir -p "$W/store" && unshare -rm sh -c '
                  mount -t tmpfs -o size=2m none "$W/store" || exit 99
                  export HUTCH_ROOT="$W/store"
                  hutch import "$W/small.tar" small:1 >/dev/null || exit 98
                  before=$(du -sk "$W/store" | cut -f1); blobs=$(ls "$W/store/blobs/sha256" | wc -l)
                  for what in "import $W/unpack.tar big:1" "import $W/blob.tar big:2" "load -i $W/saved.tar"; do
                    hutch $what >/dev/null 2>>"$W/errors"; echo "$?"
                    hutch images --format "{{.Repository}}:{{.Tag}}"
                    [ "$(du -sk "$W/store" | cut -f1)" = "$before" ] || echo "space not given back: $(du -sk "$W/store")"
                    [ "$(ls "$W/store/blobs/sha256" | wc -l)" = "$blobs" ] || echo "blobs left: $(ls "$W/store/blobs/sha256")"
                    ls -A "$W/store/layers" | grep tmp-; find "$W/store/blobs/tmp" "$W/store/journal" -mindepth 1
                  done
                  hutch history small:1 >/dev/null && echo whole
                '
                """, as: user, env: ["W": work], timeout: 180)
            XCTAssertStatus(r, 0)
            XCTAssertEqual(r.stdout, "125\nsmall:1\n125\nsmall:1\n125\nsmall:1\nwhole\n", r.stderr)
            let errors = ((try? String(contentsOfFile: work + "/errors", encoding: .utf8)) ?? "").split(separator: "\n")
            XCTAssertEqual(errors.count, 3, "\(errors)")
            for line in errors {
                XCTAssertTrue(line.hasPrefix("Error: cannot "), String(line))
                XCTAssertTrue(line.contains(" \(work)/store/"), "names the path: \(line)")
                XCTAssertTrue(line.hasSuffix(": no space left on device (the store is unchanged; free some space and retry)"), String(line))
            }
        }
    }
}
