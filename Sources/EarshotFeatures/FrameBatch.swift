#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Frame-wise rows are computed for `width` consecutive frames at once, one SIMD lane per frame: buffers are
/// row-major with the frames of a batch interleaved (`buffer[row * width + lane]`), so each frame's running
/// sums keep the sequential order numpy uses along a frame's axis while the lanes execute in parallel.
/// Lanes past the last frame hold zeros and their results are discarded.
enum FrameBatch {
    static let width = 4
    typealias Lanes = SIMD4<Double>

    /// The lanes of row `row` of a lane-interleaved buffer.
    @inline(__always)
    static func load(_ buffer: UnsafePointer<Double>, row: Int) -> Lanes {
        UnsafeRawPointer(buffer + row &* width).loadUnaligned(as: Lanes.self)
    }

    /// Writes `lanes` to row `row` of a lane-interleaved buffer.
    @inline(__always)
    static func store(_ lanes: Lanes, _ buffer: UnsafeMutablePointer<Double>, row: Int) {
        UnsafeMutableRawPointer(buffer + row &* width).storeBytes(of: lanes, as: Lanes.self)
    }

    /// Four per-lane buffers read together: `self[i]` gathers element i of each into one `Lanes` value.
    struct Gather {
        let lane0, lane1, lane2, lane3: UnsafePointer<Double>

        init(_ buffers: [UnsafePointer<Double>]) {
            precondition(buffers.count == FrameBatch.width, "gather needs one buffer per lane")
            (lane0, lane1, lane2, lane3) = (buffers[0], buffers[1], buffers[2], buffers[3])
        }

        @inline(__always)
        subscript(_ i: Int) -> Lanes { Lanes(lane0[i], lane1[i], lane2[i], lane3[i]) }
    }

    /// Natural logarithm of four positive, finite, normal doubles: fdlibm's `__ieee754_log` (as in glibc before
    /// its table-driven version) evaluated lane-wise with integer and floating SIMD operations. x = 2^k·(1 + f)
    /// with √½ ≤ 1 + f < √2, s = f / (2 + f), R = s²·(Lg1 + s²·(Lg2 + …)) fdlibm's minimax polynomial, and
    /// ln x = k·ln2_hi − ((½f² − (s·(½f² + R) + k·ln2_lo)) − f). Error below 1 ulp (fdlibm's bound); the tests
    /// compare it with glibc's `log` over 1e-12…1e12.
    @inline(__always)
    static func logarithm(_ x: Lanes) -> Lanes {
        let bits = unsafeBitCast(x, to: SIMD4<UInt64>.self)
        let high = bits &>> 32
        let fraction = high & 0x000f_ffff
        // i = 2^20 when the mantissa is at least √2, so that 1 + f is halved and k incremented.
        let i = (fraction &+ 0x95f64) & 0x10_0000
        let reduced = unsafeBitCast(((fraction | (i ^ 0x3ff0_0000)) &<< 32) | (bits & 0xffff_ffff), to: Lanes.self)
        // k + 1024 (positive) into the mantissa of 2^52, then subtract 2^52 + 1024: k as an exact double.
        let biasedK = (high &>> 20) &+ (i &>> 20) &+ 1
        let k = unsafeBitCast(biasedK | 0x4330_0000_0000_0000, to: Lanes.self) - (4_503_599_627_370_496 + 1_024)
        let f = reduced - 1
        let s = f / (2 + f)
        let z = s * s, w = z * z
        let t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01))
        let t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01
            + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)))
        let r = t2 + t1
        let halfSquare = 0.5 * f * f
        return k * 6.93147180369123816490e-01
            - ((halfSquare - (s * (halfSquare + r) + k * 1.90821492927058770002e-10)) - f)
    }

    /// `target[i] = √source[i]` (IEEE square root, correctly rounded) for i < `count`. On x86-64 this uses SSE2's
    /// `sqrtpd` two at a time: Swift on Linux lowers `squareRoot()` to a libm call behind an errno branch, which
    /// neither vectorises nor pipelines.
    @inline(__always)
    static func squareRoots(_ source: UnsafePointer<Double>, into target: UnsafeMutablePointer<Double>, count: Int) {
        var i = 0
        #if arch(x86_64)
        while i &+ 2 <= count {
            _mm_storeu_pd(target + i, _mm_sqrt_pd(_mm_loadu_pd(source + i)))
            i &+= 2
        }
        #endif
        while i < count {
            target[i] = source[i].squareRoot()
            i &+= 1
        }
    }
}
