import EarshotLearn
import EarshotStore
import Foundation

/// The replacement signals of the `silence` and `noise` conditions, and the per-item seeds every seeded
/// condition draws from.
enum ResynthesisSignal {
    /// The seed of one item in one realization: the first 8 bytes (big-endian) of
    /// SHA-256("earshot.resynthesize.v1|<experiment seed>|<realization>|<item id>"). Independent of item order
    /// and of the other items, so adding an item changes no other item's audio.
    static func itemSeed(seed: Int, realization: Int, id: String) -> UInt64 {
        let digest = SHA256.hash("earshot.resynthesize.v1|\(seed)|\(realization)|\(id)")
        return digest.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// `count` zeros.
    static func silence(count: Int) -> [Float] { [Float](repeating: 0, count: max(0, count)) }

    /// `count` samples of white Gaussian noise with standard deviation (= expected RMS) `rms`, from
    /// `SplitMix64(seed)` through the Box–Muller transform (two uniforms per sample, u₁ in (0, 1]).
    static func gaussianNoise(count: Int, rms: Double, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<max(0, count)).map { _ in
            let u1 = 1 - generator.nextUnitDouble(), u2 = generator.nextUnitDouble()
            return Float(rms * (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2))
        }
    }

    /// Root mean square of `x` (0 for an empty signal), accumulated in double precision.
    static func rms(_ x: [Float]) -> Double {
        guard !x.isEmpty else { return 0 }
        return (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
    }
}
