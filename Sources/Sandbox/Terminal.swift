import CSandbox
#if canImport(Glibc)
import Glibc
#endif

/// The host side of `-t`: the pty pair, raw mode on hutch's own terminal,
/// and the window size.
enum Terminal {
    /// A new pty: master (CLOEXEC), slave (CLOEXEC: the child dup2s it), and
    /// the slave's path for /dev/console.
    static func openPair() throws -> (master: Int32, slave: Int32, path: String) {
        var master: Int32 = -1, slave: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        let rc = csandbox_open_pty(&master, &slave, &name, name.count)
        guard rc == 0 else { throw SandboxError.setup("cannot open a pseudo-terminal: \(SystemFiles.describe(-rc))") }
        let path = String(cString: name)
        copyWindowSize(to: master)
        return (master, slave, path)
    }

    /// hutch's terminal size onto the container's. Without one (a detached
    /// container's monitor, output piped), 24x80 rather than the new pty's
    /// 0x0, which programs that lay out text (busybox's `stty size`, `top`)
    /// take as no size at all.
    static func copyWindowSize(to master: Int32) {
        var size = winsize()
        for fd: Int32 in [0, 1, 2] where ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_row > 0 {
            _ = ioctl(master, UInt(TIOCSWINSZ), &size)
            return
        }
        var current = winsize()
        if ioctl(master, UInt(TIOCGWINSZ), &current) == 0 && current.ws_row == 0 {
            size = winsize(ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(master, UInt(TIOCSWINSZ), &size)
        }
    }
}

/// Raw mode on hutch's stdin, undone by `restore()`. The saved state is a
/// global so an exit from anywhere (atexit) can restore it too.
final class RawMode {
    private static var saved: termios?

    static func enter() {
        guard saved == nil, isatty(0) == 1 else { return }
        var t = termios()
        guard tcgetattr(0, &t) == 0 else { return }
        saved = t
        atexit { RawMode.restore() }
        cfmakeraw(&t)
        _ = tcsetattr(0, TCSADRAIN, &t)
    }

    static func restore() {
        guard var t = saved else { return }
        _ = tcsetattr(0, TCSADRAIN, &t)
        saved = nil
    }
}
