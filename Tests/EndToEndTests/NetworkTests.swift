import Foundation
import XCTest

/// `--network private` name resolution: through pasta, and through
/// slirp4netns on a machine without pasta, with `--dns` and `--add-host`.
/// The host's resolver is faked for the test only: a mount namespace of the
/// harness's own shows an /etc/resolv.conf naming 127.0.0.53 (as
/// systemd-resolved does), where a small DNS server of the test answers.
final class NetworkTests: XCTestCase {
    static let name = "hutch-dns-test.internal"
    static let address = "10.9.8.7"

    /// Starts Tests/harness/dns-responder.py on 127.0.0.53:53 (root: a port
    /// below 1024) and returns once it is bound; nil if it could not bind.
    func startResolver() throws -> Process? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Harness.harnessDir + "/dns-responder.py", "127.0.0.53", "\(Self.name)=\(Self.address)"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // "ready" once bound, or EOF when it died (the port is taken).
        let line = String(decoding: out.fileHandleForReading.availableDataUntilNewline(), as: UTF8.self)
        guard line.hasPrefix("ready") else {
            process.waitUntilExit()
            return nil
        }
        return process
    }

    func testNameResolutionThroughPastaAndSlirp4netns() throws {
        try Harness.requireSetup()
        guard Harness.isRoot else {
            XCTFail("this test fakes the host's resolver in a mount namespace: run it through `make test` (as root)")
            return
        }
        guard let resolver = try startResolver() else {
            XCTFail("the test's DNS server could not bind 127.0.0.53:53 (something else serves it?)")
            return
        }
        defer { resolver.terminate(); resolver.waitUntilExit() }
        let dir = Harness.root + "/tmp/network-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "nameserver 127.0.0.53\n".write(toFile: dir + "/resolv.conf", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: dir + "/no-pasta", contents: Data())
        chmod(dir + "/resolv.conf", 0o644)
        chmod(dir + "/no-pasta", 0o644)

        try Harness.forEachUser { user in
            let rootfs = try Harness.busyboxRootfs(for: user)
            defer { Harness.removeTree(rootfs, as: user) }
            let inside = "cat /etc/resolv.conf; nslookup \(Self.name); ip -4 addr"
            for (tool, hide, nameserver, network) in [
                ("pasta", "", "169.254.1.1", ""),
                // A machine without passt: pasta hidden, slirp4netns takes over.
                ("slirp4netns", "mount --bind \(dir)/no-pasta /usr/bin/pasta && ", "10.0.2.3", "10.0.2.100/24"),
            ] {
                let command = "\(Harness.hutch) run --rm --network private --rootfs \(rootfs) sh -c '\(inside)'"
                let script = "mount --bind \(dir)/resolv.conf /etc/resolv.conf && \(hide)exec /usr/sbin/runuser -u \(user.name) -- "
                    + "/usr/bin/env -i HOME=\(Harness.home(of: user)) PATH=\(Harness.prefix)/bin:/usr/bin:/bin \(command)"
                let r = Harness.run(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script], as: nil, timeout: 60)
                XCTAssertStatus(r, 0, tool)
                XCTAssertTrue(r.stdout.hasPrefix("nameserver \(nameserver)\n"), "\(tool): \(r.stdout)")
                XCTAssertTrue(r.stdout.contains("Name:\t\(Self.name)\nAddress: \(Self.address)\n"), "\(tool): \(r.output)")
                if !network.isEmpty { XCTAssertTrue(r.stdout.contains(network), "\(tool): \(r.stdout)") }
                RunTests.assertNothingLeft(user, rootfs: rootfs)
            }
            // --dns and --add-host are what the files say.
            let files = Harness.hutch(["run", "--rm", "--network", "private", "--dns", "10.1.1.1", "--add-host", "db:10.2.2.2", "--hostname", "web",
                                       "--rootfs", rootfs, "sh", "-c", "cat /etc/resolv.conf /etc/hosts /etc/hostname"], as: user)
            XCTAssertStatus(files, 0)
            XCTAssertTrue(files.stdout.hasPrefix("nameserver 10.1.1.1\n"), files.stdout)
            XCTAssertTrue(files.stdout.contains("10.2.2.2\tdb\n"), files.stdout)
            XCTAssertTrue(files.stdout.hasSuffix("web\n"), files.stdout)
        }
    }
}

private extension FileHandle {
    /// Bytes up to the first newline or EOF.
    func availableDataUntilNewline() -> Data {
        var data = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0a]) { return data }
            data.append(byte)
        }
    }
}
