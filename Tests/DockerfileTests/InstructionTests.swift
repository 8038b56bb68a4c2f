import XCTest
@testable import Dockerfile

final class InstructionTests: XCTestCase {
    func parse(_ body: String) throws -> [Instruction] {
        try Dockerfile.parse("FROM base\n" + body).stages[0].instructions
    }

    func one(_ body: String) throws -> Instruction {
        let all = try parse(body)
        XCTAssertEqual(all.count, 1)
        return all[0]
    }

    func testStagesAndMetaArgs() throws {
        let d = try Dockerfile.parse("""
        ARG GO=1.22
        ARG BASE
        FROM golang:${GO} AS Build
        RUN go build
        FROM --platform=$TARGETPLATFORM scratch
        COPY --from=build /out /out
        """)
        XCTAssertEqual(d.metaArgs.flatMap(\.definitions), [ArgDefinition(name: "GO", defaultValue: "1.22"),
                                                          ArgDefinition(name: "BASE", defaultValue: nil)])
        XCTAssertEqual(d.stages.map(\.name), ["build", nil])
        XCTAssertEqual(d.stages.map(\.baseName), ["golang:${GO}", "scratch"])
        XCTAssertEqual(d.stages[1].platform, "$TARGETPLATFORM")
        XCTAssertEqual(d.stage(named: "BUILD")?.index, 0)
        XCTAssertEqual(d.stage(named: "1")?.baseName, "scratch")
        XCTAssertNil(d.stage(named: "2"))
        XCTAssertEqual(d.instructions.count, 6)
        let from = d.stages[0].from.node
        XCTAssertEqual(from.startLine, 3)
        let expanded = try Instruction.from(d.stages[0].from).expanded(env: ["GO": "1.23"])
        guard case .from(let f) = expanded else { return XCTFail() }
        XCTAssertEqual(f.baseName, "golang:1.23")
    }

