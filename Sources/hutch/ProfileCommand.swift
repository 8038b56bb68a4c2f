import ArgumentParser
import Foundation
import Seccomp

/// `hutch profile list|show|check`: the seccomp profiles containers run under.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "List, show and check seccomp profiles.",
        subcommands: [List.self, Show.self, Check.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the profiles hutch can find by name.")

        func run() throws {
            let entries = ProfileLibrary.standard().list()
            let width = max(ProfileLibrary.unconfined.count, entries.map(\.name.count).max() ?? 0)
            var out = "NAME".padding(toLength: width + 3, withPad: " ", startingAt: 0) + "DESCRIPTION\n"
            out += "unconfined".padding(toLength: width + 3, withPad: " ", startingAt: 0) + "no seccomp filter at all\n"
            for e in entries {
                let note = e.isShadowed ? " (hidden by an earlier one)" : ""
                out += e.name.padding(toLength: width + 3, withPad: " ", startingAt: 0) + e.description + note + "\n"
                out += String(repeating: " ", count: width + 3) + e.path + "\n"
            }
            FileHandleOutput.standardOutput.write(out)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a profile's rules for this machine, after extends and includes/excludes, as JSON.")

        @Argument(help: "A profile name (or a file).") var name: String
        @Option(name: .customLong("cap-add"), help: "Resolve as if the container had this capability too.")
        var capAdd: [String] = []
        @Option(name: .customLong("cap-drop"), help: "Resolve as if the container lacked this capability.")
        var capDrop: [String] = []

        func run() throws {
            guard let profile = try ProfileLibrary.standard().load(reference: name) else {
                FileHandleOutput.standardOutput.write("{}\n")
                return
            }
            var caps = Set(SeccompTarget.dockerDefaultCapabilities)
            caps.formUnion(capAdd.map { $0.uppercased().hasPrefix("CAP_") ? $0.uppercased() : "CAP_" + $0.uppercased() })
            caps.subtract(capDrop.map { $0.uppercased().hasPrefix("CAP_") ? $0.uppercased() : "CAP_" + $0.uppercased() })
            let resolved = try profile.resolved(for: .host(capabilities: caps))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(resolved.asProfile)
            FileHandleOutput.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a profile file: syscall names, actions, operators, extends; exit 1 on any error.")

        @Argument(help: "The profile file.") var file: String

        func run() throws {
            let report = ProfileChecker.check(file: file, library: .standard())
            for w in report.warnings { FileHandleOutput.standardError.write("warning: \(w)\n") }
            for e in report.errors { FileHandleOutput.standardError.write("Error: \(e)\n") }
            guard report.isValid else { throw ExitCode(1) }
            FileHandleOutput.standardOutput.write("\(file): ok\n")
        }
    }
}
