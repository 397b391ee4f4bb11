#!/usr/bin/env python3
"""Integer model of the packed weight-stationary DSP48E2 column (ws_col_pack.v) and the bounds.

P = sum_r a_r * (w_hi_r * 2^SH + w_lo_r) = 2^SH * H + L,  H = sum a*w_hi,  L = sum a*w_lo.
Segments of n rows start with the bias 2^(SH-1) (RND); at a segment end Pb = 2^SH*Hc + u with
u = L_seg + 2^(SH-1) in [0, 2^SH) iff -2^(SH-1) <= L_seg < 2^(SH-1); then
Hc = floor(Pb / 2^SH) (= Pb >>> SH) and L_seg = u - 2^(SH-1). The first DSP of the next segment
adds C + CARRYIN = 2^(SH-1) - u, leaving 2^SH*Hc + 2^(SH-1) in the cascade.
"""
import random

M48 = (1 << 48) - 1
def s48(x):            # 48-bit two's complement wrap, as the DSP's P
    x &= M48
    return x - (1 << 48) if x >> 47 else x

def products_bounds(arange, wrange):
    ps = [a * w for a in arange for w in (min(wrange), max(wrange))]
    return max(ps), -min(ps)

def n_max(sh, pmax_pos, pmax_neg):
    # need n*pmax_pos <= 2^(sh-1) - 1 and n*pmax_neg <= 2^(sh-1)
    return min(((1 << (sh - 1)) - 1) // pmax_pos, (1 << (sh - 1)) // pmax_neg)

full = range(-128, 128); narrow = range(-127, 128)
print("bounds (max positive product, max |negative product|) and segment length n_max:")
for sh in (18, 19):
    for an, ar in (("a int8", full),):
        for wn, wr in (("w_lo full", full), ("w_lo narrow [-127,127]", narrow)):
            pp, pn = products_bounds(ar, wr)
            print(f"  SH={sh} {an}, {wn}: +{pp} / -{pn} -> n_max = {n_max(sh, pp, pn)}")

# The packed operand must fit the 27-bit signed multiplier port (A or pre-adder output).
for sh in (18, 19):
    bad = [(h, l) for h in full for l in full if not -(1 << 26) <= h * (1 << sh) + l < (1 << 26)]
    print(f"SH={sh}: packed operands outside 27-bit signed range: {len(bad)}"
          + (f" (all with w_hi = -128: {all(h == -128 for h, _ in bad)})" if bad else ""))

def column(a, whi, wlo, n, sh):
    """Return (H, L) extracted by the column, following ws_col_pack.v (FIXMODE=0)."""
    bias = 1 << (sh - 1)
    R = len(a); P = 0; lacc = 0
    for r in range(R):
        wp = whi[r] * (1 << sh) + wlo[r]
        assert -(1 << 26) <= wp < (1 << 26)
        m = a[r] * wp
        if r == 0:
            P = s48(bias + m)
        elif r % n == 0:
            u = (P & ((1 << sh) - 1))
            P = s48(P + (bias - u) + m)          # C + CARRYIN = bias - u
        else:
            P = s48(P + m)
        if r % n == n - 1 or r == R - 1:         # segment end
            u = P & ((1 << sh) - 1)
            lacc += u - bias
    return P >> sh, lacc                         # Python >> is floor division (arithmetic shift)

def check(n, sh, trials, narrow_hi, extremes):
    rng = random.Random(n * 100 + sh)
    fails = 0
    for t in range(trials):
        R = rng.randint(1, 40)
        pool_a = [-128, 127] if extremes and t % 2 else list(full)
        a = [rng.choice(pool_a) for _ in range(R)]
        hi_pool = list(narrow if narrow_hi else full)
        whi = [rng.choice(hi_pool if not (extremes and t % 2) else [hi_pool[0], 127]) for _ in range(R)]
        wlo = [rng.choice(pool_a if extremes and t % 2 else list(full)) for _ in range(R)]
        if t % 7 == 0:                           # the all -128 worst case for the low field
            a = [-128] * R; wlo = [-128] * R
        H, L = column(a, whi, wlo, n, sh)
        if (H, L) != (sum(x * y for x, y in zip(a, whi)), sum(x * y for x, y in zip(a, wlo))):
            fails += 1
    return fails

print("random + worst-case columns (R = 1..40), mismatches:")
for n, sh, nh in ((7, 18, False), (8, 18, False), (15, 19, True), (16, 19, True)):
    print(f"  n={n} SH={sh} narrow w_hi={nh}: {check(n, sh, 4000, nh, True)} / 4000")
