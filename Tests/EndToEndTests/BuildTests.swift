import Foundation
import XCTest

/// `hutch build` as the test users: the lecture's Dockerfile on the python
/// fixture, the cache, multi-stage builds, every instruction, ownership
/// without a subuid range, errors with file:line, and a killed build.
final class BuildTests: XCTestCase {
    static let lectureDockerfile = """
        FROM python:latest

        # setup working dir
        WORKDIR /tmp
        COPY . .

        CMD ["python","./hello.py"]

        """
    static let helloPy = """
        #!/usr/bin/env python
        import os
        import sys

        print(f"{sys.version}")
        print(os.uname())

        """

    /// A private store with python:latest imported from the fixture, and a
    /// context folder; both removed (and checked for leftovers) by `body`'s caller.
    struct Setup {
        let user: TestUser
        let dir: String
        var store: String { dir + "/store" }
        var context: String { dir + "/ctx" }
        var env: [String: String] { ["HUTCH_ROOT": store] }

        @discardableResult
        func hutch(_ args: [String], stdin: String? = nil, timeout: TimeInterval = 300) -> CommandResult {
            Harness.hutch(args, as: user, stdin: stdin, env: env, timeout: timeout)
        }

        func write(_ files: [String: String]) throws {
            for (name, text) in files {
                let r = Harness.sh("mkdir -p \"$(dirname '\(context)/\(name)')\" && cat > '\(context)/\(name)'", as: user)
                XCTAssertStatus(r, 0)
                let w = Harness.run(["/usr/bin/tee", context + "/" + name], as: user, stdin: text)
                XCTAssertStatus(w, 0)
            }
        }

        func inspect(_ image: String) throws -> [String: Any] {
            let r = hutch(["inspect", image])
            XCTAssertStatus(r, 0)
            let list = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
            return try XCTUnwrap(list?.first)
        }
    }

