//! Whether this process may run AMX's bf16 tile instructions ([`super::Isa::Amx`]): the CPU has
//! them, the OS saves their state, and (Linux) the OS has granted this process the tile data.
//!
//! `is_x86_feature_detected!("amx-bf16")` is not stable Rust, so the bits are read directly:
//! - CPUID leaf 7 (sub-leaf 0), EDX bit 22 (AMX-BF16) and bit 24 (AMX-TILE);
//! - CPUID leaf 1, ECX bit 27 (OSXSAVE: the OS manages XSAVE state, so `XGETBV` may be run), then
//!   XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS saves the tile configuration and data;
//! - Linux 5.16 and later hand the tile data (8 KiB of state a thread) only to a process that asks:
//!   `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`, asked once here. Until then any tile
//!   instruction raises SIGILL. The request is refused, for instance, when a thread's
//!   `sigaltstack` is too small for a signal frame holding the tiles (ENOSPC).
//!
//! Any answer but yes on every point leaves AMX unsupported. Outside Linux it is always so: no
//! other OS was at hand to learn its rules on.

/// Whether the CPUID and XCR0 bits say that the CPU has AMX-TILE and AMX-BF16 and that the OS saves
/// their state: `leaf7_edx` from CPUID leaf 7 sub-leaf 0, `xcr0` from `XGETBV(0)`, `None` when
/// OSXSAVE (CPUID leaf 1, ECX bit 27) is clear and XCR0 cannot be read.
fn cpu_and_os_have_amx(leaf7_edx: u32, xcr0: Option<u64>) -> bool {
    const AMX_BF16: u32 = 1 << 22;
    const AMX_TILE: u32 = 1 << 24;
    const XTILE: u64 = 1 << 17 | 1 << 18;
    leaf7_edx & (AMX_BF16 | AMX_TILE) == AMX_BF16 | AMX_TILE
        && xcr0.is_some_and(|x| x & XTILE == XTILE)
}

/// `Ok` if this process may run AMX-BF16, else why not; found once a process (the permission is
/// the whole process's).
pub(super) fn usable() -> &'static Result<(), String> {
    static USABLE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    USABLE.get_or_init(find)
}

#[cfg(target_arch = "x86_64")]
fn find() -> Result<(), String> {
    use std::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
    // CPUID runs on every x86-64 CPU (an `unsafe` call before Rust 1.9x, a safe one after).
    #[allow(unused_unsafe)]
    let (max_leaf, leaf1_ecx) = unsafe { (__cpuid(0).eax, __cpuid(1).ecx) };
    if max_leaf < 7 {
        return Err("the CPU has no AMX (no CPUID leaf 7)".into());
    }
    #[allow(unused_unsafe)]
    let leaf7_edx = unsafe { __cpuid_count(7, 0).edx };
    // SAFETY: with OSXSAVE set, the OS has enabled XGETBV.
    let xcr0 = (leaf1_ecx >> 27 & 1 == 1).then(|| unsafe { _xgetbv(0) });
    if !cpu_and_os_have_amx(leaf7_edx, xcr0) {
        return Err("the CPU has no AMX-BF16, or the OS does not save its tiles (XCR0)".into());
    }
    request_tile_data()
}

#[cfg(not(target_arch = "x86_64"))]
fn find() -> Result<(), String> {
    Err("AMX is an x86-64 extension".into())
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn request_tile_data() -> Result<(), String> {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: this request only adds the tile data to the XSAVE features the process may use.
    let r = unsafe {
        libc::syscall(
            libc::SYS_arch_prctl,
            ARCH_REQ_XCOMP_PERM,
            XFEATURE_XTILEDATA,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(format!(
            "Linux refused this process the tile data (arch_prctl ARCH_REQ_XCOMP_PERM: {})",
            std::io::Error::last_os_error()
        ))
    }
}

#[cfg(all(target_arch = "x86_64", not(target_os = "linux")))]
fn request_tile_data() -> Result<(), String> {
    Err("AMX is enabled on Linux only".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: u32 = 1 << 22 | 1 << 24;
    const XCR0: u64 = 0xE7 | 1 << 17 | 1 << 18;

    #[test]
    fn amx_needs_both_cpuid_bits_and_both_xcr0_bits() {
        assert!(cpu_and_os_have_amx(BOTH | 0x10, Some(XCR0)));
        assert!(!cpu_and_os_have_amx(1 << 24, Some(XCR0)), "no AMX-BF16");
        assert!(!cpu_and_os_have_amx(1 << 22, Some(XCR0)), "no AMX-TILE");
        assert!(
            !cpu_and_os_have_amx(BOTH, Some(XCR0 & !(1 << 18))),
            "no XTILEDATA"
        );
        assert!(
            !cpu_and_os_have_amx(BOTH, Some(XCR0 & !(1 << 17))),
            "no XTILECFG"
        );
        assert!(!cpu_and_os_have_amx(BOTH, None), "no OSXSAVE");
        // This machine's bits (Zen 4: leaf 7 EDX 0x10, XCR0 0xE7) say no.
        assert!(!cpu_and_os_have_amx(0x10, Some(0xE7)));
    }
}
