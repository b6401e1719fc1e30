/// The series of one family in an open-addressing hash table (linear probing, at most 3/4 full),
/// keyed by the hash of their label values. Two flat arrays keep it small: 16 bytes a slot.
struct SeriesTable {
    private var hashes: [UInt64] = []
    private var slots: [Series?] = []
    private(set) var count = 0
    private var ordered: [Series]?

    func find<Key: LabelKey>(hash: UInt64, key: Key) -> Series? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        return hashes.withUnsafeBufferPointer { hashes in
            slots.withUnsafeBufferPointer { slots in
                var index = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let stored = hashes[index]
                    if stored == 0 { return nil }
                    if stored == hash, let series = slots[index], series.withKey({ key.matches($0) }) {
                        return series
                    }
                    index = (index &+ 1) & mask
                }
            }
        }
    }

    mutating func insert(_ series: Series, hash: UInt64) {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        place(series, hash: hash)
        count += 1
        ordered = nil
    }

    mutating func remove<Key: LabelKey>(hash: UInt64, key: Key) -> Bool {
        guard !slots.isEmpty else { return false }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let stored = hashes[index]
            if stored == 0 { return false }
            if stored == hash, let series = slots[index], series.withKey({ key.matches($0) }) { break }
            index = (index + 1) & mask
        }
        // Backward-shift deletion: pull later entries of the same probe run into the hole, so
        // lookups never need tombstones.
        var hole = index
        var next = (hole + 1) & mask
        while hashes[next] != 0 {
            let home = Int(truncatingIfNeeded: hashes[next]) & mask
            if (next - home) & mask >= (next - hole) & mask {
                hashes[hole] = hashes[next]
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        hashes[hole] = 0
        slots[hole] = nil
        count -= 1
        ordered = nil
        return true
    }

    /// The series in rendering order, cached until the next insertion or removal.
    mutating func sorted() -> [Series] {
        if let ordered { return ordered }
        let result = slots.compactMap { $0 }.sorted { $0.precedes($1) }
        ordered = result
        return result
    }

    private mutating func grow() {
        let oldHashes = hashes
        let oldSlots = slots
        let capacity = max(8, slots.count * 2)
        hashes = [UInt64](repeating: 0, count: capacity)
        slots = [Series?](repeating: nil, count: capacity)
        for (index, series) in oldSlots.enumerated() {
            if let series { place(series, hash: oldHashes[index]) }
        }
    }

    private mutating func place(_ series: Series, hash: UInt64) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while hashes[index] != 0 { index = (index + 1) & mask }
        hashes[index] = hash
        slots[index] = series
    }
}
