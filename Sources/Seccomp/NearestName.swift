/// The candidate closest to `word` by edit distance, when it is close enough
/// to be the likely typo (at most a third of the word, and at least 1 edit).
func nearest(to word: String, in candidates: some Sequence<String>) -> String? {
    let w = Array(word.lowercased().utf8)
    let limit = max(1, min(3, w.count / 3 + 1))
    var best: (String, Int)?
    for candidate in candidates {
        let c = Array(candidate.lowercased().utf8)
        if abs(c.count - w.count) > limit { continue }
        let d = editDistance(w, c)
        if d <= limit, best == nil || d < best!.1 { best = (candidate, d) }
    }
    return best?.0
}

/// Levenshtein distance with transpositions counted as one edit ("opne").
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
}
