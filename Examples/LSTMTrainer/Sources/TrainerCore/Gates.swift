import Foundation
import GateKernels

/// What computes the gate activations and updates: GateKernels at a tier, or the libm reference.
public enum GateBackend: Sendable, Hashable, CustomStringConvertible, CaseIterable {
    /// GateKernels' fused `LSTMCell` / `GRUCell` at this tier.
    case kernels(Tier)
    /// A straightforward scalar gate update with Foundation's `exp` and `tanh` (`Float`), used only
    /// as the comparison row: what a trainer without GateKernels would do.
    case libm

    public static let allCases: [GateBackend] = [.kernels(.precise), .kernels(.fast), .kernels(.approximate), .libm]

    public var description: String {
        switch self {
        case .kernels(let tier): tier.description
        case .libm: "libm"
        }
    }

    /// Parses `precise`, `fast`, `approximate` or `libm`.
    public init?(_ name: String) {
        guard let found = GateBackend.allCases.first(where: { $0.description == name }) else { return nil }
        self = found
    }
}

/// The libm reference gate updates, with the same formulas, gate order (i, f, g, o for LSTM; r, z, n
/// for GRU) and workspace sizes as GateKernels' cells, written as plain scalar loops.
enum ReferenceGates {
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// Workspace: gates i, f, g, o activated (`B×4H`), then tanh(c) (`B×H`).
    static func lstmForward(batch B: Int, hidden H: Int, forgetBias: Float, z: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                            h: UnsafeMutablePointer<Float>, ws: UnsafeMutablePointer<Float>) {
        let tc = ws + 4 * B * H
        for r in 0..<B {
            let zr = z + r * 4 * H, a = ws + r * 4 * H
            for k in 0..<H {
                let i = sigmoid(zr[k] + bias[k])
                let f = sigmoid(zr[H + k] + bias[H + k] + forgetBias)
                let g = tanh(zr[2 * H + k] + bias[2 * H + k])
                let o = sigmoid(zr[3 * H + k] + bias[3 * H + k])
                let cell = f * cPrev[r * H + k] + i * g
                let t = tanh(cell)
                (a[k], a[H + k], a[2 * H + k], a[3 * H + k]) = (i, f, g, o)
                c[r * H + k] = cell
                tc[r * H + k] = t
                h[r * H + k] = o * t
            }
        }
    }

    /// `dZ` (`B×4H`), `dc_prev`, and `db += Σ_rows dZ`.
    static func lstmBackward(batch B: Int, hidden H: Int, dh: UnsafePointer<Float>, dcNext: UnsafePointer<Float>?,
                             ws: UnsafePointer<Float>, cPrev: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                             dcPrev: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>) {
        let tc = ws + 4 * B * H
        for r in 0..<B {
            let a = ws + r * 4 * H, d = dz + r * 4 * H
            for k in 0..<H {
                let e = r * H + k
                let (i, f, g, o, t) = (a[k], a[H + k], a[2 * H + k], a[3 * H + k], tc[e])
                let dc = (dcNext?[e] ?? 0) + dh[e] * o * (1 - t * t)
                d[k] = dc * g * i * (1 - i)
                d[H + k] = dc * cPrev[e] * f * (1 - f)
                d[2 * H + k] = dc * i * (1 - g * g)
                d[3 * H + k] = dh[e] * t * o * (1 - o)
                dcPrev[e] = dc * f
            }
            for k in 0..<4 * H { db[k] += d[k] }
        }
    }

    /// Workspace: r, z, n activated, then hn (`B×H` each, in that order).
    static func gruForward(batch B: Int, hidden H: Int, x: UnsafePointer<Float>, hg: UnsafePointer<Float>,
                           hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>, ws: UnsafeMutablePointer<Float>) {
        let n = B * H
        for row in 0..<B {
            let xr = x + row * 3 * H, hr = hg + row * 3 * H
            for k in 0..<H {
                let e = row * H + k
                let r = sigmoid(xr[k] + hr[k])
                let z = sigmoid(xr[H + k] + hr[H + k])
                let hn = hr[2 * H + k]
                let cand = tanh(xr[2 * H + k] + r * hn)
                (ws[e], ws[n + e], ws[2 * n + e], ws[3 * n + e]) = (r, z, cand, hn)
                h[e] = (1 - z) * cand + z * hPrev[e]
            }
        }
    }

    /// `dX`, `dHg` (`B×3H`) and the direct part of `dh_prev` (`z ⊙ dh`).
    static func gruBackward(batch B: Int, hidden H: Int, dh: UnsafePointer<Float>, ws: UnsafePointer<Float>,
                            hPrev: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, dhg: UnsafeMutablePointer<Float>,
                            dhPrev: UnsafeMutablePointer<Float>) {
        let n = B * H
        for row in 0..<B {
            let dxr = dx + row * 3 * H, dhr = dhg + row * 3 * H
            for k in 0..<H {
                let e = row * H + k
                let (r, z, cand, hn) = (ws[e], ws[n + e], ws[2 * n + e], ws[3 * n + e])
                let dn = dh[e] * (1 - z) * (1 - cand * cand)
                let dz = dh[e] * (hPrev[e] - cand) * z * (1 - z)
                let dr = dn * hn * r * (1 - r)
                (dxr[k], dxr[H + k], dxr[2 * H + k]) = (dr, dz, dn)
                (dhr[k], dhr[H + k], dhr[2 * H + k]) = (dr, dz, dn * r)
                dhPrev[e] = dh[e] * z
            }
        }
    }
}
