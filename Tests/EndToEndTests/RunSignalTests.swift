import Foundation
import XCTest

/// Signals sent to hutch reach the container's command through its init.
final class RunSignalTests: XCTestCase {
    func testSignalsAreForwarded() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let dir = try Harness.tempDir(for: user, "signals")
            defer { Harness.removeTree(dir, as: user) }
            for (signal, code) in [("TERM", 7), ("INT", 8), ("HUP", 9), ("USR1", 10)] {
                // The command traps the signal; hutch runs in the background so
                // the test can signal it once the trap is set.
                let script = """
                out=\(dir)/out
                hutch run --rootfs '\(rootfs)' sh -c 'trap "echo got-\(signal); exit \(code)" \(signal); echo ready; while :; do sleep 0.05; done' > "$out" 2>&1 &
                pid=$!
                i=0
                until grep -q ready "$out"; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
                kill -\(signal) $pid
                wait $pid
                echo "status=$?"
                cat "$out"; rm -f "$out"
                """
                let r = Harness.sh(script, as: user, timeout: 60)
                XCTAssertEqual(r.stdout, "status=\(code)\nready\ngot-\(signal)\n", "\(signal): \(r.stderr)")
            }
            // An untrapped SIGTERM kills the command: 128+15, as Docker reports it.
            let plain = Harness.sh("""
                out=\(dir)/out
                hutch run --rootfs '\(rootfs)' sh -c 'echo ready; while :; do sleep 0.05; done' > "$out" 2>&1 &
                pid=$!
                i=0
                until grep -q ready "$out"; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
                kill -TERM $pid; wait $pid; echo "status=$?"; rm -f "$out"
                """, as: user, timeout: 60)
            XCTAssertEqual(plain.stdout, "status=143\n", plain.stderr)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// A hutch killed with SIGKILL takes its container with it.
    func testContainerDiesWithHutch() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let dir = try Harness.tempDir(for: user, "kill")
            defer { Harness.removeTree(dir, as: user) }
            let r = Harness.sh("""
                out=\(dir)/out
                hutch run --rootfs '\(rootfs)' sh -c 'echo ready; sleep 1000' > "$out" 2>&1 &
                pid=$!
                i=0
                until grep -q ready "$out"; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
                kill -KILL $pid; wait $pid; echo "status=$?"
                """, as: user, timeout: 60)
            XCTAssertEqual(r.stdout, "status=137\n", r.stderr)
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }

    /// Orphans in the container are reaped by its init, and the container
    /// ends when its command does, background children included.
    func testInitReapsAndEndsWithTheCommand() throws {
        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let r = Harness.hutch(["run", "--rootfs", rootfs, "sh", "-c",
                                   "(sleep 0.1 &) ; sleep 0.3; ps -o stat,comm | grep -c Z; sleep 1000 & echo $$; exit 4"],
                                  as: user, timeout: 30)
            XCTAssertStatus(r, 4)
            XCTAssertEqual(r.stdout, "0\n2\n")   // no zombie; the command is PID 2, after our init
            RunTests.assertNothingLeft(user, rootfs: rootfs)
        }
    }
}
