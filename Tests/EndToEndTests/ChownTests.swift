import Foundation
import XCTest

/// chown to ids a single-id user namespace does not map (issues 4 and 5):
/// the seccomp filter hands the call to hutch-unionfs (`-o control=`),
/// which records the ownership in the union's override xattr.
final class ChownTests: XCTestCase {
    /// Set to true once Containers and Builder start hutch-unionfs with
    /// `control=` and forward the listener (SandboxSpec.seccompListener ->
    /// SeccompListenerForwarder.send) for single-id containers and builds.
    static let hutchWiringDone = true

    /// A stand-in for the sandbox: chroot, a filter notifying the chown
    /// family, its listener sent to the supervisor, exec. NOTIFY_NO_CAP_CHOWN=1
    /// drops CAP_CHOWN first.
    static let helperSource = #"""
        #define _GNU_SOURCE
        #include <linux/capability.h>
        #include <seccomp.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/prctl.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <sys/un.h>

        int main(int argc, char **argv) {
            if (argc < 4) { fprintf(stderr, "usage: notify-exec SOCKET ROOT CMD...\n"); return 2; }
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            struct sockaddr_un a = { .sun_family = AF_UNIX };
            strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
            if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 3; }
            if (chdir(argv[2]) != 0 || chroot(".") != 0) { perror("chroot"); return 4; }
            if (getenv("NOTIFY_NO_CAP_CHOWN")) {
                struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
                struct __user_cap_data_struct d[2];
                if (syscall(SYS_capget, &h, d) != 0) { perror("capget"); return 9; }
                d[0].effective &= ~1u; d[0].permitted &= ~1u; d[0].inheritable &= ~1u;
                prctl(PR_CAPBSET_DROP, 0, 0, 0, 0);
                if (syscall(SYS_capset, &h, d) != 0) { perror("capset"); return 9; }
            }
            scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
            const char *names[] = { "chown", "fchown", "lchown", "fchownat" };
            for (int i = 0; i < 4; i++) {
                int nr = seccomp_syscall_resolve_name(names[i]);
                if (nr >= 0 && seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0) != 0) { fprintf(stderr, "rule %s\n", names[i]); return 5; }
            }
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            if (seccomp_load(ctx) != 0) { fprintf(stderr, "seccomp_load failed\n"); return 6; }
            int fd = seccomp_notify_fd(ctx);
            if (fd < 0) { fprintf(stderr, "no listener\n"); return 7; }
            char byte = 0;
            struct iovec iov = { &byte, 1 };
            char buf[CMSG_SPACE(sizeof(int))];
            memset(buf, 0, sizeof buf);
            struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof buf };
            struct cmsghdr *c = CMSG_FIRSTHDR(&m);
            c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof fd);
            if (sendmsg(s, &m, 0) != 1) { perror("sendmsg"); return 8; }
            close(fd); close(s);
            execvp(argv[3], argv + 3);
            perror("exec");
            return 127;
        }
        """#

    func buildHelper(in dir: String, as user: TestUser) throws -> String {
        let source = dir + "/notify-exec.c"
        try Self.helperSource.write(toFile: source, atomically: true, encoding: .utf8)
        chmod(source, 0o644)
        let r = Harness.sh("cc -O1 -o '\(dir)/notify-exec' '\(source)' -lseccomp", as: user)
        guard r.status == 0 else {
            XCTFail("cannot build the notify helper (install gcc and libseccomp-dev): \(r.output)")
            throw XCTSkip("no helper")
        }
        return dir + "/notify-exec"
    }

    /// hutch-unionfs as root of an `unshare -Urm` namespace (one id mapped)
    /// with `-o control=`, and a chrooted shell under the notifying filter.
    func testChownToUnmappedIdsIsRecordedByTheUnionDaemon() throws {
        try Harness.forEachUser { user in
            let dir = try Harness.tempDir(for: user, "chown")
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(dir, as: user); Harness.removeTree(rootfs, as: user) }
            let helper = try buildHelper(in: dir, as: user)
            let inner = """
                set -e
                touch /x && chown 1000:1000 /x && echo x=$(stat -c %u:%g /x)
                chmod 4755 /x && chown 1001:1000 /x
                mkdir -p /home/d && touch /home/d/f && ln -s f /home/d/l
                cd /home/d && chown -R 1000:1000 . && chown 1002:1000 ../d/f
                chmod 700 /home/d/f && touch /home/d/new && echo writable-after-chown
                chown 0:0 /bin/busybox && echo mapped=$(stat -c %u:%g /bin/busybox)
                chown 1000 /missing 2>/dev/null || echo missing=$?
                touch /scratch/t && { chown 1000 /scratch/t 2>&1 || true; }
                """
            let outer = """
                set -e
                cd '\(dir)'
                mkdir upper work m
                '\(Harness.unionfs)' -f -o lowerdir='\(rootfs)',upperdir=upper,workdir=work,control='\(dir)'/ctl m & d=$!
                i=0; until grep -q ' \(dir)/m ' /proc/self/mountinfo; do i=$((i+1)); [ $i -lt 1000 ] || { kill $d; exit 90; }; sleep 0.01; done
                echo socket=$(stat -c %a ctl)
                mkdir -p m/scratch && mount -t tmpfs none m/scratch
                rc=0
                '\(helper)' '\(dir)'/ctl '\(dir)'/m /bin/sh -c '\(inner)' || rc=$?
                NOTIFY_NO_CAP_CHOWN=1 '\(helper)' '\(dir)'/ctl '\(dir)'/m /bin/sh -c 'touch /y; chown 1000 /y 2>&1' || true
                umount m/scratch
                kill $d; wait $d || true
                test ! -e ctl && echo socket-removed
                for f in x home/d home/d/f y; do
                    echo "$f: $(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.containers.override_stat").decode())' upper/$f 2>/dev/null || echo none)"
                done
                test -L upper/home/d/l && echo symlink-kept
                exit $rc
                """
            let r = Harness.run(["/usr/bin/unshare", "-Urm", "/bin/sh", "-c", outer], as: user, timeout: 120)
            XCTAssertStatus(r, 0)
            let out = r.stdout
            for line in [
                "socket=600",
                // An id the namespace does not map shows as its root (the
                // kernel would show 65534 and refuse chmod in it); it is kept.
                "x=0:0",
                "writable-after-chown",
                "mapped=0:0",
                "missing=1",
                "Invalid argument",           // on a tmpfs the kernel's own answer
                "Operation not permitted",    // without CAP_CHOWN
                "socket-removed",
                "x: 1001:1000:0100755",       // setuid cleared by the chown, as the kernel does
                "home/d: 1000:1000:040755",
                "home/d/f: 1002:1000:0100700",
                "y: none",
                "symlink-kept",
            ] {
                XCTAssertTrue(out.contains(line), "missing \(line) in:\n\(out)\nstderr: \(r.stderr)")
            }
            XCTAssertTrue(Harness.waitUntil(timeout: 10) { !Harness.processes(of: user).contains { $0.contains(dir) } },
                          "processes left: \(Harness.processes(of: user))")
        }
    }

    // MARK: through hutch (enable with `hutchWiringDone` once Containers and Builder are wired)

    func env(_ root: String) -> [String: String] { ["HUTCH_ROOT": root] }

    func importBusybox(_ user: TestUser, into work: String) throws -> String {
        let rootfs = try Harness.busyboxRootfs(for: user)
        defer { Harness.removeTree(rootfs, as: user) }
        let root = work + "/store"
        XCTAssertStatus(Harness.sh("tar -C \(rootfs) -cf \(work)/bb.tar .", as: user), 0)
        XCTAssertStatus(Harness.hutch(["import", work + "/bb.tar", "busybox"], as: user, env: env(root)), 0)
        return root
    }

    func testRunChownsToAnyId() throws {
        guard Self.hutchWiringDone else { throw XCTSkip("needs hutch-unionfs -o control= wired into Containers (ChownTests.hutchWiringDone)") }
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "chownrun")
            defer { Harness.removeTree(work, as: user) }
            let root = try importBusybox(user, into: work)
            let r = Harness.hutch(["run", "--rm", "busybox", "sh", "-c", "touch /x && chown 1000:1000 /x && stat -c %u:%g /x"],
                                  as: user, env: env(root), timeout: 60)
            XCTAssertStatus(r, 0)
            // With a subuid range 1000 is mapped for real; alone, it is recorded and shows as root.
            XCTAssertEqual(r.stdout, user.hasSubuid ? "1000:1000\n" : "0:0\n")
            let exec = Harness.hutch(["run", "-d", "--name", "c", "busybox", "sleep", "60"], as: user, env: env(root))
            XCTAssertStatus(exec, 0)
            XCTAssertStatus(Harness.hutch(["exec", "c", "sh", "-c", "touch /y && chown 1000:1000 /y"], as: user, env: env(root)), 0)
            XCTAssertStatus(Harness.hutch(["rm", "-f", "c"], as: user, env: env(root)), 0)
        }
    }

    func testBuildChownsToAUserItAdds() throws {
        guard Self.hutchWiringDone else { throw XCTSkip("needs hutch-unionfs -o control= wired into Builder (ChownTests.hutchWiringDone)") }
        try Harness.forEachUser { user in
            let work = try Harness.tempDir(for: user, "chownbuild")
            defer { Harness.removeTree(work, as: user) }
            let root = try importBusybox(user, into: work)
            let context = work + "/ctx"
            XCTAssertStatus(Harness.sh("mkdir -p '\(context)'", as: user), 0)
            XCTAssertStatus(Harness.run(["/usr/bin/tee", context + "/Dockerfile"], as: user,
                                        stdin: "FROM busybox\nRUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group && mkdir -p /home/app && chown -R app:app /home/app\n"), 0)
            XCTAssertStatus(Harness.hutch(["build", "-t", "owned", context], as: user, env: env(root), timeout: 300), 0)
            let inspect = Harness.hutch(["inspect", "owned"], as: user, env: env(root))
            let list = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]]
            let layers = try XCTUnwrap((list?.first?["RootFS"] as? [String: Any])?["Layers"] as? [String])
            let hex = try XCTUnwrap(layers.last).replacingOccurrences(of: "sha256:", with: "")
            let listing = Harness.sh("tar -tvnf '\(root)/blobs/sha256/\(hex)'", as: user).stdout
            XCTAssertTrue(listing.split(separator: "\n").contains { $0.contains("1000/1000") && $0.hasSuffix("home/app/") },
                          listing)
        }
    }
}
