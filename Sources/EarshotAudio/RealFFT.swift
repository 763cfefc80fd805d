import CFFTW
import Synchronization

/// A real-input discrete Fourier transform of one size, backed by FFTW (double precision).
///
/// Conventions (FFTW's): `forward` computes X[k] = Σₙ x[n]·e^(−2πikn/N) for k = 0…N/2, unnormalised;
/// `inverse` computes x[n] = Σₖ X[k]·e^(+2πikn/N) over the full Hermitian spectrum, also unnormalised,
/// so `inverse(forward(x)) = N·x`. Plans come from `FFTWPlanner.shared` with `FFTW_ESTIMATE` after importing
/// the fixed wisdom in `FFTWWisdom`, which yields the same plan — and the same bits — on every run, unlike
/// `FFTW_MEASURE`.
/// Thread-safety: plans are immutable and executed with FFTW's new-array functions, which FFTW documents
/// as thread-safe; each thread uses its own `FFTWorkspace`.
public struct RealFFT: Sendable {
    public let size: Int
    private let forwardPlan: FFTWPlan
    private let inversePlan: FFTWPlan

    /// `size` ≥ 1.
    public init(size: Int) {
        precondition(size >= 1, "fft size must be positive")
        self.size = size
        (forwardPlan, inversePlan) = FFTWPlanner.shared.plans(size: size)
    }

    /// Number of complex bins of the forward transform, `size / 2 + 1`.
    public var binCount: Int { size / 2 + 1 }

    /// Fresh aligned buffers for this size (allocate once per call, reuse for every frame).
    public func makeWorkspace() -> FFTWorkspace { FFTWorkspace(size: size) }

    /// `workspace.real` (length `size`) → `workspace.spectrum` (interleaved re, im; `binCount` pairs).
    /// `workspace.real` is left unchanged (FFTW's out-of-place r2c preserves its input by default).
    public func forward(_ workspace: FFTWorkspace) {
        precondition(workspace.size == size, "workspace size \(workspace.size) does not match fft size \(size)")
        fftw_execute_dft_r2c(forwardPlan.raw, workspace.realPointer, workspace.complexPointer)
    }

    /// `workspace.spectrum` → `workspace.real`; overwrites (destroys) the spectrum, as FFTW's c2r does.
    public func inverse(_ workspace: FFTWorkspace) {
        precondition(workspace.size == size, "workspace size \(workspace.size) does not match fft size \(size)")
        fftw_execute_dft_c2r(inversePlan.raw, workspace.complexPointer, workspace.realPointer)
    }
}

/// Aligned input/output arrays for one `RealFFT` size, allocated with `fftw_malloc` and freed in `deinit`.
/// Not `Sendable`: one workspace per task.
public final class FFTWorkspace {
    public let size: Int
    /// Time-domain buffer, `size` doubles.
    public let real: UnsafeMutableBufferPointer<Double>
    /// Frequency-domain buffer, `2 · (size / 2 + 1)` doubles: re₀, im₀, re₁, im₁, …
    public let spectrum: UnsafeMutableBufferPointer<Double>

    init(size: Int) {
        self.size = size
        let bins = size / 2 + 1
        let realRaw = fftw_malloc(MemoryLayout<Double>.stride * size)!
        let complexRaw = fftw_malloc(MemoryLayout<Double>.stride * 2 * bins)!
        real = UnsafeMutableBufferPointer(start: realRaw.bindMemory(to: Double.self, capacity: size), count: size)
        spectrum = UnsafeMutableBufferPointer(start: complexRaw.bindMemory(to: Double.self, capacity: 2 * bins),
                                              count: 2 * bins)
        real.initialize(repeating: 0)
        spectrum.initialize(repeating: 0)
    }

    deinit {
        fftw_free(real.baseAddress)
        fftw_free(spectrum.baseAddress)
    }

    var realPointer: UnsafeMutablePointer<Double> { real.baseAddress! }
    var complexPointer: UnsafeMutablePointer<fftw_complex> {
        UnsafeMutableRawPointer(spectrum.baseAddress!).assumingMemoryBound(to: fftw_complex.self)
    }
}

/// An FFTW plan handle, created under `FFTWPlanner`'s mutex and never mutated or destroyed afterwards
/// (plans live in `FFTWPlanner.shared` for the life of the process); executing it through the new-array
/// functions is thread-safe, which is why the raw pointer may be shared.
final class FFTWPlan: Sendable {
    nonisolated(unsafe) let raw: OpaquePointer
    init(_ raw: OpaquePointer) { self.raw = raw }
}

/// The one place FFTW plans are made. FFTW's planner is not thread-safe, so every planning call runs
/// under `cache`'s mutex; plans are cached per size and reused by every `RealFFT` of that size. The first
/// use imports `FFTWWisdom.recorded`, which fixes the plans for the sizes it covers.
final class FFTWPlanner: Sendable {
    static let shared = FFTWPlanner()

    private let cache = Mutex<[Int: (forward: FFTWPlan, inverse: FFTWPlan)]>([:])

    private init() {
        // `shared` is initialised once, before any plan exists, so nothing else is inside FFTW's planner here.
        // A refused import (another FFTW version, a CPU without AVX) leaves plain FFTW_ESTIMATE planning.
        _ = fftw_import_wisdom_from_string(FFTWWisdom.recorded)
    }

    func plans(size: Int) -> (FFTWPlan, FFTWPlan) {
        cache.withLock { cache in
            if let hit = cache[size] { return (hit.forward, hit.inverse) }
            let bins = size / 2 + 1
            let real = fftw_malloc(MemoryLayout<Double>.stride * size)!.bindMemory(to: Double.self, capacity: size)
            let complex = fftw_malloc(MemoryLayout<Double>.stride * 2 * bins)!
                .bindMemory(to: fftw_complex.self, capacity: bins)
            defer { fftw_free(real); fftw_free(complex) }
            let flags = earshot_fftw_estimate()
            guard let forward = fftw_plan_dft_r2c_1d(Int32(size), real, complex, flags),
                  let inverse = fftw_plan_dft_c2r_1d(Int32(size), complex, real, flags) else {
                fatalError("fftw could not plan a real transform of size \(size)")
            }
            let entry = (forward: FFTWPlan(forward), inverse: FFTWPlan(inverse))
            cache[size] = entry
            return (entry.forward, entry.inverse)
        }
    }
}
