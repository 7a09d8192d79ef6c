/// A `SIMD` vector of `Float` whose lanes can be read as bit patterns: `SIMD4`, `SIMD8`,
/// `SIMD16<Float>`, the vectors with ``sigmoid(_:tier:)`` and ``tanh(_:tier:)``.
public protocol FloatVector: SIMD where Scalar == Float {
    /// The vector of `UInt32` with as many lanes.
    associatedtype Bits: SIMD where Bits.Scalar == UInt32
    /// The IEEE 754 bits of each lane.
    var bitPattern: Bits { get }
    /// Creates a vector whose lanes have these IEEE 754 bits.
    /// - Parameter bitPattern: The bits of each lane.
    init(bitPattern: Bits)
}

// Static on the vector type, as swift-numerics puts `Float.tanh` on `Float`: generic vector code
// reads `V.tanh(x)`, and nothing joins Foundation's module-scope `tanh` in overload resolution.
extension FloatVector {
    /// Sigmoid of every lane: `1 / (1 + e^-x)`.
    ///
    /// The same algorithm and bounds as the buffer functions (`.precise` 2 ulp, `.fast` 4 ulp,
    /// `.approximate` 2e-4 absolute), and lane for lane the same bits as the C kernels.
    /// - Parameters:
    ///   - x: The lanes.
    ///   - tier: The accuracy tier.
    @inlinable
    public static func sigmoid(_ x: Self, tier: Tier = .fast) -> Self { sigmoidLanes(x, tier: tier) }

    /// tanh of every lane, exactly odd.
    ///
    /// The same algorithm and bounds as the buffer functions (`.precise` 2 ulp, `.fast` 4 ulp,
    /// `.approximate` 2e-4 absolute), and lane for lane the same bits as the C kernels.
    /// - Parameters:
    ///   - x: The lanes.
    ///   - tier: The accuracy tier.
    @inlinable
    public static func tanh(_ x: Self, tier: Tier = .fast) -> Self { tanhLanes(x, tier: tier) }
}

extension SIMD4: FloatVector where Scalar == Float {
    /// The IEEE 754 bits of each lane.
    @inlinable public var bitPattern: SIMD4<UInt32> { unsafeBitCast(self, to: SIMD4<UInt32>.self) }
    /// Creates a vector whose lanes have these IEEE 754 bits.
    @inlinable public init(bitPattern: SIMD4<UInt32>) { self = unsafeBitCast(bitPattern, to: Self.self) }
}

extension SIMD8: FloatVector where Scalar == Float {
    /// The IEEE 754 bits of each lane.
    @inlinable public var bitPattern: SIMD8<UInt32> { unsafeBitCast(self, to: SIMD8<UInt32>.self) }
    /// Creates a vector whose lanes have these IEEE 754 bits.
    @inlinable public init(bitPattern: SIMD8<UInt32>) { self = unsafeBitCast(bitPattern, to: Self.self) }
}

extension SIMD16: FloatVector where Scalar == Float {
    /// The IEEE 754 bits of each lane.
    @inlinable public var bitPattern: SIMD16<UInt32> { unsafeBitCast(self, to: SIMD16<UInt32>.self) }
    /// Creates a vector whose lanes have these IEEE 754 bits.
    @inlinable public init(bitPattern: SIMD16<UInt32>) { self = unsafeBitCast(bitPattern, to: Self.self) }
}

// The algorithm of CKernels/src/activations.h, step for step, so that each lane is bitwise
// identical to the C kernels' result for the same tier (the tests check this).

/// e^(c*u) = (sc/|c|) (1 + c*w) with sc = |c|*2^n
@inlinable
func expParts<V: FloatVector>(_ u: V, _ p: TierParams) -> (sc: V, w: V) {
    let magic = V(repeating: p.magic)
    let t = magic.addingProduct(u, V(repeating: p.log2eC))
    let n = t - magic
    var r = u.addingProduct(n, V(repeating: p.ln2Hi))
    if p.ln2Lo != 0 { r = r.addingProduct(n, V(repeating: p.ln2Lo)) }
    var q = V(repeating: p[p.degree])
    for j in stride(from: p.degree - 1, through: 0, by: -1) {
        q = V(repeating: p[j]).addingProduct(q, r)
    }
    return (V(bitPattern: t.bitPattern &<< 23), r.addingProduct(r * r, q))
}

