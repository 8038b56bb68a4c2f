import Foundation
import XCTest

/// Detached containers under control: restart, kill -s, wait (an
/// auto-removed container's included), stop's signals and its SIGKILL,
/// inspect, run -d --rm, --network host, a terminal that goes away, -dt.
final class ContainerControlTests: XCTestCase {
    /// A command that says it is ready once its trap is set, then waits.
    static func trapping(_ signal: String, exit code: Int) -> [String] {
        ["sh", "-c", "trap 'echo got-\(signal); exit \(code)' \(signal); echo ready; sleep 300 & wait"]
    }

    func testRestartKillAndWait() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "r", "--rootfs", f.rootfs] + Self.trapping("HUP", exit: 5)), 0)
            XCTAssertTrue(f.waitForLog("r", "ready"))
            let firstPid = f.inspect("r", "{{.State.Pid}}")

            // restart: stopped (SIGTERM, which the command does not trap), started again from the same config.
            let restart = f.hutch(["restart", "-t", "5", "r"])
            XCTAssertStatus(restart, 0)
            XCTAssertEqual(restart.stdout, "r\n")
            XCTAssertEqual(f.inspect("r", "{{.State.Status}}"), "running")
            XCTAssertNotEqual(f.inspect("r", "{{.State.Pid}}"), firstPid)
            XCTAssertTrue(f.waitForLog("r", "ready", count: 2), f.hutch(["logs", "r"]).output)

            // kill -s: the signal named reaches the command; wait prints its exit code.
            let kill = f.hutch(["kill", "-s", "SIGHUP", "r"])
            XCTAssertStatus(kill, 0)
            XCTAssertEqual(kill.stdout, "r\n")
            let wait = f.hutch(["wait", "r"], timeout: 20)
            XCTAssertStatus(wait, 0)
            XCTAssertEqual(wait.stdout, "5\n")
            XCTAssertTrue(f.hutch(["logs", "r"]).stdout.hasSuffix("ready\ngot-HUP\n"), f.hutch(["logs", "r"]).output)
            XCTAssertEqual(f.hutch(["ps", "-a", "--format", "{{.Names}} {{.State}}"]).stdout, "r exited\n")
            XCTAssertEqual(f.hutch(["wait", "r"]).stdout, "5\n", "wait on a stopped container")

            let notRunning = f.hutch(["kill", "-s", "HUP", "r"])
            XCTAssertEqual(notRunning.status, 1)
            XCTAssertTrue(notRunning.stderr.contains("is not running"), notRunning.stderr)
            let badSignal = f.hutch(["kill", "-s", "SIGNOPE", "r"])
            XCTAssertNotEqual(badSignal.status, 0)
            XCTAssertTrue(badSignal.stderr.contains("invalid signal: SIGNOPE"), badSignal.stderr)

            // kill without -s is SIGKILL: 137; a number names a signal too.
            XCTAssertStatus(f.hutch(["start", "r"]), 0)
            XCTAssertTrue(f.waitForLog("r", "ready", count: 3))
            XCTAssertStatus(f.hutch(["kill", "r"]), 0)
            XCTAssertEqual(f.hutch(["wait", "r"], timeout: 20).stdout, "137\n")
            XCTAssertStatus(f.hutch(["start", "r"]), 0)
            XCTAssertTrue(f.waitForLog("r", "ready", count: 4))
            XCTAssertStatus(f.hutch(["kill", "-s", "1", "r"]), 0)
            XCTAssertEqual(f.hutch(["wait", "r"], timeout: 20).stdout, "5\n")
        }
    }

    /// stop sends the image's STOPSIGNAL, or --stop-signal's, and a command
    /// that ignores it is killed (SIGKILL) once -t has passed.
    func testStopSignalsAndTimeout() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.sh("tar -C \(f.rootfs) -cf \(f.shared)/bb.tar ."), 0)
            XCTAssertStatus(f.hutch(["import", "--change", "STOPSIGNAL SIGUSR1", f.shared + "/bb.tar", "usr1"]), 0)

            XCTAssertStatus(f.hutch(["run", "-d", "--name", "img", "usr1"] + Self.trapping("USR1", exit: 3)), 0)
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "opt", "--stop-signal", "SIGUSR2", "--rootfs", f.rootfs]
                                    + Self.trapping("USR2", exit: 4)), 0)
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "deaf", "--rootfs", f.rootfs,
                                     "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"]), 0)
            for name in ["img", "opt", "deaf"] { XCTAssertTrue(f.waitForLog(name, "ready"), name) }
            XCTAssertEqual(f.inspect("img", "{{.Config.StopSignal}}"), "SIGUSR1")

            for (name, code) in [("img", "3"), ("opt", "4")] {
                let started = Date()
                let stop = f.hutch(["stop", "-t", "20", name])
                XCTAssertStatus(stop, 0, name)
                XCTAssertEqual(stop.stdout, name + "\n")
                XCTAssertLessThan(Date().timeIntervalSince(started), 10, "\(name): the stop signal did not end it")
                XCTAssertEqual(f.inspect(name, "{{.State.ExitCode}}"), code, name)
            }
            XCTAssertTrue(f.hutch(["logs", "img"]).stdout.contains("got-USR1"))
            XCTAssertTrue(f.hutch(["logs", "opt"]).stdout.contains("got-USR2"))

            let started = Date()
            XCTAssertStatus(f.hutch(["stop", "-t", "1", "deaf"]), 0)
            let took = Date().timeIntervalSince(started)
            XCTAssertGreaterThanOrEqual(took, 1, "killed before -t passed")
            XCTAssertLessThan(took, 8)
            XCTAssertEqual(f.inspect("deaf", "{{.State.Status}} {{.State.ExitCode}}"), "exited 137")
            XCTAssertTrue(f.hutch(["ps", "-a", "--format", "{{.Names}} {{.Status}}"]).stdout.contains("deaf Exited (137)"))
            XCTAssertStatus(f.hutch(["rm", "img", "opt", "deaf"]), 0)
            XCTAssertStatus(f.hutch(["rmi", "usr1"]), 0)
        }
    }

    func testInspectOfAContainer() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            let run = f.hutch(["run", "-d", "--name", "web", "-e", "GREETING=hi", "-l", "tier=front", "--network", "none",
                               "--rootfs", f.rootfs, "sleep", "300"])
            XCTAssertStatus(run, 0)
            let id = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            let inspect = f.hutch(["inspect", "web"])
            XCTAssertStatus(inspect, 0)
            XCTAssertTrue(inspect.stdout.hasPrefix("[\n    {\n        \"Args\": [\n"), inspect.stdout)
            let list = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [[String: Any]])
            XCTAssertEqual(list.count, 1)
            let object = list[0]
            XCTAssertEqual(object["Id"] as? String, id)
            XCTAssertEqual(object["Name"] as? String, "/web")
            XCTAssertEqual(object["Path"] as? String, "sleep")
            XCTAssertEqual(object["Args"] as? [String], ["300"])
            XCTAssertEqual(object["LogPath"] as? String, f.root + "/containers/\(id)/ctr.log")
            let state = try XCTUnwrap(object["State"] as? [String: Any])
            XCTAssertEqual(state["Status"] as? String, "running")
            XCTAssertEqual(state["Running"] as? Bool, true)
            let pid = try XCTUnwrap(state["Pid"] as? Int)
            XCTAssertTrue(Harness.run(["/bin/kill", "-0", String(pid)], as: user).status == 0, "State.Pid \(pid) is not running")
            let config = try XCTUnwrap(object["Config"] as? [String: Any])
            XCTAssertTrue((config["Env"] as? [String] ?? []).contains("GREETING=hi"), "\(config)")
            XCTAssertEqual(config["Labels"] as? [String: String], ["tier": "front"])
            XCTAssertEqual((object["HostConfig"] as? [String: Any])?["NetworkMode"] as? String, "none")

            // The same object through `container inspect`, by ID prefix, and through -f.
            XCTAssertEqual(f.hutch(["container", "inspect", String(id.prefix(6))]).stdout, inspect.stdout)
            XCTAssertEqual(f.inspect("web", "{{.State.Status}} {{.Name}} {{.HostConfig.NetworkMode}}"), "running /web none")
            XCTAssertEqual(f.inspect("web", "{{json .Config.Labels}}"), #"{"tier":"front"}"#)

            // A container comes first, as with Docker; --type image asks for the image.
            XCTAssertStatus(f.sh("tar -C \(f.rootfs) -cf \(f.shared)/bb.tar ."), 0)
            XCTAssertStatus(f.hutch(["import", f.shared + "/bb.tar", "web"]), 0)
            XCTAssertEqual(f.inspect("web", "{{.Name}}"), "/web")
            XCTAssertTrue(f.hutch(["inspect", "--type", "image", "-f", "{{.Id}}", "web"]).stdout.hasPrefix("sha256:"))
            XCTAssertEqual(f.hutch(["image", "inspect", "-f", "{{.Name}}", "web"]).stdout, "<no value>\n")

            let missing = f.hutch(["inspect", "nosuch"])
            XCTAssertEqual(missing.status, 1)
            XCTAssertEqual(missing.stdout, "[]\n")
            XCTAssertEqual(missing.stderr, "Error: No such object: nosuch\n")
            XCTAssertEqual(f.hutch(["container", "inspect", "nosuch"]).stderr, "Error: No such container: nosuch\n")

            XCTAssertStatus(f.hutch(["stop", "-t", "5", "web"]), 0)
            XCTAssertEqual(f.inspect("web", "{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}"), "exited false 143 0")
            XCTAssertStatus(f.hutch(["rm", "web"]), 0)
            XCTAssertStatus(f.hutch(["rmi", "web"]), 0)
        }
    }

    /// run -d --rm: gone once it ends; `wait` still gets its exit code.
    func testDetachedAutoRemove() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.hutch(["run", "-d", "--rm", "--rootfs", f.rootfs, "true"]), 0)
            XCTAssertTrue(f.waitUntilNoContainers(), "a --rm container that ended is still there")

            XCTAssertStatus(f.hutch(["run", "-d", "--rm", "--name", "gone"] + f.volume + ["--rootfs", f.rootfs,
                                     "sh", "-c", "until [ -e /shared/go ]; do sleep 0.05; done; exit 6"]), 0)
            XCTAssertEqual(f.hutch(["ps", "--format", "{{.Names}}"]).stdout, "gone\n")
            let id = try XCTUnwrap(f.containerFolders().first)
            // `hutch wait` holds the container's waiters.lock (shared) while it waits:
            // /proc/locks shows it, so the container is let go only once wait waits.
            var lockInfo = stat()
            XCTAssertEqual(stat(f.root + "/containers/\(id)/waiters.lock", &lockInfo), 0)
            let waited = f.sh("""
                hutch wait gone > \(f.shared)/wait.out 2>&1 &
                pid=$!
                i=0
                until grep -q 'FLOCK.* READ .*:\(lockInfo.st_ino) ' /proc/locks; do i=$((i+1)); [ $i -gt 300 ] && echo no-lock && break; sleep 0.05; done
                touch \(f.shared)/go
                wait $pid; echo "status=$?"; cat \(f.shared)/wait.out
                """, timeout: 60)
            XCTAssertEqual(waited.stdout, "status=0\n6\n", waited.stderr)
            XCTAssertTrue(f.waitUntilNoContainers(), "the --rm container is still there after it ended")
        }
    }

    /// --network host on the container path: the host's network namespace,
    /// no pasta; ports cannot be published there.
    func testHostNetworkOnTheContainerPath() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.hutch(["run", "-d", "--name", "h", "--network", "host", "--rootfs", f.rootfs,
                                     "sh", "-c", "echo net=$(readlink /proc/self/ns/net); sleep 300"]), 0)
            let hostNet = Harness.run(["/bin/readlink", "/proc/self/ns/net"], as: user).stdout.trimmingCharacters(in: .newlines)
            XCTAssertTrue(hostNet.hasPrefix("net:["), hostNet)
            XCTAssertTrue(f.waitForLog("h", "net="))
            XCTAssertEqual(f.hutch(["logs", "h"]).stdout, "net=\(hostNet)\n")
            XCTAssertEqual(f.hutch(["exec", "h", "readlink", "/proc/self/ns/net"]).stdout, hostNet + "\n")
            XCTAssertEqual(f.hutch(["ps", "--format", "{{.Names}} {{.Networks}} {{.State}}"]).stdout, "h host running\n")
            XCTAssertEqual(f.inspect("h", "{{.HostConfig.NetworkMode}}"), "host")
            // pasta's pid file is under the store; slirp4netns is given the container's pid.
            let pid = f.inspect("h", "{{.State.Pid}}")
            let helpers = Harness.processes(of: user).filter {
                ($0.contains("pasta") && $0.contains(f.root)) || ($0.contains("slirp4netns") && $0.contains(" \(pid) tap0"))
            }
            XCTAssertEqual(helpers, [], "a network helper runs for a host-network container")
            let ports = f.hutch(["run", "-d", "--name", "p", "--network", "host", "-p", "8080:80", "--rootfs", f.rootfs, "true"])
            XCTAssertEqual(ports.status, 125)
            XCTAssertTrue(ports.stderr.contains("published ports need --network private"), ports.stderr)
            XCTAssertStatus(f.hutch(["rm", "-f", "h"]), 0)
        }
    }

    /// A detached container does not depend on the terminal it was started
    /// from: started in a pty (script) whose session then goes, hung up.
    func testDetachedContainerSurvivesItsTerminal() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            // The shell in the pty starts the container, then hangs up its own
            // process group, and the pty closes when script ends.
            let started = f.sh("""
                script -qec 'hutch run -d --name bg --rootfs \(f.rootfs) sh -c "echo up; sleep 300"; kill -HUP 0' /dev/null
                echo "script=$?"
                """, timeout: 60)
            XCTAssertTrue(started.stdout.contains("script="), started.output)
            XCTAssertTrue(f.waitForLog("bg", "up"))
            let id = f.hutch(["ps", "-q", "--no-trunc"]).stdout.trimmingCharacters(in: .newlines)
            XCTAssertEqual(id.count, 64, "not running after its terminal went: \(f.hutch(["ps", "-a"]).output)")
            XCTAssertEqual(f.hutch(["ps", "--format", "{{.Names}} {{.State}}"]).stdout, "bg running\n")
            let monitor = Harness.run(["/usr/bin/pgrep", "-u", user.name, "-f", "container-monitor.*\(id)"], as: nil)
            XCTAssertStatus(monitor, 0, "the monitor went with the terminal")
            XCTAssertEqual(f.hutch(["exec", "bg", "echo", "still-here"]).stdout, "still-here\n")
            XCTAssertStatus(f.hutch(["stop", "-t", "5", "bg"]), 0)
            XCTAssertEqual(f.inspect("bg", "{{.State.ExitCode}}"), "143")
        }
    }

    /// run -dt: the command has a terminal (a pty the monitor owns) and its
    /// output is logged, as one stream; with -i a shell waits on it.
    func testDetachedTerminal() throws {
        try Harness.forEachUser { user in
            let f = try ContainerFixture(user)
            defer { f.remove() }
            XCTAssertStatus(f.hutch(["run", "-dt", "--name", "t", "--rootfs", f.rootfs, "sh", "-c",
                                     "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo is-a-tty; echo TERM=$TERM; stty size; echo to-stderr >&2"]), 0)
            XCTAssertEqual(f.hutch(["wait", "t"], timeout: 20).stdout, "0\n")
            let logs = f.hutch(["logs", "t"])
            // A terminal turns \n into \r\n; Docker logs it so too.
            XCTAssertEqual(logs.stdout, "is-a-tty\r\nTERM=xterm\r\n24 80\r\nto-stderr\r\n")
            XCTAssertEqual(logs.stderr, "")
            XCTAssertEqual(f.inspect("t", "{{.Config.Tty}}"), "true")

            XCTAssertStatus(f.hutch(["run", "-dit", "--name", "shell", "--rootfs", f.rootfs, "sh"]), 0)
            // The shell (pid 2, the init's child) has the pty as its controlling
            // terminal (field 7 of its stat) and waits on it, so it stays.
            let ttyNumber = f.hutch(["exec", "shell", "cut", "-d", " ", "-f", "7", "/proc/2/stat"])
            XCTAssertStatus(ttyNumber, 0)
            XCTAssertNotEqual(Int(ttyNumber.stdout.trimmingCharacters(in: .newlines)) ?? 0, 0, ttyNumber.output)
            XCTAssertEqual(f.hutch(["ps", "--format", "{{.Names}} {{.State}}"]).stdout, "shell running\n")
            XCTAssertStatus(f.hutch(["stop", "-t", "1", "shell"]), 0)
            XCTAssertStatus(f.hutch(["rm", "t", "shell"]), 0)
        }
    }
}
