import Foundation

/// Every trainable parameter of a model in one flat buffer (and its gradient and Adam moments in
/// three more), so that clipping, the optimizer and the gradient check see one vector.
final class Parameters {
    private(set) var count = 0
    private var inits: [(offset: Int, count: Int, scale: Float)] = []
    private(set) var values = Floats(0), grads = Floats(0), m = Floats(0), v = Floats(0)
    private var adamSteps = 0

    /// Reserves `count` parameters initialized uniform in [-scale, scale]; returns their offset.
    /// Must be called before `allocate`.
    func reserve(_ count: Int, scale: Float) -> Int {
        inits.append((self.count, count, scale))
        self.count += count
        return self.count - count
    }

    /// Allocates the buffers and draws the initial values, in reservation order.
    func allocate(_ rng: inout SplitMix64) {
        (values, grads, m, v) = (Floats(count), Floats(count), Floats(count), Floats(count))
        for (offset, n, scale) in inits where scale > 0 {
            for k in offset..<offset + n { values[k] = rng.symmetric(scale) }
        }
    }

    func value(_ offset: Int) -> UnsafeMutablePointer<Float> { values.base + offset }
    func grad(_ offset: Int) -> UnsafeMutablePointer<Float> { grads.base + offset }

    /// Scales the gradient down to global norm `maxNorm` if it is larger; returns the norm before.
    @discardableResult
    func clipGradient(maxNorm: Float) -> Float {
        let norm = BLAS.norm(count, grads.base)
        if norm > maxNorm { BLAS.scale(count, maxNorm / norm, grads.base) }
        return norm
    }

    /// One Adam step (Kingma & Ba, with bias correction).
    func adam(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        adamSteps += 1
        let c1 = 1 - Float(pow(Double(beta1), Double(adamSteps))), c2 = 1 - Float(pow(Double(beta2), Double(adamSteps)))
        let (p, g, m, v) = (values.base, grads.base, self.m.base, self.v.base)
        for k in 0..<count {
            m[k] = beta1 * m[k] + (1 - beta1) * g[k]
            v[k] = beta2 * v[k] + (1 - beta2) * g[k] * g[k]
            p[k] -= learningRate * (m[k] / c1) / ((v[k] / c2).squareRoot() + epsilon)
        }
    }
}