    func testEveryInstructionTypes() throws {
        guard case .run(let run) = try one("RUN --network=none --mount=type=cache,target=/root/.cache,id=pip,sharing=locked pip install x") else { return XCTFail() }
        XCTAssertEqual(run.network, "none")
        XCTAssertEqual(run.command, CommandLine(arguments: ["pip install x"], prependShell: true))
        XCTAssertEqual(run.mounts.first?.type, .cache)
        XCTAssertEqual(run.mounts.first?.target, "/root/.cache")
        XCTAssertEqual(run.mounts.first?.sharing, .locked)
        XCTAssertEqual(run.mounts.first?.readOnly, false)

        guard case .cmd(let cmd) = try one("CMD [\"python\", \"./hello.py\"]") else { return XCTFail() }
        XCTAssertEqual(cmd.command, CommandLine(arguments: ["python", "./hello.py"], prependShell: false))
        guard case .entrypoint(let ep) = try one("ENTRYPOINT exec top -b") else { return XCTFail() }
        XCTAssertTrue(ep.command.prependShell)

        guard case .env(let env) = try one("ENV A=1 B=\"x y\"") else { return XCTFail() }
        XCTAssertEqual(env.pairs, [KeyValuePair(key: "A", value: "1"), KeyValuePair(key: "B", value: "\"x y\"")])
        XCTAssertFalse(env.legacyForm)
        guard case .env(let old) = try one("ENV PATH /usr/bin:$PATH") else { return XCTFail() }
        XCTAssertTrue(old.legacyForm)
        XCTAssertEqual(old.pairs, [KeyValuePair(key: "PATH", value: "/usr/bin:$PATH")])

        guard case .label(let label) = try one("LABEL org.opencontainers.image.title=\"My app\"") else { return XCTFail() }
        XCTAssertEqual(label.pairs[0].key, "org.opencontainers.image.title")

        guard case .copy(let copy) = try one("COPY --from=builder --chown=app:app --chmod=0644 --link --parents --exclude=*.tmp a b /dst/") else { return XCTFail() }
        XCTAssertEqual(copy.sources, ["a", "b"])
        XCTAssertEqual(copy.destination, "/dst/")
        XCTAssertEqual(copy.from, "builder")
        XCTAssertEqual(copy.chown, "app:app")
        XCTAssertEqual(copy.chmod, "0644")
        XCTAssertTrue(copy.link && copy.parents)
        XCTAssertEqual(copy.excludes, ["*.tmp"])

        guard case .add(let add) = try one("ADD --checksum=sha256:00 --keep-git-dir=true --link=false https://x/a.tgz /opt/") else { return XCTFail() }
        XCTAssertEqual(add.checksum, "sha256:00")
        XCTAssertTrue(add.keepGitDir)
        XCTAssertFalse(add.link)

        guard case .expose(let expose) = try one("EXPOSE 80/tcp 443") else { return XCTFail() }
        XCTAssertEqual(expose.values, ["80/tcp", "443"])
        guard case .volume(let volume) = try one("VOLUME [\"/data\", \"/logs\"]") else { return XCTFail() }
        XCTAssertEqual(volume.values, ["/data", "/logs"])
        guard case .user(let user) = try one("USER 1000:1000") else { return XCTFail() }
        XCTAssertEqual(user.value, "1000:1000")
        guard case .workdir(let wd) = try one("WORKDIR /app") else { return XCTFail() }
        XCTAssertEqual(wd.value, "/app")
        guard case .stopSignal(let sig) = try one("STOPSIGNAL SIGINT") else { return XCTFail() }
        XCTAssertEqual(sig.value, "SIGINT")
        guard case .maintainer(let m) = try one("MAINTAINER someone") else { return XCTFail() }
        XCTAssertEqual(m.value, "someone")
        guard case .arg(let arg) = try one("ARG A B=2 C=") else { return XCTFail() }
        XCTAssertEqual(arg.definitions.map(\.defaultValue), [nil, "2", ""])
        guard case .shell(let shell) = try one("SHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]") else { return XCTFail() }
        XCTAssertEqual(shell.shell.count, 4)
        guard case .onbuild(let onbuild) = try one("ONBUILD  COPY . /src") else { return XCTFail() }
        XCTAssertEqual(onbuild.expression, "COPY . /src")
        XCTAssertEqual(onbuild.triggerName, "COPY")

        guard case .healthcheck(let hc) = try one("HEALTHCHECK --interval=1m30s --timeout=10s --start-period=5s --start-interval=1s --retries=3 CMD curl -f http://localhost/") else { return XCTFail() }
        XCTAssertEqual(hc.test, ["CMD-SHELL", "curl -f http://localhost/"])
        XCTAssertEqual(hc.interval, 90_000_000_000)
        XCTAssertEqual(hc.timeout, 10_000_000_000)
        XCTAssertEqual(hc.startPeriod, 5_000_000_000)
        XCTAssertEqual(hc.startInterval, 1_000_000_000)
        XCTAssertEqual(hc.retries, 3)
        guard case .healthcheck(let none) = try one("HEALTHCHECK none") else { return XCTFail() }
        XCTAssertTrue(none.isNone)
        guard case .healthcheck(let exec) = try one("HEALTHCHECK CMD [\"/check\"]") else { return XCTFail() }
        XCTAssertEqual(exec.test, ["CMD", "/check"])
    }

