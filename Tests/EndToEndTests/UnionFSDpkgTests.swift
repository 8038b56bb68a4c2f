import Foundation
import XCTest

/// apt-style dpkg unpacking on hutch-unionfs: in a container of the Debian
/// python fixture, build a small .deb (files, a folder, a symlink, a
/// conffile), install it, list it, remove and purge it, as both test users.
/// dpkg renames `.dpkg-new` files over lower ones, fsyncs, rewrites its
/// lower-layer database and checks ownership: the union filesystem's
/// everyday load in `RUN apt-get install`.
final class UnionFSDpkgTests: XCTestCase {
    static let script = #"""
        set -eu
        P=/tmp/pkg
        mkdir -p $P/DEBIAN $P/usr/share/hutchtest/sub $P/etc $P/usr/bin
        cat > $P/DEBIAN/control <<EOF
        Package: hutchtest
        Version: 1.0
        Architecture: all
        Maintainer: hutch tests <tests@hutch.invalid>
        Description: hutch-unionfs dpkg test
        EOF
        echo /etc/hutchtest.conf > $P/DEBIAN/conffiles
        echo 'setting=1' > $P/etc/hutchtest.conf
        echo 'package data' > $P/usr/share/hutchtest/sub/file
        printf '#!/bin/sh\necho hutchtest ran\n' > $P/usr/bin/hutchtest
        chmod 755 $P/usr/bin/hutchtest
        ln -s sub/file $P/usr/share/hutchtest/link
        dpkg-deb --build --root-owner-group $P /tmp/hutchtest.deb >/dev/null
        dpkg -i /tmp/hutchtest.deb >/dev/null
        echo "status: $(dpkg-query -W -f '${Status}' hutchtest)"
        dpkg -L hutchtest | sort | sed 's/^/listed: /'
        echo "link: $(cat /usr/share/hutchtest/link)"
        hutchtest
        stat -c 'owner: %n %u:%g %a' /usr/bin/hutchtest /etc/hutchtest.conf
        echo 'setting=2' > /etc/hutchtest.conf
        dpkg -i /tmp/hutchtest.deb >/dev/null
        echo "kept: $(cat /etc/hutchtest.conf)"
        dpkg -r hutchtest >/dev/null
        test ! -e /usr/share/hutchtest/sub/file && test ! -e /usr/bin/hutchtest && echo "removed: files"
        test -e /etc/hutchtest.conf && echo "removed: conffile kept"
        dpkg -P hutchtest >/dev/null
        test ! -e /etc/hutchtest.conf && echo "purged: conffile"
        dpkg-query -W hutchtest 2>/dev/null || echo "purged: unknown to dpkg"
        dpkg --audit && echo "audit: clean"
        """#

    func testDpkgInstallListRemovePurge() throws {
        let fixture = try Harness.pythonFixture()
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "dpkg")
            let env = ["HUTCH_ROOT": dir + "/store"]
            defer {
                let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
                XCTAssertFalse(mounts.contains(dir), "a union mount was left behind")
                XCTAssertTrue(Harness.waitUntil(timeout: 10) { !Harness.processes(of: user).contains { $0.contains(dir) } },
                              "processes left: \(Harness.processes(of: user))")
                Harness.removeTree(dir, as: user)
            }
            XCTAssertStatus(Harness.hutch(["import", fixture, "python:latest"], as: user, env: env, timeout: 300), 0,
                            "importing the python fixture")
            let r = Harness.hutch(["run", "--rm", "python:latest", "sh", "-c", Self.script], as: user, env: env, timeout: 300)
            XCTAssertStatus(r, 0, "dpkg in a container on hutch-unionfs")
            let out = r.stdout
            for line in ["status: install ok installed", "listed: /etc/hutchtest.conf", "listed: /usr/share/hutchtest",
                         "listed: /usr/share/hutchtest/sub", "listed: /usr/share/hutchtest/sub/file",
                         "listed: /usr/share/hutchtest/link", "listed: /usr/bin/hutchtest", "link: package data",
                         "hutchtest ran", "owner: /usr/bin/hutchtest 0:0 755", "owner: /etc/hutchtest.conf 0:0 644",
                         "kept: setting=2", "removed: files", "removed: conffile kept", "purged: conffile",
                         "purged: unknown to dpkg", "audit: clean"] {
                XCTAssertTrue(out.contains(line + "\n"), "\(user): missing \(line.debugDescription) in:\n\(out)\n\(r.stderr)")
            }
        }
    }
}
