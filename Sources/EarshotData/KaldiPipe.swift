import Foundation

/// A `wav.scp` pipeline of one of the standard decoders, read as what it decodes: the file it names and the
/// channel it keeps. Earshot never runs it; it decodes the named file itself with libsndfile.
///
/// Recognised (the commands Kaldi and ESPnet recipes write, with the options those recipes use):
/// - `sph2pipe [-f wav|rif|raw] [-p] [-c N] FILE |` (`-c` counts channels from 1);
/// - `flac -c -d -s FILE |` (also `--decode`, `--stdout`, `--silent`);
/// - `sox [-t TYPE] FILE -t wav [-r RATE] [-b BITS] [-e ENC] [-c 1] - [remix N] |` (`-c 1` is the channel mean,
///   `remix N` keeps channel N; rate and sample format are what downstream nodes decide anyway);
/// - `ffmpeg [-nostdin] [-hide_banner] [-loglevel L|-v L] -i FILE [-ar R] [-ac 1] [-acodec|-c:a pcm_*]
///   [-map_channel 0.0.N] -f wav [-y] - |` (`-map_channel` counts from 0).
/// Anything else — other programs, other options, a second command (`| sox …`), redirections, time ranges — is
/// refused with the reason, so an unfamiliar pipeline is never guessed at.
public struct KaldiPipe: Sendable, Equatable {
    /// The audio file as written in the command (relative to the data directory when not absolute).
    public var file: String
    /// 0-based channel to keep; nil: the channel mean (or the only channel).
    public var channel: Int?

    public init(file: String, channel: Int?) {
        self.file = file
        self.channel = channel
    }

    /// Parses `entry` (with its trailing `|`); the error text says what was not understood.
    public static func parse(_ entry: String) throws(PipeError) -> KaldiPipe {
        var text = entry.trimmingCharacters(in: .whitespaces)
        guard text.hasSuffix("|") else { throw PipeError("not a pipeline (no trailing '|')") }
        text.removeLast()
        if let special = text.first(where: { "|;&<>`$(){}".contains($0) }) {
            throw PipeError("'\(special)' makes it more than one decoder command")
        }
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !words.isEmpty else { throw PipeError("empty command") }
        let program = (words.removeFirst() as NSString).lastPathComponent
        switch program {
        case "sph2pipe": return try sph2pipe(words)
        case "flac": return try flac(words)
        case "sox": return try sox(words)
        case "ffmpeg": return try ffmpeg(words)
        default: throw PipeError("'\(program)' is not one of the decoders earshot reads directly (sph2pipe, flac, sox, ffmpeg)")
        }
    }

    public struct PipeError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static func channelNumber(_ text: String, base: Int, option: String) throws(PipeError) -> Int {
        guard let n = Int(text), n >= base else { throw PipeError("\(option) '\(text)' is not a channel number (counting from \(base))") }
        return n - base
    }

    static func sph2pipe(_ words: [String]) throws(PipeError) -> KaldiPipe {
        var file: String?, channel: Int?
        var i = 0
        while i < words.count {
            let w = words[i]
            switch w {
            case "-p": break
            case "-f":
                guard i + 1 < words.count, ["wav", "rif", "raw"].contains(words[i + 1]) else { throw PipeError("sph2pipe -f needs wav, rif or raw") }
                i += 1
            case "-c":
                guard i + 1 < words.count else { throw PipeError("sph2pipe -c needs a channel") }
                channel = try channelNumber(words[i + 1], base: 1, option: "sph2pipe -c")
                i += 1
            default:
                if w.hasPrefix("-") { throw PipeError("sph2pipe option '\(w)' is not supported (only -f, -p, -c)") }
                if file != nil { throw PipeError("sph2pipe names more than one file (an output file is not a pipe)") }
                file = w
            }
            i += 1
        }
        guard let file else { throw PipeError("sph2pipe names no input file") }
        return KaldiPipe(file: file, channel: channel)
    }