    func withSetup(_ user: TestUser, _ body: (Setup) throws -> Void) throws {
        let fixture = try Harness.pythonFixture()
        let dir = try Harness.tempDir(for: user, "build")
        let setup = Setup(user: user, dir: dir)
        defer {
            XCTAssertFalse(mounts().contains { $0.contains(dir) }, "a union mount was left behind")
            Harness.removeTree(dir, as: user)
        }
        XCTAssertStatus(Harness.sh("mkdir -p '\(setup.context)'", as: user), 0)
        XCTAssertStatus(setup.hutch(["import", fixture, "python:latest"]), 0, "importing the python fixture")
        try body(setup)
        XCTAssertTrue(Harness.waitUntil(timeout: 10) { ours(Harness.processes(of: user), dir).isEmpty },
                      "processes left: \(ours(Harness.processes(of: user), dir))")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: setup.store + "/build")) ?? []
        XCTAssertEqual(leftovers.filter { $0.hasPrefix("tmp-") }, [], "scratch folders left in the store")
    }

    /// This test's processes (other areas' tests may run as the same users):
    /// those naming its folder, and its RUN's sleep.
    func ours(_ processes: [String], _ dir: String) -> [String] {
        processes.filter { $0.contains(dir) || $0.contains("sleep 60") }
    }

    func mounts() -> [String] {
        ((try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func testLectureBuildImagesAndCache() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["Dockerfile": Self.lectureDockerfile, "hello.py": Self.helloPy])
                let first = s.hutch(["build", "-t", "pythontest", s.context])
                XCTAssertStatus(first, 0)
                for line in ["STEP 1/4: FROM python:latest", "STEP 2/4: WORKDIR /tmp", "STEP 3/4: COPY . .",
                             "STEP 4/4: CMD [\"python\",\"./hello.py\"]", "Successfully tagged pythontest:latest"] {
                    XCTAssertTrue(first.stdout.contains(line), "missing \(line) in:\n\(first.stdout)")
                }
                let id = try XCTUnwrap(first.stdout.split(separator: "\n").first { $0.hasPrefix("Successfully built ") })
                    .dropFirst("Successfully built ".count)
                let images = s.hutch(["images"])
                XCTAssertStatus(images, 0)
                XCTAssertTrue(images.stdout.contains("pythontest") && images.stdout.contains(String(id)), images.stdout)

                let config = try s.inspect("pythontest")
                let c = try XCTUnwrap(config["Config"] as? [String: Any])
                XCTAssertEqual(c["Cmd"] as? [String], ["python", "./hello.py"])
                XCTAssertEqual(c["WorkingDir"] as? String, "/tmp")

                // Cached: every step reused, the same ID, well under a second.
                let start = Date()
                let again = s.hutch(["build", "-t", "pythontest", s.context])
                let elapsed = Date().timeIntervalSince(start)
                XCTAssertStatus(again, 0)
                XCTAssertEqual(again.stdout.components(separatedBy: "--> Using cache").count - 1, 3, again.stdout)
                XCTAssertTrue(again.stdout.contains("Successfully built \(id)"), again.stdout)
                XCTAssertLessThan(elapsed, 1.0, "a cached rebuild took \(elapsed) s")

                // Touching a file keeps the cache; changing it does not.
                XCTAssertStatus(Harness.sh("touch '\(s.context)/hello.py'", as: user), 0)
                XCTAssertEqual(s.hutch(["build", s.context]).stdout.components(separatedBy: "Using cache").count - 1, 3)
                try s.write(["hello.py": Self.helloPy + "print('changed')\n"])
                let changed = s.hutch(["build", s.context])
                XCTAssertEqual(changed.stdout.components(separatedBy: "Using cache").count - 1, 1, changed.stdout)

                // -q prints only the ID; --iidfile writes it; -f - reads the Dockerfile from stdin.
                let quiet = s.hutch(["build", "-q", "--iidfile", s.dir + "/iid", "-f", "-", s.context],
                                    stdin: Self.lectureDockerfile)
                XCTAssertStatus(quiet, 0)
                XCTAssertTrue(quiet.stdout.hasPrefix("sha256:") && quiet.stdout.split(separator: "\n").count == 1,
                              quiet.stdout)
                let iid = Harness.sh("cat '\(s.dir)/iid'", as: user).stdout
                XCTAssertEqual(iid, quiet.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
                XCTAssertStatus(s.hutch(["build", "--no-cache", "-t", "a", "-t", "b:v1", s.context]), 0)
                let tagged = s.hutch(["images"]).stdout
                XCTAssertTrue(tagged.contains("b ") && tagged.contains("v1"), tagged)
            }
        }
    }

    /// The lecture's `hutch run pythontest`: needs `run IMAGE` (the containers area).
    func testLectureRunPrintsVersionAndUname() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["Dockerfile": Self.lectureDockerfile, "hello.py": Self.helloPy])
                XCTAssertStatus(s.hutch(["build", "-t", "pythontest", s.context]), 0)
                let run = s.hutch(["run", "--rm", "pythontest"])
                XCTAssertStatus(run, 0, "needs `hutch run IMAGE` (the containers area's image run)")
                XCTAssertTrue(run.stdout.hasPrefix("3."), run.stdout)
                XCTAssertTrue(run.stdout.contains("posix.uname_result(sysname='Linux'"), run.stdout)
            }
        }
    }

    func testMultiStageTargetAndUnusedStages() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["Dockerfile": """
                    ARG VERSION=1
                    FROM python:latest AS build
                    ARG VERSION
                    RUN mkdir /out && echo "built v$VERSION" > /out/result && python -c 'print(6*7)' > /out/answer
                    FROM python:latest AS never
                    RUN exit 3
                    FROM python:latest
                    COPY --from=build /out /app
                    RUN cat /app/result /app/answer
                    """])
                let r = s.hutch(["build", "--build-arg", "VERSION=2", "-t", "multi", s.context])
                XCTAssertStatus(r, 0)
                XCTAssertTrue(r.stdout.contains("built v2\n42\n"), r.stdout)
                XCTAssertFalse(r.stdout.contains("exit 3"), "an unused stage ran:\n\(r.stdout)")
                // -q hides RUN's output too: one line, the ID.
                let quiet = s.hutch(["build", "-q", "--no-cache", s.context])
                XCTAssertStatus(quiet, 0)
                XCTAssertEqual(quiet.stdout.split(separator: "\n").count, 1, quiet.stdout)
                let target = s.hutch(["build", "--target", "never", s.context])
                XCTAssertStatus(target, 1)
                XCTAssertTrue(target.stderr.contains("returned a non-zero code: 3"), target.stderr)
                XCTAssertStatus(s.hutch(["build", "--target", "nope", s.context]), 1)
            }
        }
    }

    func testEveryInstruction() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["files/a.txt": "a\n", "files/sub/b.txt": "b\n", "skip.log": "x",
                             ".dockerignore": "*.log\n", "Dockerfile": """
                    FROM python:latest
                    ARG WHO=world
                    ENV GREETING="hello $WHO" APP=/srv/app
                    LABEL org.example.name=demo version="1.0"
                    MAINTAINER someone@example.org
                    EXPOSE 8000 53/udp
                    WORKDIR $APP
                    COPY --chmod=0600 files/ ./files/
                    ADD files.tar.gz /opt/
                    COPY . /ctx/
                    RUN test ! -e /ctx/skip.log && test "$(stat -c %a files/a.txt)" = 600 && cat /opt/pkg/x
                    RUN <<EOF
                    echo "heredoc $GREETING" > /srv/app/heredoc
                    EOF
                    SHELL ["/bin/bash", "-c"]
                    RUN [[ -n "$BASH_VERSION" ]] && echo "bash for $WHO"
                    VOLUME /data
                    USER nobody
                    STOPSIGNAL SIGINT
                    HEALTHCHECK --interval=30s CMD python -c 'print(1)'
                    ONBUILD RUN echo child
                    ENTRYPOINT ["python"]
                    CMD ["-c", "print(1)"]
                    """])
                XCTAssertStatus(Harness.sh("""
                    cd '\(s.dir)' && mkdir -p t/pkg && echo from-tar > t/pkg/x && tar -czf '\(s.context)/files.tar.gz' -C t pkg
                    """, as: user), 0)
                let r = s.hutch(["build", "--label", "extra=yes", "-t", "every", s.context])
                XCTAssertStatus(r, 0)
                XCTAssertTrue(r.stdout.contains("from-tar"), r.stdout)
                XCTAssertTrue(r.stdout.contains("bash for world"), r.stdout)
                let config = try s.inspect("every")
                let c = try XCTUnwrap(config["Config"] as? [String: Any])
                XCTAssertEqual(c["Entrypoint"] as? [String], ["python"])
                XCTAssertEqual(c["Cmd"] as? [String], ["-c", "print(1)"])
                XCTAssertEqual(c["WorkingDir"] as? String, "/srv/app")
                XCTAssertEqual(c["User"] as? String, "nobody")
                XCTAssertEqual(c["StopSignal"] as? String, "SIGINT")
                XCTAssertEqual(c["Shell"] as? [String], ["/bin/bash", "-c"])
                XCTAssertEqual(c["OnBuild"] as? [String], ["RUN echo child"])
                XCTAssertTrue((c["Env"] as? [String] ?? []).contains("GREETING=hello world"), "\(c)")
                XCTAssertFalse((c["Env"] as? [String] ?? []).contains { $0.hasPrefix("WHO=") }, "ARGs are not kept")
                let labels = c["Labels"] as? [String: String] ?? [:]
                XCTAssertEqual(labels["org.example.name"], "demo")
                XCTAssertEqual(labels["extra"], "yes")
                XCTAssertEqual(Set((c["ExposedPorts"] as? [String: Any] ?? [:]).keys), ["8000/tcp", "53/udp"])
                XCTAssertEqual(Set((c["Volumes"] as? [String: Any] ?? [:]).keys), ["/data"])
                XCTAssertNotNil(c["Healthcheck"])
                let history = s.hutch(["history", "every"])
                XCTAssertTrue(history.stdout.contains("EXPOSE"), history.stdout)

                // ONBUILD runs in a child build (a parent without USER nobody:
                // RUN as another user than root needs the union mount inside the sandbox).
                try s.write(["Dockerfile": "FROM python:latest\nONBUILD RUN echo child\n"])
                XCTAssertStatus(s.hutch(["build", "-t", "parent", s.context]), 0)
                try s.write(["Dockerfile": "FROM parent\n"])
                let child = s.hutch(["build", s.context])
                XCTAssertStatus(child, 0)
                XCTAssertTrue(child.stdout.contains("child"), child.stdout)
            }
        }
    }

    /// COPY --chown as either user: the committed layer's tar carries the
    /// owner, even without a subuid range to give it for real.
    func testChownIsCommittedIntoTheLayer() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["app.py": "print(1)\n", "Dockerfile": """
                    FROM python:latest
                    RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group
                    COPY --chown=app:app app.py /home/app/
                    COPY --chown=1234 app.py /n/
                    """])
                XCTAssertStatus(s.hutch(["build", "-t", "owned", s.context]), 0)
                let layers = try XCTUnwrap((try s.inspect("owned")["RootFS"] as? [String: Any])?["Layers"] as? [String])
                func listing(_ diffID: String) -> String {
                    let hex = diffID.replacingOccurrences(of: "sha256:", with: "")
                    return Harness.sh("tar -tvnf '\(s.store)/blobs/sha256/\(hex)'", as: user).stdout
                }
                let named = listing(layers[layers.count - 2])
                XCTAssertTrue(named.contains("1000/1000") && named.contains("home/app/app.py"), named)
                let numeric = listing(layers[layers.count - 1])
                XCTAssertTrue(numeric.contains("1234/1234") && numeric.contains("n/app.py"), numeric)
            }
        }
    }

    /// RUN --mount=type=tmpfs|secret|ssh with --secret and --ssh: each is
    /// there during its RUN, and nothing of them (stubs, secret bytes) is in
    /// the image; a required secret not given is a clear error.
    func testTmpfsSecretAndSSHMounts() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["token.txt": "s3cret-value", "Dockerfile": """
                    FROM python:latest
                    RUN --mount=type=tmpfs,target=/scratch,size=1048576 echo x > /scratch/f && grep ' /scratch tmpfs ' /proc/mounts > /tmpfs-seen
                    RUN --mount=type=secret,id=token grep -qx 's3cret-.*' /run/secrets/token && stat -c %a /run/secrets/token > /secret-mode
                    RUN --mount=type=secret,id=token,env=TOKEN,target=/etc/tok test "${TOKEN#s3cret}" = -value && test -f /etc/tok
                    RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent
                    RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /agent
                    """])
                XCTAssertStatus(Harness.run(["/usr/bin/python3", "-c",
                                             "import socket; socket.socket(socket.AF_UNIX).bind('\(s.dir)/agent.sock')"], as: user), 0)
                let build = s.hutch(["build", "--secret", "id=token,src=\(s.context)/token.txt", "--ssh", "default=\(s.dir)/agent.sock",
                                     "-t", "mounts", s.context])
                XCTAssertStatus(build, 0)
                let look = s.hutch(["run", "--rm", "--network", "none", "mounts", "sh", "-c",
                                    "cat /tmpfs-seen /secret-mode /agent; ls -a /run; test -e /scratch || echo no-scratch; test -e /etc/tok || echo no-tok"])
                XCTAssertStatus(look, 0)
                XCTAssertTrue(look.stdout.contains(" /scratch tmpfs "), look.stdout)
                XCTAssertTrue(look.stdout.contains("\n400\n/run/buildkit/ssh_agent.0\n"), look.stdout)
                XCTAssertFalse(look.stdout.contains("secrets") || look.stdout.contains("buildkit\n"), look.stdout)
                XCTAssertTrue(look.stdout.hasSuffix("no-scratch\nno-tok\n"), look.stdout)
                let saved = Harness.sh("HUTCH_ROOT=\(s.store) \(Harness.hutch) save mounts | grep -c s3cret-value", as: user)
                // The Dockerfile never spells the whole value, so only a leak could put it in the image.
                XCTAssertEqual(saved.stdout, "0\n", "the secret is in the saved image")

                try s.write(["Dockerfile": "FROM python:latest\nRUN --mount=type=secret,id=needed,required cat /run/secrets/needed\n"])
                let refused = s.hutch(["build", "-t", "refused", s.context])
                XCTAssertStatus(refused, 1)
                XCTAssertTrue(refused.stderr.contains("secret needed: not provided"), refused.stderr)
            }
        }
    }

    func testErrorsNameTheFileAndLine() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                let cases: [(String, String)] = [
                    ("FROM python:latest\nCOPY ../secret /x\n", "Dockerfile:2: forbidden path outside the build context: ../secret"),
                    ("FROM python:latest\nCOPY missing /x\n", "Dockerfile:2: COPY failed: file not found in build context"),
                    ("FROM python:latest\nFROBNICATE x\n", "Dockerfile:2"),
                    ("FROM python:latest\nRUN exit 7\n", "returned a non-zero code: 7"),
                    ("FROM no-such-image-here:1\n", "Dockerfile:1"),
                ]
                for (text, message) in cases {
                    try s.write(["Dockerfile": text])
                    let r = s.hutch(["build", "-t", "broken", s.context])
                    XCTAssertStatus(r, 1, text)
                    XCTAssertTrue(r.stderr.contains(message), "\(text): \(r.stderr)")
                }
                // A symlink out of the context resolves inside it: not found, never the host's file.
                XCTAssertStatus(Harness.sh("ln -s /etc/passwd '\(s.context)/escape'", as: user), 0)
                try s.write(["Dockerfile": "FROM python:latest\nCOPY escape /x\n"])
                XCTAssertStatus(s.hutch(["build", s.context]), 1)
                XCTAssertFalse(s.hutch(["images"]).stdout.contains("broken"), "a failed build was tagged")
            }
        }
    }

    /// kill -9 during a RUN: nothing is tagged, no mount or daemon stays,
    /// and the next build clears the scratch folder.
    func testKilledBuildLeavesNothingTagged() throws {
        try Harness.forEachUser { user in
            try withSetup(user) { s in
                try s.write(["Dockerfile": "FROM python:latest\nRUN touch /started && sleep 60\n"])
                let log = s.dir + "/build.log"
                // Started without waiting (Harness.run waits), its output in a file.
                _ = FileManager.default.createFile(atPath: log, contents: nil)
                let build = Process()
                let argv = [Harness.hutch, "build", "-t", "killed", s.context]
                if Harness.isRoot {
                    build.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
                    build.arguments = ["-u", user.name, "--", "/usr/bin/env", "-i", "HOME=\(Harness.home(of: user))",
                                       "PATH=\(Harness.prefix)/bin:/usr/bin:/bin", "HUTCH_ROOT=\(s.store)"] + argv
                } else {
                    build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    build.arguments = ["HUTCH_ROOT=\(s.store)"] + argv
                }
                build.standardOutput = FileHandle(forWritingAtPath: log)
                build.standardError = FileHandle(forWritingAtPath: log)
                try build.run()
                func runStarted() -> Bool {
                    let scratch = (try? FileManager.default.contentsOfDirectory(atPath: s.store + "/build")) ?? []
                    return scratch.contains { FileManager.default.fileExists(atPath: "\(s.store)/build/\($0)/upper/started") }
                }
                XCTAssertTrue(Harness.waitUntil(timeout: 60, runStarted),
                              "the RUN never started: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
                let pids = Harness.run(["/usr/bin/pgrep", "-u", user.name, "-f", "build -t killed \(s.context)"], as: nil).stdout
                // The first match is hutch itself; the others are its sandbox's processes.
                let pid = try XCTUnwrap(pids.split(separator: "\n").compactMap { Int32($0) }.min(), "no build process")
                XCTAssertEqual(kill(pid, SIGKILL), 0)
                build.waitUntilExit()
                XCTAssertTrue(Harness.waitUntil(timeout: 20) { self.ours(Harness.processes(of: user), s.dir).isEmpty },
                              "left: \(self.ours(Harness.processes(of: user), s.dir))")
                XCTAssertTrue(Harness.waitUntil(timeout: 10) { !self.mounts().contains { $0.contains(s.dir) } })
                XCTAssertFalse(s.hutch(["images"]).stdout.contains("killed"))
                try s.write(["Dockerfile": "FROM python:latest\n"])
                XCTAssertStatus(s.hutch(["build", s.context]), 0)
            }
        }
    }
}
