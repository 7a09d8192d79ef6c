import Foundation
import GateKernels

// What LSTMTests.swift and GRUTests.swift share: fused gate updates against a double-precision
// reference written there, on every tier and every ISA this machine has (forced per call through the
// cells' `isa`, never process-wide).
//
// Bounds, derived from the tier contract. An activation value v (sigmoid or tanh) is within
//   e(v) = rel |v| + abs    of the exact function at the kernel's float preactivation, with
//   precise rel = 2.5 * 2^-23, fast rel = 4.5 * 2^-23 (the ulp bound plus the reference's own
//   rounding; ulp(v) <= 2^-23 |v|), abs = 1e-37 (flushed subnormal sigmoids); approximate rel = 0,
//   abs = 2e-4. Each float operation adds at most u = 2^-24 relative. Propagating to first order
//   (tanh' <= 1, clip 1-Lipschitz), plus the products of two errors:
//   LSTM  dc <= |c_prev| e(f) + |g| e(i) + |i| e(g) + e(i) e(g) + 2u (|f c_prev| + |i g|)
//         dh <= |tanh c| e(o) + |o| (e(tanh c) + dc) + e(o) (e(tanh c) + dc) + u |h|
//   GRU   dn <= e(n) + |hn| e(r) + u |xn + r hn|
//         dh <= |h_prev - n| e(z) + |1 - z| dn + e(z) dn + 3u (|z h_prev| + |n - z n|)
// The backward, given the forward's workspace, is a few products and one sum: every gradient is
// within 8u times the same expression evaluated on absolute values (a running-error bound).
// Tolerances below are these bounds times 1.25 (for neglected third-order terms).

struct GateRng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ a: Float, _ b: Float) -> Float { a + (b - a) * Float(next() >> 40) * 0x1p-24 }
    mutating func array(_ n: Int, _ a: Float, _ b: Float) -> [Float] { (0..<n).map { _ in uniform(a, b) } }
}

let gateISAs: [ISA] = ISA.supported
let u = 0x1p-24

struct TierError {
    let rel: Double, abs: Double
    init(_ tier: Tier) {
        switch tier {
        case .precise: (rel, abs) = (2.5 * 0x1p-23, 1e-37)
        case .fast: (rel, abs) = (4.5 * 0x1p-23, 1e-37)
        case .approximate: (rel, abs) = (0, 2e-4)
        }
    }
    func of(_ v: Double) -> Double { rel * Swift.abs(v) + abs }
}

func sigmoidD(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

/// Counts mismatches and keeps the first few for the failure message. NaN must match NaN, infinity
/// must match exactly, everything else within the tolerance.
struct Mismatches: CustomStringConvertible {
    var count = 0
    var examples: [String] = []
    mutating func check(_ what: String, _ index: Int, _ got: Float, _ want: Double, _ tol: Double) {
        let ok: Bool
        if want.isNaN || got.isNaN {
            ok = want.isNaN && got.isNaN
        } else if want.isInfinite || got.isInfinite {
            ok = Double(got) == want
        } else {
            ok = Swift.abs(Double(got) - want) <= tol * 1.25
        }
        if !ok {
            count += 1
            if examples.count < 4 { examples.append("\(what)[\(index)] = \(got), want \(want) +- \(tol * 1.25)") }
        }
    }
    var description: String { "\(count) mismatches: " + examples.joined(separator: "; ") }
}

func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}
