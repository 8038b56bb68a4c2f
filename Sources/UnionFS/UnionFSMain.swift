import CFuse3

public enum UnionFSMain {
    public static func run(_ arguments: [String]) -> Never {
        fatalError("hutch-unionfs: not built yet")
    }
}
