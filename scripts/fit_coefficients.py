#!/usr/bin/env python3
"""Fit the polynomial and derive every constant the GateKernels activations use.

    python3 scripts/fit_coefficients.py --c  > CKernels/src/coefficients.h
    python3 scripts/fit_coefficients.py --swift > Sources/GateKernels/Coefficients.swift
    python3 scripts/fit_coefficients.py        # the report: constants and expected error

Both activations rest on one reduction of e^(c*u), c = -1 (sigmoid) or c = -2 (tanh):

    n  = round(c*u*log2(e))          (by the 1.5*2^23 "magic" addition, which also leaves the
                                      exponent bits of |c|*2^n in the low bits: one shift away)
    r  = u + n*ln2/|c|               (one or two FMAs: Cody-Waite split of ln2/|c|)
    w  = r + r^2 * S(r)              S: minimax polynomial of degree k, fitted here
    e^(c*u) = 2^n * (1 + c*w)

S is fitted on |r| <= ln2/(2|c|) so that the relative error that matters is minimax: of
1 + c*w against e^(c*r) for sigmoid (which needs 1 + e^(c*u)), of w against (e^(c*r) - 1)/c for
tanh (whose numerator 1 - e^(c*u) must stay accurate near 0), with equal error at both ends of
the interval so that e^(c*u) does not jump where n changes. The form r + r^2*S(r) is chosen
because it is monotone in float arithmetic (the r^2*S(r) term moves by less than one ulp of r
per step of r), which the kernels need for their zero-monotonicity-violation guarantee.

The fast sigmoid spends its 4-ulp budget on fewer operations: a table of 2^(j/32) in place of
most of the polynomial,

    k  = round(-x*32*log2(e))        (magic 1.5*2^18 + 127: the low 5 bits of t are j = k mod 32, and
                                      t's bits shifted left by 18 hold 2^floor(k/32) in the exponent)
    r  = x + (k/32)*ln2              (two FMAs, |r| <= ln2/64)
    e^-x = 2^floor(k/32) * T_j * e^-r,  e^-r ~ 1 + r (q1 + q2 r),  T_j = hi_j + lo_j

with q1, q2 minimax for the relative error of e^-r (equal at both ends, as above) and lo_j stored
divided by q1, because the kernel adds it as (hi r + lo/q1)(q1 + q2 r).

The fit is a linear program (minimise t subject to |weight*(F - S)| <= t on a dense grid), solved
in double precision; the coefficients are then rounded to float one at a time, highest degree
first, re-solving for the rest after each rounding. mpmath evaluates the target functions.
Everything printed is deterministic.
"""
import argparse
import struct
import sys

import mpmath as mp
import numpy as np
from scipy.optimize import linprog

mp.mp.dps = 40
LN2 = mp.log(2)
GRID = 6000


