import XCTest
import Dockerfile
import OCI
@testable import Builder

final class PlannerTests: XCTestCase {
    let multiStage = """
        ARG BASE=debian
        ARG TAG=12
        FROM ${BASE}:${TAG} AS deps
        RUN echo deps
        FROM deps AS build
        COPY --from=deps /a /b
        FROM alpine AS unused
        RUN echo never
        FROM scratch
        COPY --from=build /b /c
        COPY --from=1 /b /d
        COPY --from=busybox:latest /bin/busybox /busybox
        """

    func plan(_ text: String, target: String? = nil, args: [String: String] = [:]) throws -> BuildPlan {
        try BuildPlan.make(Dockerfile.parse(text), target: target, arguments: BuildArguments(given: args))
    }

    func testUnusedStagesAreSkipped() throws {
        let p = try plan(multiStage)
        XCTAssertEqual(p.stages.map(\.stage.index), [0, 1, 3])
        XCTAssertEqual(p.stages.map(\.base), [.image("debian:12"), .stage(0), .scratch])
        XCTAssertEqual(p.stepCount, 2 + 2 + 4)
    }

    func testTarget() throws {
        XCTAssertEqual(try plan(multiStage, target: "deps").stages.map(\.stage.index), [0])
        XCTAssertEqual(try plan(multiStage, target: "unused").stages.map(\.stage.index), [2])
        XCTAssertThrowsError(try plan(multiStage, target: "nope")) { error in
            XCTAssertEqual("\(error)", "failed to reach build target nope in Dockerfile")
        }
    }

    func testMetaArgsAndBuildArgsInFrom() throws {
        XCTAssertEqual(try plan(multiStage, args: ["TAG": "13"]).stages[0].base, .image("debian:13"))
        let platform = try plan("FROM busybox-$TARGETARCH\n")
        XCTAssertEqual(platform.stages[0].base, .image("busybox-\(BuildArguments.Platform.host.architecture)"))
        let chained = try plan("ARG A=x\nARG B=${A}y\nFROM img:$B\n")
        XCTAssertEqual(chained.stages[0].base, .image("img:xy"))
    }

    func testStageArgumentValues() throws {
        let args = BuildArguments(given: ["GIVEN": "cli"])
        let meta = ["META": "m"]
        XCTAssertEqual(args.value(for: ArgDefinition(name: "GIVEN", defaultValue: "d"), meta: meta), "cli")
        XCTAssertEqual(args.value(for: ArgDefinition(name: "META", defaultValue: nil), meta: meta), "m")
        XCTAssertEqual(args.value(for: ArgDefinition(name: "X", defaultValue: "d"), meta: meta), "d")
        XCTAssertNil(args.value(for: ArgDefinition(name: "Y", defaultValue: nil), meta: meta))
        XCTAssertEqual(BuildArguments(given: ["GIVEN": "1", "HTTP_PROXY": "p", "EXTRA": "2"]).unconsumed(declared: ["GIVEN"]),
                       ["EXTRA"])
    }

    func testBuildArgFromEnvironment() {
        let args = BuildArguments(["A=1", "B", "C"], environment: ["B": "from-env"])
        XCTAssertEqual(args.given, ["A": "1", "B": "from-env"])
    }

    func testStageUsedBeforeDefinition() {
        XCTAssertThrowsError(try plan("FROM busybox\nCOPY --from=later /a /b\nFROM busybox AS later\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("Dockerfile:2: "), "\(error)")
        }
    }
}

final class CacheKeyTests: XCTestCase {
    func testChainAndParts() throws {
        let base = CacheKey.base(Digest.sha256(of: Array("config".utf8)))
        let a = CacheKey.step(parent: base, ["RUN", "echo hi"])
        XCTAssertEqual(a, CacheKey.step(parent: base, ["RUN", "echo hi"]))
        XCTAssertNotEqual(a, CacheKey.step(parent: base, ["RUN", "echo hi "]))
        XCTAssertNotEqual(CacheKey.step(parent: base, ["ab", "c"]), CacheKey.step(parent: base, ["a", "bc"]))
        XCTAssertNotEqual(CacheKey.step(parent: a, ["X"]), CacheKey.step(parent: base, ["X"]))
        XCTAssertEqual(CacheKey.argumentPrefix([("A", "1"), ("B", "2")]), "|2 A=1 B=2")
    }

