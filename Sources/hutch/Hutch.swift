import ArgumentParser

/// The root command. Each subcommand lives in its own file (RunCommand.swift,
/// ProfileCommand.swift, ...) and calls one function of a module.
struct Hutch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hutch",
        abstract: "Rootless containers: build Dockerfile images and run them as sandboxed processes, no root needed.",
        version: hutchVersion,
        subcommands: [
            // subcommands: keep one per line, so branches merge cleanly
            RunCommand.self,
            ImagesCommand.self,
            RmiCommand.self,
            TagCommand.self,
            InspectCommand.self,
            HistoryCommand.self,
            ImportCommand.self,
            SaveCommand.self,
            LoadCommand.self,
            ImageCommand.self,
            SystemCommand.self,
            BuildCommand.self,
            PsCommand.self,
            LogsCommand.self,
            StopCommand.self,
            KillCommand.self,
            StartCommand.self,
            RestartCommand.self,
            RmCommand.self,
            WaitCommand.self,
            ExecCommand.self,
            CpCommand.self,
            TopCommand.self,
            PortCommand.self,
            ContainerCommand.self,
            ContainerMonitorCommand.self,
            FoldOwnersCommand.self,
            PullCommand.self,
            PushCommand.self,
            LoginCommand.self,
            LogoutCommand.self,
            ProfileCommand.self,
            InfoCommand.self,
        ]
    )
}

let hutchVersion = "0.1.0"
