import EarshotAudio
import EarshotStore
import Foundation

/// A pre-flight report on dataset sources (`earshot inspect`): per side, how many items, how long, in which
/// formats and rates, by how many speakers, and what is missing or unreadable; across sides, shared speakers,
/// ids and recordings.
///
/// Reads listings and audio headers only (libsndfile `sf_open`, one per distinct file, in parallel): no sample
/// is decoded, so a 100k-item source takes seconds. Durations come from the listing where it states them
/// (segments, NeMo `duration`) and from the header otherwise. Audio embedded in parquet is not read (that would
/// mean reading every shard's bytes); its hours are then unknown unless the shards have a duration column.
public struct SourceReport: Sendable, Codable, Equatable {
    public var source: String
    public var items: Int
    /// Items whose listing has a defect (missing transcript, text not UTF-8).
    public var defects: Int
    public var hours: Double
    /// Items whose duration is known (stated or read from the header).
    public var itemsWithDuration: Int
    /// Upper bounds in seconds → count (`histogramEdges`; the last bucket is everything longer).
    public var durationHistogram: [Int]
    /// `FLAC/PCM_16` → distinct files.
    public var formats: [String: Int]
    /// Sample rate → distinct files.
    public var sampleRates: [String: Int]
    public var files: Int
    public var speakers: Int
    public var missingFiles: Int
    public var unreadableFiles: Int
    public var embeddedItems: Int
    /// Up to five problems, each naming the item and where it was listed.
    public var examples: [String]

    public static let histogramEdges: [Double] = [1, 2, 5, 10, 20, 30]
    public static var histogramLabels: [String] {
        var labels = ["<1s"]
        for (lo, hi) in zip(histogramEdges, histogramEdges.dropFirst()) { labels.append("\(Int(lo))-\(Int(hi))s") }
        labels.append(">\(Int(histogramEdges.last!))s")
        return labels
    }
}

/// Shared speakers, ids and recordings between two sides.
public struct SideOverlap: Sendable, Codable, Equatable {
    public var first: String
    public var second: String
    public var sharedSpeakers: Int
    public var sharedIDs: Int
    public var sharedFiles: Int
}

public struct InspectionReport: Sendable, Codable, Equatable {
    public var sides: [SourceReport]
    public var overlaps: [SideOverlap]
}

public enum SourceInspection {
    /// Inspects each listing (`name` labels it in the report).
    public static func inspect(_ listings: [(name: String, listing: DatasetListing)]) -> InspectionReport {
        let sides = listings.map { report(name: $0.name, listing: $0.listing) }
        var overlaps: [SideOverlap] = []
        for i in listings.indices {
            for j in listings.indices where j > i {
                let a = listings[i].listing.entries, b = listings[j].listing.entries
                let speakers = Set(a.map(\.speaker)).subtracting([""]).intersection(b.map(\.speaker))
                let ids = Set(a.map(\.id)).intersection(b.map(\.id))
                let files = Set(a.filter { $0.segment == nil && $0.embedded == nil }.map(\.audioPath))
                    .intersection(b.filter { $0.segment == nil && $0.embedded == nil }.map(\.audioPath))
                overlaps.append(SideOverlap(first: listings[i].name, second: listings[j].name, sharedSpeakers: speakers.count,
                                            sharedIDs: ids.count, sharedFiles: files.count))
            }
        }
        return InspectionReport(sides: sides, overlaps: overlaps)
    }

    /// What a header read found for one file.
    enum Header: Sendable {
        case info(AudioInfo)
        case missing
        case unreadable(String)
    }

    static func report(name: String, listing: DatasetListing) -> SourceReport {
        let entries = listing.entries
        let paths = Array(Set(entries.filter { $0.embedded == nil }.map(\.audioPath))).sorted()
        let slots = IndexedSlots<Header>(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let header: Header
            do {
                header = .info(try AudioFile(url: URL(fileURLWithPath: paths[i])).info)
            } catch AudioError.missingFile {
                header = .missing
            } catch {
                header = .unreadable("\(error)")
            }
            slots[i] = header
        }
        let headers = Dictionary(uniqueKeysWithValues: zip(paths, slots.values))
        var r = SourceReport(source: name, items: entries.count, defects: 0, hours: 0, itemsWithDuration: 0,
                             durationHistogram: Array(repeating: 0, count: SourceReport.histogramEdges.count + 1),
                             formats: [:], sampleRates: [:], files: paths.count, speakers: Set(entries.map(\.speaker)).subtracting([""]).count,
                             missingFiles: 0, unreadableFiles: 0, embeddedItems: 0, examples: [])
        for (path, header) in headers {
            switch header {
            case .info(let info):
                r.formats["\(info.majorFormat)/\(info.subtype)", default: 0] += 1
                r.sampleRates[String(info.sampleRate), default: 0] += 1
            case .missing:
                r.missingFiles += 1
                if r.examples.count < 5 { r.examples.append("missing: '\(path)' (\(entries.first { $0.audioPath == path }?.origin ?? ""))") }
            case .unreadable(let reason):
                r.unreadableFiles += 1
                if r.examples.count < 5 { r.examples.append("unreadable: \(reason)") }
            }
        }
        var seconds = 0.0
        for entry in entries {
            if let defect = entry.defect {
                r.defects += 1
                if r.examples.count < 5 { r.examples.append("item '\(entry.id)': \(defect)") }
            }
            if entry.embedded != nil { r.embeddedItems += 1 }
            var duration = entry.segment.flatMap { s in s.end.map { $0 - s.start } } ?? (entry.segment == nil ? entry.duration : nil)
            if duration == nil, case .info(let info)? = headers[entry.audioPath], info.sampleRate > 0 {
                duration = Double(info.frames) / Double(info.sampleRate) - (entry.segment?.start ?? 0)
            }
            guard let d = duration else { continue }
            r.itemsWithDuration += 1
            seconds += d
            r.durationHistogram[SourceReport.histogramEdges.firstIndex { d < $0 } ?? SourceReport.histogramEdges.count] += 1
        }
        r.hours = seconds / 3600
        return r
    }

    /// A fixed-width table of the report.
    public static func table(_ report: InspectionReport) -> String {
        var lines: [String] = []
        let header = ["side", "items", "hours", "speakers", "files", "missing", "unreadable", "defects", "formats", "rates"]
        var rows: [[String]] = [header]
        for s in report.sides {
            let hours = s.itemsWithDuration == s.items ? String(format: "%.4f", s.hours)
                : String(format: "%.4f (%d of %d items)", s.hours, s.itemsWithDuration, s.items)
            rows.append([s.source, String(s.items), hours, String(s.speakers),
                         s.embeddedItems > 0 ? "\(s.files) (+\(s.embeddedItems) embedded)" : String(s.files),
                         String(s.missingFiles), String(s.unreadableFiles), String(s.defects),
                         s.formats.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "),
                         s.sampleRates.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        lines.append("")
        lines.append("durations: " + SourceReport.histogramLabels.joined(separator: " | "))
        for s in report.sides {
            lines.append("  \(s.source): " + s.durationHistogram.map(String.init).joined(separator: " | "))
        }
        for o in report.overlaps {
            lines.append("\(o.first) ∩ \(o.second): \(o.sharedSpeakers) speakers, \(o.sharedIDs) ids, \(o.sharedFiles) files")
        }
        for s in report.sides where !s.examples.isEmpty {
            lines.append("\(s.source):")
            lines += s.examples.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