    func testSourceChecksumIgnoresMtimesNotContentOrModes() throws {
        let context = TempTree("ctx")
        context.file("a", "one"); context.file("d/b", "two")
        let tree = ContextTree(directory: context.path)
        func sum() throws -> Digest {
            try SourceChecksum.of(CopyOperation.matchSources(CopyRequest(sources: ["."], destination: "/"), in: tree),
                                  in: tree, includeOwners: false)
        }
        let first = try sum()
        var times = [timespec(tv_sec: 1000, tv_nsec: 0), timespec(tv_sec: 1000, tv_nsec: 0)]
        utimensat(AT_FDCWD, context.path + "/a", &times, 0)
        XCTAssertEqual(try sum(), first, "mtimes do not count")
        context.file("a", "One")
        XCTAssertNotEqual(try sum(), first, "contents count")
        context.file("a", "one", mode: 0o600)
        XCTAssertNotEqual(try sum(), first, "modes count")
        context.file("a", "one", mode: 0o644)
        XCTAssertEqual(try sum(), first)
        context.file("d/c", "")
        XCTAssertNotEqual(try sum(), first, "new names count")
    }

    func testCacheIndexIsAtomicAndReadsBack() throws {
        let dir = TempTree("cache")
        let cache = BuildCache(directory: dir.path + "/build-cache")
        let key = CacheKey.base(Digest.sha256(of: [1]))
        XCTAssertNil(cache.lookup(key))
        let image = Digest.sha256(of: [2])
        try cache.record(key, image: image)
        XCTAssertEqual(cache.lookup(key), image)
        XCTAssertEqual(dir.listing("build-cache"), [key.digest.hex])
    }
}

final class ConfigAssemblerTests: XCTestCase {
    func apply(_ text: String, to base: ContainerConfig = ContainerConfig()) throws -> (ContainerConfig, String?) {
        let file = try Dockerfile.parse("FROM scratch\n" + text)
        var config = base
        var author: String?
        for instruction in file.stages[0].instructions {
            let expanded = try instruction.expanded(env: ConfigAssembler.environment(config))
            try ConfigAssembler.apply(expanded, to: &config, author: &author)
        }
        return (config, author)
    }

    func testEveryMetadataInstruction() throws {
        let (c, author) = try apply("""
            ENV A=1 B="two words"
            ENV C $A-x
            LABEL org.example.v=1 "k k"=v
            MAINTAINER someone
            EXPOSE 80 53/UDP
            VOLUME ["/data", "/logs"]
            USER app:app
            WORKDIR /srv
            WORKDIR sub
            STOPSIGNAL SIGINT
            SHELL ["/bin/bash", "-c"]
            CMD echo $HOME
            HEALTHCHECK --interval=5s CMD curl -f http://localhost/
            ONBUILD RUN echo child
            """)
        XCTAssertEqual(c.env, ["A=1", "B=two words", "C=1-x"])
        XCTAssertEqual(c.labels, ["org.example.v": "1", "k k": "v"])
        XCTAssertEqual(author, "someone")
        XCTAssertEqual(Set(c.exposedPorts?.keys.map { $0 } ?? []), ["80/tcp", "53/udp"])
        XCTAssertEqual(Set(c.volumes?.keys.map { $0 } ?? []), ["/data", "/logs"])
        XCTAssertEqual(c.user, "app:app")
        XCTAssertEqual(c.workingDir, "/srv/sub")
        XCTAssertEqual(c.stopSignal, "SIGINT")
        XCTAssertEqual(c.shell, ["/bin/bash", "-c"])
        XCTAssertEqual(c.cmd, ["/bin/bash", "-c", "echo $HOME"])
        XCTAssertEqual(c.healthcheck?.test?.first, "CMD-SHELL")
        XCTAssertEqual(c.healthcheck?.interval, 5_000_000_000)
        XCTAssertEqual(c.onBuild, ["RUN echo child"])
    }

    func testEntrypointResetsInheritedCmd() throws {
        var base = ContainerConfig()
        base.cmd = ["python3"]
        let (c, _) = try apply("ENTRYPOINT [\"/bin/tini\"]\n", to: base)
        XCTAssertEqual(c.entrypoint, ["/bin/tini"])
        XCTAssertNil(c.cmd)
    }

    func testLectureCmdHistory() throws {
        let file = try Dockerfile.parse("FROM python:latest\nWORKDIR /tmp\nCOPY . .\nCMD [\"python\",\"./hello.py\"]\n")
        let texts = file.stages[0].instructions.map { ConfigAssembler.historyText($0, shell: nil) }
        XCTAssertEqual(texts, ["WORKDIR /tmp", "COPY . .", "CMD [\"python\",\"./hello.py\"]"])
    }
}
