import XCTest
@testable import Builder
#if canImport(Glibc)
import Glibc
#endif

/// COPY's semantics table: each case lays out a context and a lower
/// layer, copies, and compares the upper layer's listing with Docker's.
final class CopyOperationTests: XCTestCase {
    struct Case {
        var name: String
        var sources: [String]
        var destination: String
        var workdir = "/"
        var expected: [String]
    }

    func makeContext() -> TempTree {
        let context = TempTree("ctx")
        context.file("hello.py", "print(1)\n", mode: 0o755)
        context.file("a.txt", "a")
        context.file("b.txt", "b")
        context.file("dir/one", "1")
        context.file("dir/sub/two", "2")
        context.file(".hidden", "h")
        context.link("link-to-a", to: "a.txt")
        context.link("dir/rel-link", to: "../a.txt")
        return context
    }

    func copy(_ request: CopyRequest, context: TempTree, lower: TempTree, upper: TempTree) throws {
        let writer = LayerWriter(view: LayerView(layers: [upper.path, lower.path]))
        try CopyOperation.perform(request, from: ContextTree(directory: context.path), into: writer)
    }

    func testTable() throws {
        let cases: [Case] = [
            Case(name: "file to new name", sources: ["a.txt"], destination: "/x", expected: ["x"]),
            Case(name: "file into folder by slash", sources: ["a.txt"], destination: "/x/",
                 expected: ["x/", "x/a.txt"]),
            Case(name: "file into existing lower folder", sources: ["a.txt"], destination: "/tmp",
                 expected: ["tmp/", "tmp/a.txt"]),
            Case(name: "dot into workdir copies contents", sources: ["."], destination: ".", workdir: "/tmp",
                 expected: ["tmp/", "tmp/.hidden", "tmp/a.txt", "tmp/b.txt", "tmp/dir/", "tmp/dir/one",
                            "tmp/dir/rel-link", "tmp/dir/sub/", "tmp/dir/sub/two", "tmp/hello.py", "tmp/link-to-a"]),
            Case(name: "folder copies its contents, not itself", sources: ["dir"], destination: "/d",
                 expected: ["d/", "d/one", "d/rel-link", "d/sub/", "d/sub/two"]),
            Case(name: "folder with trailing slash same", sources: ["dir/"], destination: "/d/",
                 expected: ["d/", "d/one", "d/rel-link", "d/sub/", "d/sub/two"]),
            Case(name: "glob", sources: ["*.txt"], destination: "/g/", expected: ["g/", "g/a.txt", "g/b.txt"]),
            Case(name: "glob one match to a file name", sources: ["a*.txt"], destination: "/only",
                 expected: ["only"]),
            Case(name: "several sources", sources: ["a.txt", "b.txt"], destination: "/s/",
                 expected: ["s/", "s/a.txt", "s/b.txt"]),
            Case(name: "top-level symlink is followed, keeps its name", sources: ["link-to-a"], destination: "/l/",
                 expected: ["l/", "l/link-to-a"]),
            Case(name: "relative destination under workdir", sources: ["a.txt"], destination: "sub/",
                 workdir: "/work", expected: ["work/", "work/sub/", "work/sub/a.txt"]),
            Case(name: "nested glob", sources: ["dir/*/two"], destination: "/n/", expected: ["n/", "n/two"]),
        ]
        for c in cases {
            let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
            lower.dir("tmp", mode: 0o1777)
            let request = CopyRequest(sources: c.sources, destination: c.destination, workdir: c.workdir)
            XCTAssertNoThrow(try copy(request, context: context, lower: lower, upper: upper), c.name)
            XCTAssertEqual(upper.listing(), c.expected, c.name)
        }
    }

    func testContentsModesOwnersAndParents() throws {
        let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
        lower.dir("tmp", mode: 0o1777)
        try copy(CopyRequest(sources: ["."], destination: "/tmp/"), context: context, lower: lower, upper: upper)
        XCTAssertEqual(upper.read("tmp/hello.py"), "print(1)\n")
        XCTAssertEqual(upper.mode("tmp/hello.py"), 0o755)
        // The copied-up parent keeps the lower folder's mode.
        XCTAssertEqual(upper.mode("tmp"), 0o1777)
        XCTAssertEqual(upper.owner("tmp/a.txt"), OverrideStat(uid: 0, gid: 0, mode: 0o644))
        XCTAssertEqual(readLink(upper.path + "/tmp/link-to-a"), "a.txt", "symlinks inside a folder stay symlinks")
    }

    func testChownAndChmod() throws {
        let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
        let request = CopyRequest(sources: ["dir"], destination: "/app/", chown: Ownership(uid: 1000, gid: 1001),
                                  chmod: 0o600)
        try copy(request, context: context, lower: lower, upper: upper)
        XCTAssertEqual(upper.owner("app/one"), OverrideStat(uid: 1000, gid: 1001, mode: 0o600))
        XCTAssertEqual(upper.owner("app/sub"), OverrideStat(uid: 1000, gid: 1001, mode: 0o600))
        XCTAssertEqual(upper.owner("app"), OverrideStat(uid: 1000, gid: 1001, mode: 0o755), "a new destination folder gets the owner")
        XCTAssertEqual(upper.mode("app/sub"), 0o600)
    }

