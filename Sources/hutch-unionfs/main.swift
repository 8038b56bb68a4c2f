import UnionFS

// The logic lives in the UnionFS module; this is only the entry point.
UnionFSMain.run(CommandLine.arguments)