def f32(x):
    """Round to the nearest float32 (ties to even), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


def f32_from_mp(x):
    """Correctly round an mpmath number to float32 (via double: safe, 40 digits in, no double rounding
    issue at the precision we need because we re-check with nextafter below)."""
    d = float(x)
    f = f32(d)
    # repair a possible double-rounding: pick the float nearest to x among f and its neighbours
    cands = [f, float(np.nextafter(np.float32(f), np.float32(np.inf))),
             float(np.nextafter(np.float32(f), np.float32(-np.inf)))]
    return min(cands, key=lambda v: abs(mp.mpf(v) - x))


def hexf(x):
    """Exact hexadecimal literal, valid in both C and Swift (e.g. 0x1.62e4p-1)."""
    m, e = float(x).hex().split("p")
    m = m.rstrip("0").rstrip(".") if "." in m else m
    return f"{m}p{e}"


def target(c, r, criterion):
    """F(r) = (W(r) - r) / r^2 with W(r) = (e^(c r) - 1)/c, and the weight that turns an error in S
    into the relative error that matters: of e^(c r) = 1 + c W (criterion "e": sigmoid, which
    uses 1 + e), or of W itself (criterion "w": tanh, whose numerator 1 - e must stay accurate
    near 0; this also bounds the relative error of e)."""
    r = mp.mpf(r)
    if r == 0:
        return mp.mpf(c) / 2, mp.mpf(0)
    W = mp.expm1(c * r) / c
    weight = abs(c) * r * r / mp.exp(c * r) if criterion == "e" else r * r / abs(W)
    return (W - r) / (r * r), weight


def fit(c, degree, criterion):
    h = LN2 / (2 * abs(c))
    # Continuity across reduction intervals: the relative error of e must be the same at r = -h and
    # r = +h, or e^(c u) jumps where n changes and the result stops being monotone. Linear in S:
    # sum_j s_j (c h^(2+j) e^(-ch) - c (-h)^j h^2 e^(ch)) = (1 - ch) e^(ch) - (1 + ch) e^(-ch).
    hm = mp.mpf(h)
    eq_row = np.array([float(c * hm ** (2 + j) * mp.exp(-c * hm) - c * (-hm) ** j * hm ** 2 * mp.exp(c * hm))
                       for j in range(degree + 1)])
    eq_rhs = float((1 - c * hm) * mp.exp(c * hm) - (1 + c * hm) * mp.exp(-c * hm))
    # Chebyshev-like grid, denser at the ends where the extrema sit
    xs = [h * mp.cos(mp.pi * (i + 0.5) / GRID) for i in range(GRID)]
    F = np.array([float(target(c, x, criterion)[0]) for x in xs])
    # weight in units of 2^-24 so that the solver's absolute tolerances sit far below the error
    Wt = np.array([float(target(c, x, criterion)[1]) for x in xs]) * 2.0 ** 24
    X = np.array([float(x) for x in xs])
    fixed = {}
    for _ in range(degree + 1):
        free = [j for j in range(degree + 1) if j not in fixed]
        rhs = F - sum(fixed[j] * X ** j for j in fixed) if fixed else F.copy()
        V = np.stack([X ** j for j in free], axis=1)
        nv = len(free)
        # variables: coefficients (free), t. minimise t.
        A1 = np.hstack([Wt[:, None] * V, -np.ones((GRID, 1))])    #  w(S - F) <= t
        A2 = np.hstack([-Wt[:, None] * V, -np.ones((GRID, 1))])   # -w(S - F) <= t
        A = np.vstack([A1, A2])
        b = np.concatenate([Wt * rhs, -Wt * rhs])
        cost = np.zeros(nv + 1)
        cost[-1] = 1.0
        A_eq = np.append(eq_row[free], 0.0)[None, :] * 2.0 ** 24
        b_eq = np.array([eq_rhs - sum(fixed[j] * eq_row[j] for j in fixed)]) * 2.0 ** 24
        res = linprog(cost, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=b_eq,
                      bounds=[(None, None)] * nv + [(0, None)], method="highs")
        if not res.success:
            sys.exit("fit failed: " + res.message)
        hi = max(free)
        fixed[hi] = f32(res.x[free.index(hi)])
    coeffs = [fixed[j] for j in range(degree + 1)]
    return coeffs, h


def rel_errors(c, coeffs, h, samples=20001):
    """Max relative errors of w against (e^(c r) - 1)/c and of 1 + c w against e^(c r), in exact
    arithmetic with the float coefficients."""
    worst_w = worst_e = mp.mpf(0)
    for i in range(samples):
        r = -h + 2 * h * i / (samples - 1)
        if r == 0:
            continue
        S = mp.mpf(0)
        for a in reversed(coeffs):
            S = S * r + mp.mpf(a)
        w = r + r * r * S
        worst_w = max(worst_w, abs(w / (mp.expm1(c * r) / c) - 1))
        worst_e = max(worst_e, abs((1 + c * w) / mp.exp(c * r) - 1))
    return worst_w, worst_e


def ln2_split(scale, bits):
    """ln2/scale as hi + lo where hi keeps `bits` significant bits, so n*hi is exact for |n| < 2^(24-bits)."""
    v = LN2 / scale
    m, e = mp.frexp(v)
    hi = mp.ldexp(mp.floor(mp.ldexp(m, bits)), e - bits)
    return f32_from_mp(hi), f32_from_mp(v - hi)


TABLE_BITS = 5


def fit_table_poly():
    """q1, q2 of e^-r ~ 1 + r (q1 + q2 r) on |r| <= ln2/64: minimax relative error, equal at both
    ends (continuity where k changes), rounded to float q2 first, then q1 re-solved."""
    h = LN2 / 2 ** (TABLE_BITS + 1)
    xs = [h * mp.cos(mp.pi * (i + 0.5) / GRID) for i in range(GRID)] + [h, -h]
    X = np.array([float(x) for x in xs])
    E = np.array([float(mp.exp(-x)) for x in xs])
    fixed = {}
    for _ in range(2):
        free = [j for j in (1, 2) if j not in fixed]
        base = ((1 + sum(fixed[j] * X ** j for j in fixed)) / E - 1) * 2.0 ** 24
        V = np.stack([X ** j / E for j in free], axis=1) * 2.0 ** 24
        ones = np.ones((len(X), 1))
        A = np.vstack([np.hstack([V, -ones]), np.hstack([-V, -ones])])
        b = np.concatenate([-base, base])
        A_eq = np.append(V[-2] - V[-1], 0.0)[None, :]
        b_eq = np.array([base[-1] - base[-2]])
        res = linprog(np.r_[np.zeros(len(free)), 1.0], A_ub=A, b_ub=b, A_eq=A_eq, b_eq=b_eq,
                      bounds=[(None, None)] * len(free) + [(0, None)], method="highs")
        if not res.success:
            sys.exit("table fit failed: " + res.message)
        hi = max(free)
        fixed[hi] = f32(res.x[free.index(hi)])
    q1, q2 = fixed[1], fixed[2]
    err = max(abs((1 + mp.mpf(r) * (q1 + q2 * mp.mpf(r))) / mp.exp(-mp.mpf(r)) - 1)
              for r in np.linspace(-float(h), float(h), 20001))
    return q1, q2, h, err


def exp2_table(q1):
    """hi_j = 2^(j/32) rounded to float, then lo_j = (2^(j/32) - hi_j) / q1 rounded to float."""
    hi, lo = [], []
    for j in range(2 ** TABLE_BITS):
        v = mp.power(2, mp.mpf(j) / 2 ** TABLE_BITS)
        hi.append(f32_from_mp(v))
        lo.append(f32_from_mp((v - mp.mpf(hi[-1])) / mp.mpf(q1)))
    return hi + lo


# The approximate tiers need only an absolute error of 2e-4, so they skip e^x and its division: a
# quadratic per piece of a = |x|, then sigmoid(-a) = 1 - sigmoid(a), tanh(-a) = -tanh(a). Piece k is
# centred on k/scale (k = round(a*scale), looked up in tables); both functions are concave for
# a >= 0, so each piece is written from a point R = k/scale + h at or past its right end, with h the
# power of 2 at or above 1/(2 scale) (so that piece 0 can be exact at a = 0), and d = R - a >= 0:
#     p = c0 - d (c1 + c2 d),  c1, c2 >= 0
# Every step is then monotone in float arithmetic (d falls as a grows; c1 + c2 d and d (c1 + c2 d)
# rise with d and stay >= 0), and each piece starts above the function and ends below it by
# PIECE_STEP, so the pieces meet in an upward step: the result is monotone, provably. Piece 0 gives
# exactly f(0) at a = 0 (sigmoid 1/2, tanh 0, so also for denormal a), and the piece at
# round(clamp*scale) is the constant 1: saturation, reached exactly.
PIECES = [  # (name, function, scale, clamp): 30 pieces and saturation (1 - f < 1.2e-4 from there)
    ("SIGMOID", lambda a: 1 / (1 + mp.exp(-a)), 3.0, 10.0),
    ("TANH", mp.tanh, 6.0, 5.0),
]
PIECE_COUNT = 32  # table entries per coefficient; the ones past saturation repeat it
PIECE_STEP = 2e-6


def piece_value(c, d):
    """p(d) as the kernel computes it: two FMAs, each rounded once to float"""
    v = f32(mp.mpf(c[1]) + mp.mpf(c[2]) * mp.mpf(d))
    return f32(mp.mpf(c[0]) - mp.mpf(d) * mp.mpf(v))


def fit_pieces(f, scale, clamp, grid=400):
    """Per piece, the quadratic with the least maximum error under the constraints above (a linear
    program). Returns the 3 x PIECE_COUNT table and the maximum error, saturation included."""
    inv, h = f32(1 / scale), half_inv_scale(scale)  # as the kernel has them: d = k*inv + (h - a)
    saturated = round(clamp * scale)
    cols, worst = [], 0.0
    for k in range(saturated):
        right = k * inv + h
        ds = np.linspace(float(right - (k + 0.5) / scale), h if k == 0 else float(right - (k - 0.5) / scale), grid)
        F = np.array([float(f(mp.mpf(right) - mp.mpf(d))) for d in ds])
        V = np.stack([np.ones(grid), -ds, -ds ** 2], axis=1)  # p = V . (c0, c1, c2)
        ones = np.ones((grid, 1))
        A = [np.hstack([V, -ones]), np.hstack([-V, -ones]), np.append(V[0], 0.0)[None, :]]
        b = [F, -F, [F[0] - PIECE_STEP]]  # within t of f; the right end below f
        A_eq = b_eq = None
        if k == 0:  # exactly f(0) at a = 0, where d = h
            A_eq, b_eq = np.append(V[-1], 0.0)[None, :], [float(f(0))]
        else:  # the left end above f
            A.append(np.append(-V[-1], 0.0)[None, :])
            b.append([-F[-1] - PIECE_STEP])
        res = linprog(np.r_[np.zeros(3), 1.0], A_ub=np.vstack(A) * 1e4, b_ub=np.concatenate(b) * 1e4,
                      A_eq=None if A_eq is None else A_eq * 1e4, b_eq=None if b_eq is None else np.array(b_eq) * 1e4,
                      bounds=[(None, None)] + [(0, None)] * 2 + [(0, None)], method="highs")
        if not res.success:
            sys.exit("piece fit failed: " + res.message)
        c = [f32(v) for v in res.x[:3]]
        if k == 0:
            c = exact_at_zero(c, float(f(0)), h)
        worst = max(worst, max(abs(piece_value(c, d) - y) for d, y in zip(ds, F)))
        cols.append(c)
    worst = max(worst, float(1 - f((mp.mpf(saturated) - 0.5) / scale)))  # the saturated piece
    cols += [[1.0, 0.0, 0.0]] * (PIECE_COUNT - saturated)
    return [[col[j] for col in cols] for j in range(3)], worst


def half_inv_scale(scale):
    return 2.0 ** np.ceil(np.log2(0.5 / scale))


def exact_at_zero(c, f0, h):
    """Piece 0 after rounding to float: nudge c1 by ulps until f0 + h*v(h) is a float (h is a power
    of 2), then c0 = f0 + h*v(h) exactly, so that p(h) = c0 - h*v(h) = f0 with no rounding."""
    for nudge in range(64):
        c1 = float(np.float32(c[1]) + np.float32(nudge) * np.spacing(np.float32(c[1])))
        v = f32(mp.mpf(c1) + mp.mpf(c[2]) * h)
        c0 = f0 + h * v
        if f32(c0) == c0:
            return [c0, c1, c[2]]
    sys.exit("no exact piece 0")


# (name, c, degree of S, two-step reduction, criterion) for every tier. Sigmoid reduces arguments
# up to |n| = 126, where a one-constant ln2 is off by 126*2e-9 in r: two steps. tanh only sees n
# in [-28, 0]: one step is enough.
CONFIGS = [
    ("SIGMOID_PRECISE", -1, 4, True, "e"),
    ("TANH_PRECISE", -2, 5, False, "w"),
    ("TANH_FAST", -2, 4, False, "w"),
]


def derive():
    out = {}
    # sigmoid(x) < 2^-126 (subnormal) below this x: the kernels return 0 there.
    lo = -126 * LN2 - mp.log1p(mp.ldexp(1, -126))
    x = f32_from_mp(lo)
    while 1 / (1 + mp.exp(-mp.mpf(x))) < mp.ldexp(1, -126):
        x = float(np.nextafter(np.float32(x), np.float32(np.inf)))
    out["SIGMOID_FLUSH_BELOW"] = x
    # Clamp points past which the result is exactly 1 in float with margin: e^(-x) < 2^-27 for
    # sigmoid (1 + e rounds to 1), 2 e^(-2x) < 2^-28 for tanh (both 1 - e and 1 + e round to 1).
    out["SIGMOID_CLAMP_HI"] = f32_from_mp(mp.ceil(27 * LN2))
    out["TANH_CLAMP_HI"] = f32_from_mp(mp.ceil(29 * LN2 / 2))
    out["LOG2E"] = f32_from_mp(1 / LN2)
    tiers = []
    for name, c, degree, two_step, criterion in CONFIGS:
        coeffs, h = fit(c, degree, criterion)
        if two_step:
            hi, lo_ = ln2_split(abs(c), 16)
        else:
            hi, lo_ = f32_from_mp(LN2 / abs(c)), 0.0
        err_w, err = rel_errors(c, coeffs, h)
        magic = f32(1.5 * 2 ** 23 + 127 + (abs(c).bit_length() - 1))  # exact: |c| is a power of 2
        tiers.append(dict(name=name, c=c, degree=degree, magic=magic, log2e_c=f32_from_mp(c / LN2), ln2_hi=hi,
                          ln2_lo=lo_, coeffs=coeffs, h=float(h), err=float(err),
                          err_w=float(err_w)))
    q1, q2, h, err = fit_table_poly()
    hi, lo_ = ln2_split(1, 16)
    tiers.insert(1, dict(name="SIGMOID_FAST", c=-1, degree=1, magic=f32(1.5 * 2 ** 18 + 127),
                         log2e_c=f32_from_mp(-1 / LN2), ln2_hi=hi, ln2_lo=lo_, coeffs=[q1, q2], h=float(h),
                         err=float(err), err_w=None, table=True))
    for name, f, scale, clamp in PIECES:
        table, err = fit_pieces(f, scale, clamp)
        tiers.insert(2 if name == "SIGMOID" else 5, dict(name=name + "_APPROXIMATE", pieces=name, scale=scale,
                                                          clamp=clamp, table=table, err=err))
    out["tiers"] = tiers
    out["EXP2_TABLE"] = exp2_table(q1)
    return out


def rows_literal(vals, suffix, per_row=8, indent="    "):
    rows = [", ".join(hexf(v) + suffix for v in vals[i:i + per_row]) for i in range(0, len(vals), per_row)]
    return (",\n" + indent).join(rows)


def camel(name):
    words = name.lower().split("_")
    return words[0] + "".join(w.capitalize() for w in words[1:])


def describe(t):
    if "pieces" in t:
        return (f"{PIECE_COUNT}-entry tables of quadratics in |x|, pieces of width 1/{t['scale']:g} from their right ends, saturated "
                f"from {(round(t['clamp'] * t['scale']) - 0.5) / t['scale']:.6g}: absolute error {t['err']:.3e}")
    if t.get("table"):
        return (f"c = {t['c']}, 32-entry table of 2^(j/32), |r| <= {t['h']:.6f}, e^-r ~ 1 + r (q1 + q2 r): "
                f"relative error {t['err']:.3e} ({t['err'] * 2 ** 24:.3f} x 2^-24)")
    return (f"c = {t['c']}, |r| <= {t['h']:.6f}, degree {t['degree'] + 2} in all: "
            f"relative error of w {t['err_w']:.3e}, of e {t['err']:.3e} ({t['err'] * 2 ** 24:.3f} x 2^-24)")


def emit_c(d):
    p = print
    p("/* Generated by scripts/fit_coefficients.py --c; do not edit.")
    p(" * Regenerate: python3 scripts/fit_coefficients.py --c > CKernels/src/coefficients.h */")
    p("#ifndef CK_COEFFICIENTS_H")
    p("#define CK_COEFFICIENTS_H")
    p("")
    p("#define CK_MAX_DEGREE 5")
    p(f"#define CK_PIECE_COUNT {PIECE_COUNT}")
    p("/* The piecewise form (approximate tiers): a = min(|x|, clamp), k = round(a * scale),")
    p(" * d = k * inv_scale + (half_inv_scale - a) >= 0, p = c[0][k] - d (c[1][k] + c[2][k] d) */")
    p("typedef struct {")
    p("    float scale, inv_scale, half_inv_scale, clamp;")
    p("    float c[3][CK_PIECE_COUNT];")
    p("} ck_pieces;")
    p("")
    p("/* One tier of one function: the exp form (pieces == NULL) or the piecewise form. */")
    p("typedef struct {")
    p("    float magic;          /* 1.5*2^23 + 127 + log2|c|: t = u*log2e_c + magic rounds to n and holds")
    p("                             the exponent bits of |c|*2^n (table form: 1.5*2^18 + 127, n = k/32) */")
    p("    float log2e_c;        /* c*log2(e): n = round(u*log2e_c), by the magic shifter */")
    p("    float ln2_hi, ln2_lo; /* ln2/|c| = hi + lo (lo = 0: one-step reduction) */")
    p("    int degree;           /* degree of S */")
    p("    float s[CK_MAX_DEGREE + 1]; /* S(r) = s[0] + s[1] r + ...; w = r + r^2 S(r) (table form: q1, q2) */")
    p("    const float *table;   /* NULL, or 2^(j/32) as 32 hi then 32 lo/q1: the table form of the fast sigmoid */")
    p("    const ck_pieces *pieces;")
    p("} ck_tier_params;")
    p("")
    p(f"#define CK_SIGMOID_FLUSH_BELOW {hexf(d['SIGMOID_FLUSH_BELOW'])}f /* {d['SIGMOID_FLUSH_BELOW']!r} */")
    p(f"#define CK_SIGMOID_CLAMP_HI {hexf(d['SIGMOID_CLAMP_HI'])}f /* {d['SIGMOID_CLAMP_HI']!r} */")
    p(f"#define CK_TANH_CLAMP_HI {hexf(d['TANH_CLAMP_HI'])}f /* {d['TANH_CLAMP_HI']!r} */")
    p("")
    p("/* 2^(j/32): hi_j rounded to float, then lo_j = (2^(j/32) - hi_j) / q1 */")
    p(f"static const float CK_EXP2_TABLE[{len(d['EXP2_TABLE'])}] = {{\n    {rows_literal(d['EXP2_TABLE'], 'f')} }};")
    p("")
    for t in d["tiers"]:
        p(f"/* {describe(t)} */")
        if "pieces" in t:
            cols = ",\n      ".join("{ " + rows_literal(col, "f", indent="        ") + " }" for col in t["table"])
            p(f"static const ck_pieces CK_PIECES_{t['name']} = {{ {hexf(t['scale'])}f, {hexf(f32(1 / t['scale']))}f, "
              f"{hexf(half_inv_scale(t['scale']))}f, {hexf(t['clamp'])}f, {{\n      {cols} }} }};")
            p(f"static const ck_tier_params CK_{t['name']} = {{ .pieces = &CK_PIECES_{t['name']} }};")
            continue
        cs = ", ".join(hexf(v) + "f" for v in t["coeffs"] + [0.0] * (5 - t["degree"]))
        table = "CK_EXP2_TABLE" if t.get("table") else "0"
        p(f"static const ck_tier_params CK_{t['name']} = {{ {hexf(t['magic'])}f, {hexf(t['log2e_c'])}f, "
          f"{hexf(t['ln2_hi'])}f, {hexf(t['ln2_lo'])}f, {t['degree']}, {{ {cs} }}, {table}, 0 }};")
    p("")
    p("#endif")


def emit_swift(d):
    p = print
    p("// Generated by scripts/fit_coefficients.py --swift; do not edit.")
    p("// Regenerate: python3 scripts/fit_coefficients.py --swift > Sources/GateKernels/Coefficients.swift")
    p("")
    p("/// The piecewise form of the approximate tiers: a = min(|x|, clamp), k = round(a * scale),")
    p("/// d = k * invScale + (halfInvScale - a) >= 0, p = c0[k] - d (c1[k] + c2[k] d).")
    p("@usableFromInline")
    p("struct Pieces: Sendable {")
    p("    @usableFromInline let scale: Float, invScale: Float, halfInvScale: Float, clamp: Float")
    p("    @usableFromInline let c0: [Float], c1: [Float], c2: [Float]")
    p("    @inlinable init(scale: Float, invScale: Float, halfInvScale: Float, clamp: Float,")
    p("                    _ c0: [Float], _ c1: [Float], _ c2: [Float]) {")
    p("        self.scale = scale; self.invScale = invScale; self.halfInvScale = halfInvScale; self.clamp = clamp")
    p("        self.c0 = c0; self.c1 = c1; self.c2 = c2")
    p("    }")
    p("}")
    p("")
    p("/// One tier of one function, the same numbers as the C kernels: the exp form (the reduction")
    p("/// constants and polynomial S, and for the fast sigmoid its table), or the piecewise form.")
    p("@usableFromInline")
    p("struct TierParams: Sendable {")
    p("    @usableFromInline let magic: Float, log2eC: Float, ln2Hi: Float, ln2Lo: Float")
    p("    @usableFromInline let degree: Int")
    p("    @usableFromInline let s0: Float, s1: Float, s2: Float, s3: Float, s4: Float, s5: Float")
    p("    /// nil, or 2^(j/32) as 32 hi then 32 lo/q1: the table form of the fast sigmoid")
    p("    @usableFromInline let table: [Float]?")
    p("    @usableFromInline let pieces: Pieces?")
    p("    @inlinable init(magic: Float, log2eC: Float, ln2Hi: Float, ln2Lo: Float, degree: Int,")
    p("                    _ s0: Float, _ s1: Float, _ s2: Float, _ s3: Float, _ s4: Float, _ s5: Float,")
    p("                    table: [Float]? = nil) {")
    p("        self.magic = magic; self.log2eC = log2eC; self.ln2Hi = ln2Hi; self.ln2Lo = ln2Lo; self.degree = degree")
    p("        self.s0 = s0; self.s1 = s1; self.s2 = s2; self.s3 = s3; self.s4 = s4; self.s5 = s5; self.table = table")
    p("        self.pieces = nil")
    p("    }")
    p("    @inlinable init(pieces: Pieces) {")
    p("        self.magic = 0; self.log2eC = 0; self.ln2Hi = 0; self.ln2Lo = 0; self.degree = 0")
    p("        self.s0 = 0; self.s1 = 0; self.s2 = 0; self.s3 = 0; self.s4 = 0; self.s5 = 0; self.table = nil")
    p("        self.pieces = pieces")
    p("    }")
    p("    @inlinable subscript(j: Int) -> Float {")
    p("        switch j { case 0: s0; case 1: s1; case 2: s2; case 3: s3; case 4: s4; default: s5 }")
    p("    }")
    p("}")
    p("")
    p("@usableFromInline")
    p("enum Constants {")
    p(f"    @usableFromInline static let sigmoidFlushBelow: Float = {hexf(d['SIGMOID_FLUSH_BELOW'])}")
    p(f"    @usableFromInline static let sigmoidClampHi: Float = {hexf(d['SIGMOID_CLAMP_HI'])}")
    p(f"    @usableFromInline static let tanhClampHi: Float = {hexf(d['TANH_CLAMP_HI'])}")
    p(f"    @usableFromInline static let exp2Table: [Float] = [\n        {rows_literal(d['EXP2_TABLE'], '', indent='        ')}]")
    for t in d["tiers"]:
        name = camel(t["name"])
        if "pieces" in t:
            cols = ",\n            ".join("[" + rows_literal(col, "", indent="             ") + "]" for col in t["table"])
            p(f"    @usableFromInline static let {name} = TierParams(pieces: Pieces(scale: {hexf(t['scale'])}, "
              f"invScale: {hexf(f32(1 / t['scale']))}, halfInvScale: {hexf(half_inv_scale(t['scale']))}, "
              f"clamp: {hexf(t['clamp'])},\n            {cols}))")
            continue
        cs = ", ".join(hexf(v) for v in t["coeffs"] + [0.0] * (5 - t["degree"]))
        table = ", table: exp2Table" if t.get("table") else ""
        p(f"    @usableFromInline static let {name} = TierParams(magic: {hexf(t['magic'])}, log2eC: {hexf(t['log2e_c'])}, "
          f"ln2Hi: {hexf(t['ln2_hi'])}, ln2Lo: {hexf(t['ln2_lo'])}, degree: {t['degree']}, {cs}{table})")
    p("}")


def report(d):
    for k in ("SIGMOID_FLUSH_BELOW", "SIGMOID_CLAMP_HI", "TANH_CLAMP_HI", "LOG2E"):
        print(f"{k:22s} {d[k]!r:>24} {hexf(d[k])}")
    for t in d["tiers"]:
        print(f"{t['name']:22s} {describe(t)}")
        if "pieces" not in t:
            print(f"    ln2 = ({hexf(t['ln2_hi'])}, {hexf(t['ln2_lo'])}), S =", ", ".join(repr(v) for v in t["coeffs"]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--c", action="store_true", help="print the C header")
    g.add_argument("--swift", action="store_true", help="print the Swift constants")
    a = ap.parse_args()
    data = derive()
    emit_c(data) if a.c else emit_swift(data) if a.swift else report(data)