    func testErrors() throws {
        let cases: [(String, CopyRequest, String)] = [
            ("outside the context", CopyRequest(sources: ["../etc/passwd"], destination: "/"),
             "forbidden path outside the build context: ../etc/passwd"),
            ("missing", CopyRequest(sources: ["nope"], destination: "/"),
             "COPY failed: file not found in build context or excluded by .dockerignore: stat nope: file does not exist"),
            ("glob without match", CopyRequest(sources: ["*.none"], destination: "/"),
             "COPY failed: no source files were specified"),
            ("several to a non-folder", CopyRequest(sources: ["a.txt", "b.txt"], destination: "/x"),
             "When using COPY with more than one source file, the destination must be a directory and end with a /"),
        ]
        for (name, request, message) in cases {
            let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
            XCTAssertThrowsError(try copy(request, context: context, lower: lower, upper: upper), name) { error in
                XCTAssertEqual((error as? BuildError)?.message, message, name)
            }
        }
    }

    /// A symlink pointing out of the context resolves inside it (as
    /// Docker's FollowSymlinkInScope), so it cannot read the host.
    func testSymlinkEscapingTheContextStaysInside() throws {
        let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
        context.link("escape", to: "/etc/passwd")
        context.link("escape2", to: "../../../../etc/hostname")
        for source in ["escape", "escape2"] {
            XCTAssertThrowsError(try copy(CopyRequest(sources: [source], destination: "/x"), context: context,
                                          lower: lower, upper: upper)) { error in
                XCTAssertTrue("\(error)".contains("file not found in build context"), "\(error)")
            }
        }
        XCTAssertFalse(upper.exists("x"))
        // Inside a copied folder the link itself is copied, not its target.
        context.link("d2/out", to: "/etc/passwd")
        try copy(CopyRequest(sources: ["d2"], destination: "/d2"), context: context, lower: lower, upper: upper)
        XCTAssertEqual(readLink(upper.path + "/d2/out"), "/etc/passwd")
    }

    /// The destination's symlinks resolve in the image, not on the host.
    func testDestinationSymlinkResolvesInTheImage() throws {
        let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
        lower.dir("real")
        lower.link("alias", to: "/real")
        lower.link("hostile", to: "../../../../tmp")
        try copy(CopyRequest(sources: ["a.txt"], destination: "/alias/"), context: context, lower: lower, upper: upper)
        XCTAssertTrue(upper.exists("real/a.txt"))
        try copy(CopyRequest(sources: ["b.txt"], destination: "/hostile/"), context: context, lower: lower, upper: upper)
        XCTAssertTrue(upper.exists("tmp/b.txt"), "a link climbing out stops at the image's root")
    }

    func testDockerIgnoreFiltersSources() throws {
        let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
        context.file("secret/key", "k")
        context.file("secret/public", "p")
        let ignore = try DockerIgnore(parsing: "*.txt\nsecret\n!secret/public\n")
        let writer = LayerWriter(view: LayerView(layers: [upper.path, lower.path]))
        try CopyOperation.perform(CopyRequest(sources: ["."], destination: "/c/"),
                                  from: ContextTree(directory: context.path, filter: ignore), into: writer)
        XCTAssertEqual(upper.listing("c"), [".hidden", "dir/", "dir/one", "dir/rel-link", "dir/sub/", "dir/sub/two",
                                            "hello.py", "link-to-a", "secret/", "secret/public"])
        XCTAssertThrowsError(try CopyOperation.perform(CopyRequest(sources: ["a.txt"], destination: "/c/"),
                                                       from: ContextTree(directory: context.path, filter: ignore),
                                                       into: writer))
    }

    func testOverlayLowersWhiteoutsAndOpaque() throws {
        let bottom = TempTree("bottom"), top = TempTree("top"), upper = TempTree("upper")
        bottom.file("etc/a", "a"); bottom.file("etc/b", "b"); bottom.file("opt/old", "o")
        top.whiteout("etc/a"); top.file("etc/c", "c"); top.dir("opt"); top.opaque("opt"); top.file("opt/new", "n")
        let view = LayerView(layers: [upper.path, top.path, bottom.path])
        let etc = try XCTUnwrap(view.entry(at: "/etc", followFinal: true))
        XCTAssertEqual(try view.children(of: etc), ["b", "c"])
        let opt = try XCTUnwrap(view.entry(at: "/opt", followFinal: true))
        XCTAssertEqual(try view.children(of: opt), ["new"])
        XCTAssertNil(try view.entry(at: "/etc/a", followFinal: true))
        XCTAssertNil(try view.entry(at: "/opt/old", followFinal: true))
    }

    func testAddExtractsLocalTar() throws {
        let context = makeContext(), lower = TempTree("lower"), upper = TempTree("upper")
        let source = TempTree("tarsrc")
        source.file("pkg/bin/tool", "#!/bin/sh\n", mode: 0o755)
        source.file("pkg/README", "r")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-czf", context.path + "/pkg.tar.gz", "-C", source.path, "--owner=42", "--group=43", "pkg"]
        try tar.run(); tar.waitUntilExit()
        try copy(CopyRequest(instruction: "ADD", sources: ["pkg.tar.gz"], destination: "/opt", extractArchives: true),
                 context: context, lower: lower, upper: upper)
        XCTAssertEqual(upper.listing("opt"), ["pkg/", "pkg/README", "pkg/bin/", "pkg/bin/tool"])
        XCTAssertEqual(upper.owner("opt/pkg/bin/tool"), OverrideStat(uid: 42, gid: 43, mode: 0o755))
        // COPY never extracts.
        let upper2 = TempTree("upper2")
        try copy(CopyRequest(sources: ["pkg.tar.gz"], destination: "/opt/"), context: context, lower: lower, upper: upper2)
        XCTAssertEqual(upper2.listing("opt"), ["pkg.tar.gz"])
    }
}

import Dockerfile
