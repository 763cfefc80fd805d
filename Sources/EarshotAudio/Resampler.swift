import CSoxr
import Foundation

/// Sample-rate conversion through libsoxr with the recipe `librosa.resample(res_type='soxr_hq')` uses.
///
/// Quality: `soxr_quality_spec(SOXR_HQ, 0)` (20-bit precision, 91% passband, linear phase), float32 in and
/// out, fed in chunks of `⌊48000 · source / target⌋` frames and flushed once — exactly python-soxr's
/// `soxr.resample(x, in, out, 'HQ')`. The output is then cut or zero-padded to librosa's length
/// `⌈n · (target / source)⌉` (`librosa.util.fix_length`). Equal rates return the input unchanged.
public struct Resampler: Sendable, Hashable {
    public let sourceRate: Int
    public let targetRate: Int

    /// Rates the resampler accepts (hz): beyond them the output length of a long clip no longer fits memory.
    public static let rateRange = 1...10_000_000

    public init(sourceRate: Int, targetRate: Int) throws {
        guard Self.rateRange.contains(sourceRate) else {
            throw AudioError.invalidArgument(name: "source sample rate", value: String(sourceRate), reason: "must be in \(Self.rateRange) hz")
        }
        guard Self.rateRange.contains(targetRate) else {
            throw AudioError.invalidArgument(name: "target sample rate", value: String(targetRate), reason: "must be in \(Self.rateRange) hz")
        }
        self.sourceRate = sourceRate
        self.targetRate = targetRate
    }

    /// librosa's output length: `ceil(n * (target / source))` computed in double precision, as numpy does.
    public static func outputLength(inputLength: Int, sourceRate: Int, targetRate: Int) -> Int {
        if sourceRate == targetRate { return inputLength }
        let ratio = Double(targetRate) / Double(sourceRate)
        let length = (Double(inputLength) * ratio).rounded(.up)
        // Rates within `rateRange` keep this far below Int.max for any array that fits memory; clamp, never trap.
        return length < 0x1p62 ? Int(length) : 1 << 62
    }

    /// Resamples `input`; `input.count == 0` returns an empty array.
    public func resample(_ input: [Float]) throws -> [Float] {
        if sourceRate == targetRate || input.isEmpty { return input }
        let stream = try SoxrStream(sourceRate: Double(sourceRate), targetRate: Double(targetRate))
        var output = [Float]()
        output.reserveCapacity(Self.outputLength(inputLength: input.count, sourceRate: sourceRate, targetRate: targetRate) + 1)
        let chunk = max(Int(48_000 * Double(sourceRate) / Double(targetRate)), 1)
        try input.withUnsafeBufferPointer { source in
            var position = 0
            while position < source.count {
                let count = min(chunk, source.count - position)
                try stream.process(UnsafeBufferPointer(rebasing: source[position..<(position + count)]), appendingTo: &output)
                position += count
            }
        }
        try stream.finish(appendingTo: &output)
        fixLength(&output, inputLength: input.count)
        return output
    }

    /// Cuts or zero-pads `output` to `outputLength(inputLength:…)` (`librosa.util.fix_length`).
    func fixLength(_ output: inout [Float], inputLength: Int) {
        let length = Self.outputLength(inputLength: inputLength, sourceRate: sourceRate, targetRate: targetRate)
        if output.count > length {
            output.removeSubrange(length...)
        } else if output.count < length {
            output.append(contentsOf: repeatElement(0, count: length - output.count))
        }
    }
}

/// Owns one `soxr_t` (mono, float32 I/O, HQ) and deletes it in `deinit`. Not `Sendable`: one per call.
final class SoxrStream {
    private let handle: OpaquePointer
    private let ratio: Double

    init(sourceRate: Double, targetRate: Double) throws {
        ratio = targetRate / sourceRate
        var error: soxr_error_t?
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(earshot_soxr_hq(), 0)
        guard let handle = soxr_create(sourceRate, targetRate, 1, &error, &io, &quality, nil), error == nil else {
            throw AudioError.resampling(reason: error.map { String(cString: $0) } ?? "soxr_create returned no resampler")
        }
        self.handle = handle
    }

    deinit { soxr_delete(handle) }

    /// Feeds `input` (all of it: `idone` is not requested, so libsoxr consumes the whole block, as
    /// python-soxr does) and appends whatever output is ready.
    func process(_ input: UnsafeBufferPointer<Float>, appendingTo output: inout [Float]) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        let capacity = Int((Double(input.count) * ratio).rounded(.up)) + 16
        try run(base, count: input.count, capacity: capacity, appendingTo: &output)
    }

    /// Signals end of input and drains every remaining output sample.
    func finish(appendingTo output: inout [Float]) throws {
        while try run(nil, count: 0, capacity: 4096, appendingTo: &output) > 0 {}
    }

    @discardableResult
    private func run(_ input: UnsafePointer<Float>?, count: Int, capacity: Int,
                     appendingTo output: inout [Float]) throws -> Int {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: capacity))
        var done = 0
        let error = output.withUnsafeMutableBufferPointer { buffer in
            soxr_process(handle, input, count, nil, buffer.baseAddress! + start, capacity, &done)
        }
        output.removeSubrange((start + done)...)
        if let error { throw AudioError.resampling(reason: String(cString: error)) }
        return done
    }
}
