//! The vector path of the CPU backend: AMX, AVX-512 with BF16, AVX-512, AVX2 + FMA, or portable
//! code, the widest this CPU runs unless [`Isa::ENV`] names another. One choice for the whole
//! backend — the GEMMs' microkernels ([`super::sgemm`], [`super::bgemm`]) and every loop compiled
//! three times by `dispatch!` — so that forcing `avx2` on an AVX-512 machine runs what an AVX2
//! machine would, every op included, and the tests can run each path on one machine.
//!
//! The paths form a ladder, each what a CPU with those instructions runs. `amx` and `avx512bf16`
//! differ from `avx512` only in the bf16 GEMM ([`super::bgemm`]), whose microkernel they run with
//! `TDPBF16PS` on tiles and with `vdpbf16ps`; every f32 loop takes the AVX-512 code on all three.
//! The AMX kernel is checked on its first use in a process and replaced by AVX512-BF16's if it
//! fails (see `bgemm/amx_check.rs`): no CPU with AMX was at hand to test it on, only an emulator
//! of its instructions. Below `avx512bf16` the bf16 GEMM takes its portable kernel, which gives
//! AVX512-BF16's bits.

/// The vector instruction sets the CPU backend has code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// AVX512-BF16 with Intel AMX's bf16 tiles (AMX-TILE, AMX-BF16: `TDPBF16PS`), Sapphire Rapids
    /// and later, where the OS lets the process use the tiles (Linux 5.16 and later, on request:
    /// see `amx_support.rs`).
    Amx,
    /// AVX-512F with the BF16 extension (`vdpbf16ps`): Zen 4 and later, Cooper Lake, Sapphire
    /// Rapids and later.
    Avx512Bf16,
    Avx512,
    Avx2,
    Portable,
}

impl Isa {
    /// The variable that forces a path (`amx`, `avx512bf16`, `avx512`, `avx2` or `portable`), for
    /// tests and comparisons.
    pub const ENV: &'static str = "AUTOGRAD_CPU_ISA";

    /// Every path, widest first.
    pub const ALL: [Isa; 5] = [
        Isa::Amx,
        Isa::Avx512Bf16,
        Isa::Avx512,
        Isa::Avx2,
        Isa::Portable,
    ];

    /// The path the f32 code takes: AVX-512 for [`Isa::Amx`] and [`Isa::Avx512Bf16`], which add
    /// only bf16 instructions; the path itself otherwise.
    pub fn f32_path(self) -> Isa {
        match self {
            Isa::Amx | Isa::Avx512Bf16 => Isa::Avx512,
            isa => isa,
        }
    }

    /// Whether this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
            Isa::Amx => Isa::Avx512Bf16.supported() && super::amx_support::usable().is_ok(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Bf16 => {
                Isa::Avx512.supported()
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512bf16")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            Isa::Portable => true,
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The widest path this CPU runs.
    pub fn detect() -> Isa {
        Isa::ALL
            .into_iter()
            .find(|i| i.supported())
            .unwrap_or(Isa::Portable)
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Amx => "amx",
            Isa::Avx512Bf16 => "avx512bf16",
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    fn parse(s: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|i| i.name() == s)
    }

    /// The path the backend takes, the GEMM's microkernel and every `dispatch!` loop alike:
    /// [`Isa::ENV`] if set to a path this CPU runs, else [`Isa::detect`]. A value that names no
    /// path, or one this CPU lacks, is reported once on stderr and ignored.
    pub fn selected() -> Isa {
        static SELECTED: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *SELECTED.get_or_init(|| {
            let best = Isa::detect();
            let Ok(v) = std::env::var(Isa::ENV) else {
                return best;
            };
            match Isa::parse(&v) {
                Some(isa) if isa.supported() => isa,
                Some(isa) => {
                    let why = match (isa, super::amx_support::usable()) {
                        (Isa::Amx, Err(why)) => format!(" ({why})"),
                        _ => String::new(),
                    };
                    eprintln!(
                        "{}={v}: this CPU lacks {}{why}; the CPU backend uses {}",
                        Isa::ENV,
                        isa.name(),
                        best.name()
                    );
                    best
                }
                None => {
                    eprintln!(
                        "{}={v}: expected amx, avx512bf16, avx512, avx2 or portable; the CPU \
                         backend uses {}",
                        Isa::ENV,
                        best.name()
                    );
                    best
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_found_by_its_name() {
        for isa in Isa::ALL {
            assert_eq!(Isa::parse(isa.name()), Some(isa));
        }
        assert_eq!(Isa::parse("amx"), Some(Isa::Amx));
        assert_eq!(Isa::parse("sse2"), None);
    }

    /// AMX adds a bf16 kernel to AVX512-BF16's path, nothing else: its f32 loops are AVX-512's,
    /// and a CPU runs it only if it runs AVX512-BF16 (whose kernel is AMX's fallback).
    #[test]
    fn amx_sits_on_top_of_avx512bf16() {
        assert_eq!(Isa::Amx.f32_path(), Isa::Avx512);
        assert_eq!(Isa::ALL[0], Isa::Amx);
        assert!(!Isa::Amx.supported() || Isa::Avx512Bf16.supported());
        if Isa::Amx.supported() {
            assert_eq!(Isa::detect(), Isa::Amx);
        }
    }
}