    func testInstructionErrors() {
        let cases: [(String, String)] = [
            ("COPPY a b", "Dockerfile:2: unknown instruction: COPPY (did you mean COPY?)"),
            ("WORKDIRR /x", "Dockerfile:2: unknown instruction: WORKDIRR (did you mean WORKDIR?)"),
            ("XYZZY", "Dockerfile:2: unknown instruction: XYZZY"),
            ("COPY --chwn=1 a b", "Dockerfile:2: unknown flag: --chwn (did you mean --chown?)"),
            ("COPY --from=a --from=b a b", "Dockerfile:2: Duplicate flag specified: --from"),
            ("COPY --from a b", "Dockerfile:2: Missing a value on flag: --from"),
            ("COPY --link=maybe a b", "Dockerfile:2: Expecting boolean value for flag --link, not: maybe"),
            ("COPY a", "Dockerfile:2: COPY requires at least two arguments"),
            ("ADD a", "Dockerfile:2: ADD requires at least two arguments"),
            ("RUN --network=bridge true", "Dockerfile:2: unsupported network mode \"bridge\""),
            ("RUN --mount=type=cahce,target=/x true", "Dockerfile:2: unsupported mount type \"cahce\" (did you mean cache?)"),
            ("RUN --mount=type=bind,mode=0700,target=/x true", "mode not allowed for \"bind\" type mounts"),
            ("RUN --mount=type=tmpfs,sharing=shared,target=/x true", "invalid cache sharing set for tmpfs mount"),
            ("RUN --mount=type=bind,trget=/x true", "unexpected key 'trget' in 'trget=/x' (did you mean target?)"),
            ("RUN --mount=type=bind,from=$X,target=/x true", "'from' doesn't support variable expansion"),
            ("RUN --mount=type=secret,id=a,source=b true", "both source and id can't be set"),
            ("ENV", "ENV requires at least one argument"),
            ("ENV =x", "ENV names can not be blank"),
            ("LABEL", "LABEL requires at least one argument"),
            ("USER", "USER requires exactly one argument"),
            ("WORKDIR", "WORKDIR requires exactly one argument"),
            ("EXPOSE", "EXPOSE requires at least one argument"),
            ("VOLUME", "VOLUME requires at least one argument"),
            ("VOLUME [\"\"]", "VOLUME specified can not be an empty string"),
            ("ARG", "ARG requires at least one argument"),
            ("ARG =1", "ARG names can not be blank"),
            ("ONBUILD", "ONBUILD requires at least one argument"),
            ("ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"),
            ("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"),
            ("ONBUILD maintainer x", "MAINTAINER isn't allowed as an ONBUILD trigger"),
            ("SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form"),
            ("HEALTHCHECK", "HEALTHCHECK requires at least one argument"),
            ("HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"),
            ("HEALTHCHECK FOO x", "Unknown type \"FOO\" in HEALTHCHECK (try CMD)"),
            ("HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"),
            ("HEALTHCHECK --interval=0s CMD x", "Interval \"interval\" cannot be less than 1ms"),
            ("HEALTHCHECK --timeout=5 CMD x", "missing unit"),
            ("HEALTHCHECK --retries=0 CMD x", "--retries must be at least 1 (not 0)"),
            ("HEALTHCHECK --bogus=1 CMD x", "unknown flag: --bogus"),
            ("CMD --flag x", "unknown flag: --flag"),
            ("FROM a b", "FROM requires either one or three arguments"),
            ("FROM a AS 1x", "invalid name for build stage: \"1x\""),
            ("FROM a AS base", "duplicate stage name \"base\""),
        ]
        for (body, expected) in cases {
            XCTAssertThrowsError(try Dockerfile.parse("FROM x AS base\n" + body), body) { error in
                XCTAssertTrue(String(describing: error).contains(expected), "\(body): \(error)")
                XCTAssertTrue(String(describing: error).hasPrefix("Dockerfile:"), "\(body): \(error)")
            }
        }
        XCTAssertThrowsError(try Dockerfile.parse("RUN x\nFROM y")) {
            XCTAssertEqual(String(describing: $0), "Dockerfile:1: RUN before the first FROM: only ARG may come before FROM (no build stage in current context)")
        }
        XCTAssertThrowsError(try Dockerfile.parse("ARG A=1\n")) {
            XCTAssertEqual(String(describing: $0), "Dockerfile: no FROM instruction: a Dockerfile needs at least one build stage")
        }
    }

    func testExpansionOnlyInTheInstructionsDockerExpands() throws {
        let env = ["V": "1.0", "DIR": "/app", "U": "app", "P": "80 443", "E": ""]
        let all = try parse("""
        COPY --chown=$U src/$V ${DIR}/
        ADD --chmod=755 a-$V.tgz $DIR
        ENV X=$V Y="$DIR q" Z='$V'
        LABEL version=$V
        WORKDIR $DIR/sub
        USER ${U}
        EXPOSE $P
        VOLUME $DIR/data
        STOPSIGNAL SIG${E:-TERM}
        ARG N=$V
        RUN echo $V
        CMD echo $V
        ENTRYPOINT ["echo", "$V"]
        RUN --mount=type=cache,target=$DIR/cache true
        """)
        let expanded = try all.map { try $0.expanded(env: env) }
        guard case .copy(let copy) = expanded[0] else { return XCTFail() }
        XCTAssertEqual(copy.sources, ["src/1.0"]); XCTAssertEqual(copy.destination, "/app/"); XCTAssertEqual(copy.chown, "app")
        guard case .add(let add) = expanded[1] else { return XCTFail() }
        XCTAssertEqual(add.sources, ["a-1.0.tgz"]); XCTAssertEqual(add.destination, "/app")
        guard case .env(let e) = expanded[2] else { return XCTFail() }
        XCTAssertEqual(e.pairs.map(\.value), ["1.0", "/app q", "$V"])
        guard case .label(let l) = expanded[3] else { return XCTFail() }
        XCTAssertEqual(l.pairs[0].value, "1.0")
        guard case .workdir(let w) = expanded[4], case .user(let u) = expanded[5] else { return XCTFail() }
        XCTAssertEqual(w.value, "/app/sub"); XCTAssertEqual(u.value, "app")
        guard case .expose(let x) = expanded[6] else { return XCTFail() }
        XCTAssertEqual(x.values, ["80", "443"])
        guard case .volume(let v) = expanded[7], case .stopSignal(let s) = expanded[8] else { return XCTFail() }
        XCTAssertEqual(v.values, ["/app/data"]); XCTAssertEqual(s.value, "SIGTERM")
        guard case .arg(let a) = expanded[9] else { return XCTFail() }
        XCTAssertEqual(a.definitions[0].defaultValue, "1.0")
        XCTAssertEqual(expanded[10], all[10], "RUN is left to the shell")
        XCTAssertEqual(expanded[11], all[11], "CMD is left to the shell")
        XCTAssertEqual(expanded[12], all[12], "ENTRYPOINT is never expanded")
        guard case .run(let r) = expanded[13] else { return XCTFail() }
        XCTAssertEqual(r.mounts[0].target, "/app/cache")
        XCTAssertThrowsError(try Instruction.workdir(SingleValueInstruction(node: all[4].node, value: "${X")).expanded(env: [:], file: "F")) {
            XCTAssertTrue(String(describing: $0).hasPrefix("F:6: failed to process"), "\($0)")
        }
    }

