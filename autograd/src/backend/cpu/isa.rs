//! The vector path of the CPU backend: AVX-512, AVX2 + FMA, or portable code, the widest this CPU
//! runs unless [`Isa::ENV`] names another. One choice for the whole backend — the GEMM's
//! microkernel ([`super::sgemm`]) and every loop compiled three times by `dispatch!` — so that
//! forcing `avx2` on an AVX-512 machine runs what an AVX2 machine would, every op included, and
//! the tests can run each path on one machine.

/// The vector instruction sets the CPU backend has code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    Portable,
}

impl Isa {
    /// The variable that forces a path (`avx512`, `avx2` or `portable`), for tests and comparisons.
    pub const ENV: &'static str = "AUTOGRAD_CPU_ISA";

    /// Whether this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
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
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|i| i.supported())
            .unwrap_or(Isa::Portable)
    }

    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }

    fn parse(s: &str) -> Option<Isa> {
        [Isa::Avx512, Isa::Avx2, Isa::Portable]
            .into_iter()
            .find(|i| i.name() == s)
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
                    eprintln!(
                        "{}={v}: this CPU lacks {}; the CPU backend uses {}",
                        Isa::ENV,
                        isa.name(),
                        best.name()
                    );
                    best
                }
                None => {
                    eprintln!(
                        "{}={v}: expected avx512, avx2 or portable; the CPU backend uses {}",
                        Isa::ENV,
                        best.name()
                    );
                    best
                }
            }
        })
    }
}