    static func flac(_ words: [String]) throws(PipeError) -> KaldiPipe {
        var file: String?, decoding = false, toStdout = false
        for w in words {
            switch w {
            case "-d", "--decode": decoding = true
            case "-c", "--stdout": toStdout = true
            case "-s", "--silent": break
            case "-cds", "-dcs", "-csd", "-dsc", "-scd", "-sdc", "-cd", "-dc": decoding = true; toStdout = true
            default:
                if w.hasPrefix("-") { throw PipeError("flac option '\(w)' is not supported (only -c -d -s)") }
                if file != nil { throw PipeError("flac names more than one file") }
                file = w
            }
        }
        guard decoding, toStdout else { throw PipeError("flac must decode to standard output (-c -d)") }
        guard let file else { throw PipeError("flac names no input file") }
        return KaldiPipe(file: file, channel: nil)
    }

    static func sox(_ words: [String]) throws(PipeError) -> KaldiPipe {
        // sox [input options] INPUT [output options] - [effects]
        var files: [String] = []
        var channel: Int?
        var i = 0
        var sawOutput = false
        while i < words.count {
            let w = words[i]
            if sawOutput {
                // Effects after the output: only `remix N` (keep channel N).
                guard w == "remix", i + 1 < words.count, i + 2 == words.count else {
                    throw PipeError("sox effect '\(words[i...].joined(separator: " "))' is not supported (only 'remix N')")
                }
                channel = try channelNumber(words[i + 1], base: 1, option: "sox remix")
                break
            }
            switch w {
            case "-t", "-r", "-b", "-e":
                guard i + 1 < words.count else { throw PipeError("sox \(w) needs a value") }
                i += 1
            case "-c":
                guard i + 1 < words.count, words[i + 1] == "1", !files.isEmpty else {
                    throw PipeError("sox -c is supported only as the output's '-c 1' (the channel mean)")
                }
                i += 1
            case "-":
                guard files.count == 1 else { throw PipeError("sox writes to standard output before naming its input file") }
                sawOutput = true
            default:
                if w.hasPrefix("-") { throw PipeError("sox option '\(w)' is not supported (only -t -r -b -e -c 1)") }
                files.append(w)
                if files.count > 1 { throw PipeError("sox names more than one file (combining or writing files is not a pipe)") }
            }
            i += 1
        }
        guard sawOutput, let file = files.first else { throw PipeError("sox must read one file and write to standard output ('-')") }
        return KaldiPipe(file: file, channel: channel)
    }

    static func ffmpeg(_ words: [String]) throws(PipeError) -> KaldiPipe {
        var file: String?, channel: Int?, toStdout = false
        var i = 0
        while i < words.count {
            let w = words[i]
            func value() throws(PipeError) -> String {
                guard i + 1 < words.count else { throw PipeError("ffmpeg \(w) needs a value") }
                i += 1
                return words[i]
            }
            switch w {
            case "-nostdin", "-hide_banner", "-y": break
            case "-loglevel", "-v", "-ar", "-acodec", "-c:a", "-f": _ = try value()
            case "-ac":
                guard try value() == "1" else { throw PipeError("ffmpeg -ac is supported only as '-ac 1' (the channel mean)") }
            case "-i":
                if file != nil { throw PipeError("ffmpeg names more than one input") }
                file = try value()
            case "-map_channel":
                let spec = try value().split(separator: ".")
                guard spec.count == 3, spec[0] == "0", spec[1] == "0", let n = Int(spec[2]), n >= 0 else {
                    throw PipeError("ffmpeg -map_channel is supported only as 0.0.N")
                }
                channel = n
            case "-", "pipe:", "pipe:1": toStdout = true
            default: throw PipeError("ffmpeg argument '\(w)' is not supported")
            }
            i += 1
        }
        guard let file, toStdout else { throw PipeError("ffmpeg must read one input (-i FILE) and write to standard output ('-')") }
        return KaldiPipe(file: file, channel: channel)
    }
}
