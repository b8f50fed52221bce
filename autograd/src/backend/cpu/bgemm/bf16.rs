//! f32 → bf16, round to nearest, ties to even: the one conversion the bf16 GEMM's operands go
//! through, written once here in scalar form ([`round`]) and once in AVX-512 lanes ([`x86`]),
//! tested to give the same bits.
//!
//! bf16 is the top half of an f32: sign, the same 8 exponent bits, 7 of the 23 fraction bits. The
//! conversion adds half of the dropped low half's range, minus one unless the kept last bit is 1,
//! and drops the low half: `(u + 0x7FFF + ((u >> 16) & 1)) >> 16` on the bits `u`. Below the
//! midpoint nothing carries into the kept bits, above it one does, and at the midpoint exactly
//! (`0x8000`) the carry happens only when the kept last bit is odd — ties to even. A carry out of
//! the fraction raises the exponent, which is the right rounding too: the largest finite values
//! round to ∞ (overflow, as RNE prescribes), never wrap. NaN needs care: its fraction may lie all
//! in the dropped half (`0x7F80_0001`), whose truncation would be ∞, so a NaN keeps its top half
//! with the quiet bit set.
//!
//! [`daz`] then replaces a subnormal bf16 by a zero of the same sign: `vdpbf16ps` treats subnormal
//! operands as zero, and the packing applies that once so that the portable kernel multiplies the
//! same values (see the bits in [`super`]).

/// `x` rounded to bf16 (its bits), to nearest with ties to even; ±∞ past the largest finite bf16;
/// a NaN stays a (quiet) NaN of the same sign.
#[inline(always)]
pub fn round(x: f32) -> u16 {
    let u = x.to_bits();
    if x.is_nan() {
        return ((u >> 16) | 0x40) as u16;
    }
    ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) as u16
}

/// A subnormal bf16 (exponent bits zero, fraction not) flushed to the zero of its sign; other
/// values unchanged.
#[inline(always)]
pub fn daz(h: u16) -> u16 {
    if h & 0x7F80 == 0 {
        h & 0x8000
    } else {
        h
    }
}

/// The value a packed operand holds: `x` rounded ([`round`]), subnormals flushed ([`daz`]).
#[inline(always)]
pub fn pack(x: f32) -> u16 {
    daz(round(x))
}

/// Two packed values as one pair, the even `p` in the low half (where `vdpbf16ps` takes element
/// `2i`), the odd in the high half.
#[inline(always)]
pub fn pair(even: f32, odd: f32) -> u32 {
    pack(even) as u32 | (pack(odd) as u32) << 16
}

