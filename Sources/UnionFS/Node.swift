import Glibc

/// What the kernel knows as one inode of the mount: a path in the merged
/// tree and where it lives in the layers. Non-directories may carry more
/// than one name after link(); directories have exactly one.
final class Node {
    /// st_ino shown for the life of the mount (copy-up does not change it).
    let ino: UInt64
    /// File type bits (S_IFMT).
    let type: mode_t
    var parent: Node?
    var name: String
    /// Other names of a hard-linked file made through this mount.
    var otherNames: [(parent: Node, name: String)] = []
    /// Index of the top-most layer holding it (0 is the upper when there is one).
    var layer: Int
    /// For directories: the layers whose copies merge here, top first,
    /// stopping at an opaque one.
    var dirLayers: [Int]
    /// Known at lookup: its top-most copy has these xattrs.
    var override: OwnershipOverride?
    var hasSecurityXattrs: Bool
    /// For a metadata-only copy in the upper: where its data is read from.
    var dataSource: DataRef?
    /// Kernel references (lookup count); the node stays alive while > 0.
    var lookups: UInt64 = 0
    /// Children the kernel holds, by name.
    var children: [String: Node] = [:]
    /// Set once every name is gone (unlinked while open).
    var unlinked = false
    /// Descriptors the kernel holds open on it: fstat of a file unlinked
    /// while open reaches us without one (the kernel passes no handle).
    var openFDs: [Int32] = []
    /// The merged listing being read without opendir (the kernel fills its
    /// readdir cache from offset 0 on), dropped once read to the end.
    var listing: [MergedEntry]?

    init(ino: UInt64, type: mode_t, parent: Node?, name: String, layer: Int, dirLayers: [Int],
         override: OwnershipOverride?, hasSecurityXattrs: Bool) {
        self.ino = ino
        self.type = type
        self.parent = parent
        self.name = name
        self.layer = layer
        self.dirLayers = dirLayers
        self.override = override
        self.hasSecurityXattrs = hasSecurityXattrs
    }

    var isDirectory: Bool { isDir(type) }
}

/// The nodes the kernel holds and the lock that guards their names and
/// layer fields. FUSE node ids are the nodes' addresses (the root is 1).
final class NodeTable {
    let root: Node
    let lock = Mutex()

    init(root: Node) {
        self.root = root
        root.lookups = 1
    }

    @inline(__always)
    func node(_ id: UInt64) -> Node {
        if id == 1 { return root }
        return Unmanaged<Node>.fromOpaque(UnsafeRawPointer(bitPattern: UInt(id))!).takeUnretainedValue()
    }

    @inline(__always)
    func id(of node: Node) -> UInt64 {
        if node === root { return 1 }
        return UInt64(UInt(bitPattern: Unmanaged.passUnretained(node).toOpaque()))
    }

    /// Path of a node relative to the layer roots ("." for the root). Caller holds the lock.
    func pathLocked(_ node: Node) -> String {
        if node === root { return "." }
        var parts: [Substring] = []
        var n: Node? = node
        var length = 0
        while let cur = n, cur !== root {
            parts.append(Substring(cur.name))
            length += cur.name.utf8.count + 1
            n = cur.parent
        }
        var s = ""
        s.reserveCapacity(length)
        for (i, part) in parts.reversed().enumerated() {
            if i > 0 { s += "/" }
            s += part
        }
        return s
    }

    func path(_ node: Node) -> String { lock.locked { pathLocked(node) } }

    /// Path of `name` inside directory `dir`.
    func childPath(_ dir: Node, _ name: String) -> String {
        let p = path(dir)
        return p == "." ? name : p + "/" + name
    }

    /// Records a lookup reply: returns the node for parent/name, reusing the
    /// one the kernel already holds when it is the same file.
    func remember(parent: Node, name: String, make: () -> Node, same: (Node) -> Bool) -> Node {
        lock.locked {
            if let existing = parent.children[name], same(existing) {
                if existing.lookups == 0 { _ = Unmanaged.passRetained(existing) }
                existing.lookups += 1
                return existing
            }
            let node = make()
            if let old = parent.children[name] { detachNameLocked(old, parent: parent, name: name) }
            parent.children[name] = node
            _ = Unmanaged.passRetained(node)
            node.lookups = 1
            return node
        }
    }

    /// The kernel dropped `count` references.
    func forget(_ id: UInt64, _ count: UInt64) {
        if id == 1 { return }
        lock.locked {
            let node = self.node(id)
            guard node.lookups > 0 else { return }
            node.lookups -= min(count, node.lookups)
            if node.lookups == 0 {
                if let p = node.parent, p.children[node.name] === node { p.children[node.name] = nil }
                for other in node.otherNames where other.parent.children[other.name] === node {
                    other.parent.children[other.name] = nil
                }
                Unmanaged.passUnretained(node).release()
            }
        }
    }

    func opened(_ node: Node, _ fd: Int32) { lock.locked { node.openFDs.append(fd) } }

    func closed(_ node: Node, _ fd: Int32) {
        lock.locked { if let i = node.openFDs.lastIndex(of: fd) { node.openFDs.remove(at: i) } }
    }

    /// The child the kernel holds under parent/name, if any.
    func child(_ parent: Node, _ name: String) -> Node? { lock.locked { parent.children[name] } }

    /// parent/name no longer names `node` (unlinked, or replaced by a rename).
    func detachNameLocked(_ node: Node, parent: Node, name: String) {
        if parent.children[name] === node { parent.children[name] = nil }
        if node.parent === parent && node.name == name {
            if let next = node.otherNames.popLast() {
                node.parent = next.parent
                node.name = next.name
            } else {
                node.unlinked = true
            }
        } else {
            node.otherNames.removeAll { $0.parent === parent && $0.name == name }
        }
    }

    func detachName(_ node: Node, parent: Node, name: String) {
        lock.locked { detachNameLocked(node, parent: parent, name: name) }
    }

    /// Moves `node` from parent/name to newParent/newName.
    func move(_ node: Node, from parent: Node, _ name: String, to newParent: Node, _ newName: String) {
        lock.locked {
            if let victim = newParent.children[newName], victim !== node {
                detachNameLocked(victim, parent: newParent, name: newName)
            }
            if parent.children[name] === node { parent.children[name] = nil }
            if node.parent === parent && node.name == name {
                node.parent = newParent
                node.name = newName
            } else if let i = node.otherNames.firstIndex(where: { $0.parent === parent && $0.name == name }) {
                node.otherNames[i] = (newParent, newName)
            } else {
                node.parent = newParent
                node.name = newName
            }
            node.unlinked = false
            if node.lookups > 0 { newParent.children[newName] = node }
        }
    }

    /// After a directory's whole subtree moved to the upper layer; returns
    /// the non-directories held in it.
    @discardableResult
    func markSubtreeUpper(_ node: Node) -> [Node] {
        lock.locked {
            var stack = [node], files: [Node] = []
            while let n = stack.popLast() {
                n.layer = 0
                if n.isDirectory { n.dirLayers = [0] } else { files.append(n) }
                stack.append(contentsOf: n.children.values)
            }
            return files
        }
    }
}