    func testRunMountParsing() throws {
        let cases: [(String, RunMount.Kind, String?, Bool)] = [
            ("type=bind,source=.,target=/src", .bind, "/src", true),
            ("type=bind,src=.,dst=/src,rw", .bind, "/src", false),
            ("type=cache,target=/var/cache/apt,sharing=private", .cache, "/var/cache/apt", false),
            ("type=tmpfs,target=/tmp,size=64m", .tmpfs, "/tmp", false),
            ("type=secret,id=npmrc,target=/root/.npmrc,required", .secret, "/root/.npmrc", true),
            ("type=ssh", .ssh, nil, true),
            ("target=/x,readonly=false", .bind, "/x", false),
            ("\"type=bind\",\"target=/a,b\"", .bind, "/a,b", true),
        ]
        for (spec, type, target, ro) in cases {
            let m = try RunMount.parse(spec, expand: { $0 })
            XCTAssertEqual(m.type, type, spec); XCTAssertEqual(m.target, target, spec); XCTAssertEqual(m.readOnly, ro, spec)
        }
        XCTAssertEqual(try RunMount.parse("type=tmpfs,target=/t,size=64m", expand: nil).size, 64 << 20)
        XCTAssertEqual(try RunMount.parse("type=cache,target=/c,mode=0700,uid=1000", expand: nil).mode, 0o700)
        XCTAssertThrowsError(try RunMount.parse("type=bind", expand: { $0 }))
        XCTAssertThrowsError(try RunMount.parse("type=\"bind", expand: nil))
    }

    func testGoDurations() throws {
        let cases: [(String, Int64)] = [("1s", 1_000_000_000), ("1m30s", 90_000_000_000), ("1.5h", 5_400_000_000_000),
                                        ("300ms", 300_000_000), ("10us", 10_000), ("0", 0), ("2h45m", 9_900_000_000_000)]
        for (text, ns) in cases { XCTAssertEqual(try GoDuration.parse(text), ns, text) }
        for bad in ["", "s", "1", "1x", "..1s", "1.2.3s"] { XCTAssertThrowsError(try GoDuration.parse(bad), bad) }
    }

    func testLint() throws {
        let d = try Dockerfile.parse("""
        FROM --platform=linux/amd64 python:3 as Builder
        MAINTAINER x
        ENV A 1
        WORKDIR app
        CMD python app.py
        run true
        CMD ["x"]
        """)
        let rules = DockerfileLinter.warnings(for: d).map(\.rule)
        for rule in ["FromPlatformFlagConstDisallowed", "StageNameCasing", "FromAsCasing", "MaintainerDeprecated",
                     "LegacyKeyValueFormat", "WorkdirRelativePath", "JSONArgsRecommended", "ConsistentInstructionCasing",
                     "MultipleInstructionsDisallowed"] {
            XCTAssertTrue(rules.contains(rule), "missing \(rule) in \(rules)")
        }
        let clean = try Dockerfile.parse("FROM python:latest\nWORKDIR /tmp\nCOPY . .\nCMD [\"python\",\"./hello.py\"]\n")
        XCTAssertEqual(DockerfileLinter.warnings(for: clean), [])
    }
}
