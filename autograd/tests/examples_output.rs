//! The examples print what their docs promise.

#[path = "../examples/xor.rs"]
mod xor;

#[path = "../examples/gaussian_kl.rs"]
mod gaussian_kl;

#[test]
fn xor_example_learns_xor() {
    let out = xor::run();
    assert!(out.ends_with("XOR of 00 01 10 11: 0 1 1 0\n"), "{out}");
    assert!(out.starts_with("step   0: loss 0.7258\n"), "{out}");
}

#[test]
fn gaussian_kl_example_matches_its_closed_form_by_monte_carlo() {
    let out = gaussian_kl::run();
    assert_eq!(
        out,
        "closed form KL = 1.1861\nMonte Carlo KL = 1.1846 (200000 samples)\nagree within 1%: true\n"
    );
}