/// The f32 a bf16 stands for.
#[inline(always)]
pub fn widen(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    use std::arch::x86_64::*;

    /// [`super::pack`] on 16 lanes, each result in the high half of its lane (low half zero), the
    /// same integer arithmetic: the rounding bias, the NaN case, the flush of subnormals.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn pack_high(x: __m512) -> __m512i {
        let u = _mm512_castps_si512(x);
        let lsb = _mm512_and_si512(_mm512_srli_epi32::<16>(u), _mm512_set1_epi32(1));
        let rounded = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb);
        // NaN: |u| > 0x7F80_0000; keep its top half, quiet bit set.
        let abs = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFF_FFFF));
        let nan = _mm512_cmpgt_epi32_mask(abs, _mm512_set1_epi32(0x7F80_0000));
        let v = _mm512_mask_mov_epi32(
            rounded,
            nan,
            _mm512_or_si512(u, _mm512_set1_epi32(0x0040_0000)),
        );
        let v = _mm512_and_si512(v, _mm512_set1_epi32(0xFFFF_0000u32 as i32));
        // A zero exponent: keep only the sign.
        let exp = _mm512_and_si512(v, _mm512_set1_epi32(0x7F80_0000));
        let sub = _mm512_cmpeq_epi32_mask(exp, _mm512_setzero_si512());
        _mm512_mask_and_epi32(v, sub, v, _mm512_set1_epi32(0x8000_0000u32 as i32))
    }

    /// Pairs from two rows: lane `j` of the result is [`super::pair`]`(even[j], odd[j])`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub fn pairs_of_rows(even: __m512, odd: __m512) -> __m512i {
        _mm512_or_si512(_mm512_srli_epi32::<16>(pack_high(even)), pack_high(odd))
    }

    /// Pairs from one line: lane `q` of the result is [`super::pair`]`(x[2q], x[2q + 1])` for the
    /// 32 values `x` of `lo` (0–15) and `hi` (16–31).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw")]
    pub fn pairs_of_line(lo: __m512, hi: __m512) -> __m512i {
        // The high halves of the 32 lanes, as 16-bit words 1, 3, 5, … of lo then of hi.
        let idx = _mm512_set_epi16(
            63, 61, 59, 57, 55, 53, 51, 49, 47, 45, 43, 41, 39, 37, 35, 33, 31, 29, 27, 25, 23, 21,
            19, 17, 15, 13, 11, 9, 7, 5, 3, 1,
        );
        _mm512_permutex2var_epi16(pack_high(lo), idx, pack_high(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nearest bf16 by distance, in f64, ties to the even one: the definition [`round`] must
    /// meet, for finite `x`.
    fn nearest(x: f32) -> u16 {
        let u = x.to_bits();
        // The bf16 values either side of x: its top half, and the next one away from zero, whose
        // value is ∞ past the largest finite one but which RNE reaches as if it were 2¹²⁸.
        let (down, up) = ((u >> 16) as u16, ((u >> 16) + 1) as u16);
        let up_value = if up & 0x7FFF == 0x7F80 {
            2f64.powi(128).copysign(x as f64)
        } else {
            widen(up) as f64
        };
        let (dd, du) = (
            (x as f64 - widen(down) as f64).abs(),
            (x as f64 - up_value).abs(),
        );
        if dd < du || (dd == du && down & 1 == 0) {
            down
        } else {
            up
        }
    }

    fn special() -> Vec<f32> {
        let mut v = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f32::MIN_POSITIVE,
            f32::MAX,
            -f32::MAX,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7F80_0001), // a signalling NaN whose payload is all in the low half
            f32::from_bits(0xFF80_0001),
            f32::from_bits(0x7FC0_0000),
            f32::from_bits(0x0000_0001),
            f32::from_bits(0x007F_FFFF),
            f32::from_bits(0x807F_FFFF),
            f32::from_bits(0x7F7F_7FFF),
            f32::from_bits(0x7F7F_8000), // a tie past the largest finite bf16: to ∞
            f32::from_bits(0x7F7F_8001),
        ];
        // Every tie, both parities, and its neighbours, at a few exponents.
        for hi in [
            0x3F80u32, 0x3F81, 0x4049, 0xC049, 0x0080, 0x0081, 0x7F00, 0x7F01,
        ] {
            for lo in [0x7FFF, 0x8000, 0x8001] {
                v.push(f32::from_bits(hi << 16 | lo));
            }
        }
        v
    }

    #[test]
    fn rounds_to_nearest_with_ties_to_even() {
        // Every top half, with the low halves where rounding changes: just below, at and just
        // above the tie, and the ends.
        for hi in 0..=0xFFFFu32 {
            for lo in [
                0,
                1,
                0x7FFF,
                0x8000,
                0x8001,
                0xFFFF,
                hi.wrapping_mul(40503) & 0xFFFF,
            ] {
                let x = f32::from_bits(hi << 16 | lo);
                if !x.is_finite() {
                    continue;
                }
                assert_eq!(round(x), nearest(x), "{:#010x}", x.to_bits());
            }
        }
        assert_eq!(
            round(f32::from_bits(0x3F80_8000)),
            0x3F80,
            "tie to even, down"
        );
        assert_eq!(
            round(f32::from_bits(0x3F81_8000)),
            0x3F82,
            "tie to even, up"
        );
    }

    #[test]
    fn nan_stays_nan_and_overflow_goes_to_infinity() {
        for x in special().into_iter().chain([
            f32::from_bits(0x7F80_0001),
            f32::from_bits(0xFFFF_FFFF),
            f32::from_bits(0x7FBF_FFFF),
        ]) {
            let h = round(x);
            assert_eq!(widen(h).is_nan(), x.is_nan(), "{:#010x}", x.to_bits());
            if x.is_nan() {
                assert_eq!(h >> 15, (x.to_bits() >> 31) as u16, "the sign of a NaN");
            }
        }
        assert_eq!(
            round(f32::MAX),
            0x7F80,
            "f32::MAX is past the largest finite bf16"
        );
        assert_eq!(round(-f32::MAX), 0xFF80);
        assert_eq!(round(f32::INFINITY), 0x7F80);
        assert_eq!(
            round(f32::from_bits(0x7F7F_7FFF)),
            0x7F7F,
            "below the tie: finite"
        );
        assert_eq!(
            round(f32::from_bits(0x7F7F_8000)),
            0x7F80,
            "the tie: to even, ∞"
        );
    }

    #[test]
    fn subnormals_flush_to_a_zero_of_their_sign() {
        assert_eq!(pack(f32::from_bits(0x0000_0001)), 0x0000);
        assert_eq!(pack(f32::from_bits(0x8040_0000)), 0x8000);
        // The largest subnormal f32 rounds up to the smallest normal bf16, which stays.
        assert_eq!(pack(f32::from_bits(0x007F_FFFF)), 0x0080);
        assert_eq!(pack(f32::MIN_POSITIVE), 0x0080);
        assert_eq!(pair(1.0, -2.0), 0xC000_3F80);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_conversion_gives_the_scalar_bits() {
        use std::arch::x86_64::*;
        if !(std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw"))
        {
            return;
        }
        let mut xs = special();
        // A spread of every kind of bit pattern.
        xs.extend(
            (0..1u64 << 32)
                .step_by(65_521)
                .map(|u| f32::from_bits(u as u32)),
        );
        xs.resize(xs.len().next_multiple_of(32), 1.5);
        for x in xs.chunks_exact(32) {
            let (mut rows, mut line) = ([0u32; 16], [0u32; 16]);
            // SAFETY: the CPU has AVX-512F and BW (checked above); 32 values are read, 16 written.
            unsafe {
                let (lo, hi) = (
                    _mm512_loadu_ps(x.as_ptr()),
                    _mm512_loadu_ps(x.as_ptr().add(16)),
                );
                _mm512_storeu_si512(rows.as_mut_ptr().cast(), x86::pairs_of_rows(lo, hi));
                _mm512_storeu_si512(line.as_mut_ptr().cast(), x86::pairs_of_line(lo, hi));
            }
            for j in 0..16 {
                assert_eq!(rows[j], pair(x[j], x[16 + j]), "{:?} {:?}", x[j], x[16 + j]);
                assert_eq!(line[j], pair(x[2 * j], x[2 * j + 1]));
            }
        }
    }
}
