import Foundation

/// Channel and level effects used to build shifted synthetic corpora (and, later, resynthesis conditions).
///
/// All effects work on mono float samples in place or return a new array of the same length (except `pad`).
/// Filters run in double precision. Nothing here clips; writing PCM clips (see `AudioEncoder`).
public enum SignalEffects {
    /// Multiplies by `10^(decibels / 20)`.
    public static func gain(_ x: inout [Float], decibels: Double) {
        let factor = Float(pow(10, decibels / 20))
        for i in x.indices { x[i] *= factor }
    }

    /// `leading` zeros, then `x`, then `trailing` zeros.
    public static func pad(_ x: [Float], leading: Int, trailing: Int) -> [Float] {
        [Float](repeating: 0, count: max(leading, 0)) + x + [Float](repeating: 0, count: max(trailing, 0))
    }

    /// Mean of x² (0 for an empty signal).
    public static func power(_ x: [Float]) -> Double {
        x.isEmpty ? 0 : x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)
    }

    /// Adds white Gaussian noise whose power is `signalPower / 10^(snr / 10)`; `gaussian` returns standard normal
    /// draws (the caller's seeded generator, so the noise is reproducible).
    public static func addNoise(_ x: inout [Float], snrDecibels snr: Double, signalPower: Double, gaussian: () -> Double) {
        let sigma = (signalPower / pow(10, snr / 10)).squareRoot()
        for i in x.indices { x[i] += Float(sigma * gaussian()) }
    }

    /// Second-order Butterworth high-pass (RBJ cookbook biquad, Q = 1/√2), direct form I, zero initial state.
    public static func highPass(_ x: inout [Float], cutoff: Double, sampleRate: Int) {
        let w0 = 2 * Double.pi * cutoff / Double(sampleRate)
        let alpha = sin(w0) / (2 * 0.5.squareRoot())
        let c = cos(w0)
        let a0 = 1 + alpha
        let b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = (1 + c) / 2 / a0
        let a1 = -2 * c / a0, a2 = (1 - alpha) / a0
        var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
        for i in x.indices {
            let input = Double(x[i])
            let y = b0 * input + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x2 = x1; x1 = input; y2 = y1; y1 = y
            x[i] = Float(y)
        }
    }

    /// Low-pass by resampling to `2 · cutoff` Hz and back with soxr HQ (its anti-aliasing filter is the low-pass:
    /// pass band to ~0.91 · cutoff, stop band from cutoff); the result is cut or zero-padded to `x.count`.
    public static func lowPass(_ x: [Float], cutoff: Double, sampleRate: Int) throws -> [Float] {
        let narrow = Int((2 * cutoff).rounded())
        guard narrow < sampleRate else { return x }
        guard narrow > 0 else {
            throw AudioError.invalidArgument(name: "low-pass cutoff", value: String(cutoff), reason: "must be a positive number of hz")
        }
        let down = try Resampler(sourceRate: sampleRate, targetRate: narrow).resample(x)
        var up = try Resampler(sourceRate: narrow, targetRate: sampleRate).resample(down)
        if up.count > x.count { up.removeSubrange(x.count...) } else if up.count < x.count { up += [Float](repeating: 0, count: x.count - up.count) }
        return up
    }

    /// G.711-style μ-law (μ = 255) companding with 8-bit quantisation: `y = sign(x) ln(1 + μ|x|) / ln(1 + μ)`
    /// rounded to 128 levels per sign, then expanded back. Inputs are clamped to [−1, 1].
    public static func muLaw(_ x: inout [Float]) {
        let mu = 255.0, scale = log1p(mu)
        for i in x.indices {
            let v = max(-1, min(1, Double(x[i])))
            let compressed = (log1p(mu * abs(v)) / scale * 127).rounded() / 127
            x[i] = Float((v < 0 ? -1 : 1) * (pow(1 + mu, compressed) - 1) / mu)
        }
    }

    /// A narrow-band telephone channel: 300 Hz high-pass, 3,400 Hz low-pass, resampling to 8 kHz, μ-law 8-bit
    /// quantisation at 8 kHz, and back to `sampleRate` (the last step removes everything above 4 kHz, including
    /// the quantisation noise's images). Same length as `x`.
    public static func telephone(_ x: [Float], sampleRate: Int) throws -> [Float] {
        var y = x
        highPass(&y, cutoff: 300, sampleRate: sampleRate)
        y = try lowPass(y, cutoff: 3_400, sampleRate: sampleRate)
        var narrow = try Resampler(sourceRate: sampleRate, targetRate: 8_000).resample(y)
        muLaw(&narrow)
        var back = try Resampler(sourceRate: 8_000, targetRate: sampleRate).resample(narrow)
        if back.count > x.count { back.removeSubrange(x.count...) } else if back.count < x.count { back += [Float](repeating: 0, count: x.count - back.count) }
        return back
    }
}
