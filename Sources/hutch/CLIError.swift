import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// A failure to show the user as one line, `Error: <message>`, with the exit
/// code Docker would use (125 for hutch's own failures).
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32

    init(_ message: String, exitCode: Int32 = 125) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }

    func report() -> Never {
        FileHandleOutput.standardError.write("Error: \(message)\n")
        Glibc.exit(exitCode)
    }
}

/// Unbuffered writes to the standard streams, without Foundation.
enum FileHandleOutput {
    case standardOutput, standardError
    func write(_ text: String) {
        let fd: Int32 = self == .standardOutput ? 1 : 2
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