/// e^-x in the table form of CKernels/src/activations.h (`ck_exp_neg_table`): the fast sigmoid's.
@inlinable
func expNegTable<V: FloatVector>(_ x: V, _ p: TierParams, _ table: [Float]) -> V {
    let magic = V(repeating: p.magic)
    let t = magic.addingProduct(x, V(repeating: p.log2eC))
    let n = t - magic
    let r = x.addingProduct(n, V(repeating: p.ln2Hi)).addingProduct(n, V(repeating: p.ln2Lo))
    var hi = V(), lo = V()
    let bits = t.bitPattern
    for lane in 0..<V.scalarCount {
        let j = Int(bits[lane] & 31)
        hi[lane] = table[j]
        lo[lane] = table[32 + j]
    }
    let u = lo.addingProduct(hi, r)
    let poly = hi.addingProduct(u, V(repeating: p.s0).addingProduct(V(repeating: p.s1), r))
    // 2^floor(n): t's bits shifted left by 18 hold floor(n) + 127 in the exponent field
    return poly * V(bitPattern: (bits &<< 18) & V.Bits(repeating: 0x7f80_0000))
}

/// The piecewise form of the approximate tiers (`ck_piecewise_abs`): a quadratic per piece of |x|.
@inlinable
func piecewiseAbs<V: FloatVector>(_ x: V, _ p: Pieces) -> V {
    let magic = V(repeating: 0x1.8p23) // t = a*scale + magic rounds to k, held in t's low bits
    let a = minPropagatingNaN(V(bitPattern: x.bitPattern & V.Bits(repeating: 0x7fff_ffff)), p.clamp)
    let t = magic.addingProduct(a, V(repeating: p.scale))
    let d = (V(repeating: p.halfInvScale) - a).addingProduct(t - magic, V(repeating: p.invScale))
    var c0 = V(), c1 = V(), c2 = V()
    let bits = t.bitPattern
    for lane in 0..<V.scalarCount {
        let k = Int(bits[lane] & 31)
        c0[lane] = p.c0[k]; c1[lane] = p.c1[k]; c2[lane] = p.c2[k]
    }
    return c0.addingProduct(-c1.addingProduct(c2, d), d)
}

/// min(a, c), but NaN when `a` is NaN
@inlinable
func minPropagatingNaN<V: FloatVector>(_ a: V, _ c: Float) -> V {
    a.replacing(with: c, where: a .> c)
}

/// The body of `FloatVector.sigmoid(_:tier:)`, one generic function for every vector width.
@inlinable
func sigmoidLanes<V: FloatVector>(_ x: V, tier: Tier) -> V {
    let p = switch tier {
    case .precise: Constants.sigmoidPrecise
    case .fast: Constants.sigmoidFast
    case .approximate: Constants.sigmoidApproximate
    }
    let one = V(repeating: 1)
    if let pieces = p.pieces { // sigmoid(-a) = 1 - sigmoid(a)
        let y = piecewiseAbs(x, pieces)
        let negative = V.Bits(repeating: 0) &- (x.bitPattern &>> 31) // all ones where the sign bit is set
        return V(bitPattern: (y.bitPattern & ~negative) | ((one - y).bitPattern & negative))
    }
    let clamped = minPropagatingNaN(x, Constants.sigmoidClampHi)
    let den: V
    if let table = p.table {
        den = one + expNegTable(clamped, p, table)
    } else {
        let (s, w) = expParts(clamped, p)
        den = (one + s).addingProduct(-s, w) // 1 + e^-x = (1 + s) - s w
    }
    return (one / den).replacing(with: 0, where: x .< Constants.sigmoidFlushBelow)
}

/// The body of `FloatVector.tanh(_:tier:)`, one generic function for every vector width.
@inlinable
func tanhLanes<V: FloatVector>(_ x: V, tier: Tier) -> V {
    let p = switch tier {
    case .precise: Constants.tanhPrecise
    case .fast: Constants.tanhFast
    case .approximate: Constants.tanhApproximate
    }
    let signBit = V.Bits(repeating: 0x8000_0000)
    if let pieces = p.pieces {
        return V(bitPattern: piecewiseAbs(x, pieces).bitPattern | (x.bitPattern & signBit))
    }
    let a = V(bitPattern: x.bitPattern & ~signBit)
    let (s2, w) = expParts(minPropagatingNaN(a, Constants.tanhClampHi), p)
    // 1 - e^-2a = (1 - s) + 2 s w with s2 = 2s; 1 + e^-2a = 2 - that
    let num = V(repeating: 1).addingProduct(s2, V(repeating: -0.5)).addingProduct(s2, w)
    return V(bitPattern: (num / (V(repeating: 2) - num)).bitPattern | (x.bitPattern & signBit))
}
