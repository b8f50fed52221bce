//! Tensors printed as NumPy and PyTorch print them, so that a learner can look at any value of a
//! step: `format!("{t}")` or `println!("{t:.8}")` (the precision, 4 by default).
//!
//! ```text
//! tensor [2, 3] f32
//! [[ 0.5000, -1.2500,  3.0000],
//!  [ 0.0000,  2.0000, -0.1250]]
//! ```
//!
//! The header gives the shape and the element type. A tensor of more than 1,000 elements is
//! summarised as both libraries do: the first and last 3 rows and columns of each long dimension,
//! the rest elided with `...`. One number format serves every printed entry, right-aligned to a
//! common width: fixed-point with the precision given, or scientific when the printed finite
//! non-zero magnitudes span more than a factor 1,000 or reach 10⁸ (PyTorch's rule).

/// Beyond this many elements a tensor is summarised (NumPy's and PyTorch's `threshold`).
const THRESHOLD: usize = 1000;
/// Entries kept at each end of a summarised dimension (their `edgeitems`).
const EDGE: usize = 3;

/// The indices of a dimension of length `n` that are printed, `None` standing for the `...`.
fn shown(n: usize, summarise: bool) -> Vec<Option<usize>> {
    if summarise && n > 2 * EDGE {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGE..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

fn entry(v: f64, scientific: bool, precision: usize) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else if scientific {
        // NumPy's form, 1.2500e+03, rather than Rust's 1.2500e3.
        let text = format!("{v:.precision$e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        format!("{v:.precision$}")
    }
}

/// `values` (row-major, `shape`) as printed, with `dtype` in the header.
pub(crate) fn format(values: &[f64], shape: [usize; 2], dtype: &str, precision: usize) -> String {
    let [rows, cols] = shape;
    let mut out = format!("tensor [{rows}, {cols}] {dtype}\n");
    if rows * cols == 0 {
        out.push_str("[]");
        return out;
    }
    let summarise = rows * cols > THRESHOLD;
    let (rs, cs) = (shown(rows, summarise), shown(cols, summarise));
    let printed: Vec<f64> = rs
        .iter()
        .flatten()
        .flat_map(|&r| cs.iter().flatten().map(move |&c| values[r * cols + c]))
        .collect();
    let magnitudes: Vec<f64> = printed
        .iter()
        .map(|v| v.abs())
        .filter(|m| m.is_finite() && *m > 0.0)
        .collect();
    let (lo, hi) = magnitudes
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &m| {
            (lo.min(m), hi.max(m))
        });
    let scientific = !magnitudes.is_empty() && (hi >= 1e8 || hi / lo > 1000.0);
    let width = printed
        .iter()
        .map(|&v| entry(v, scientific, precision).len())
        .max()
        .unwrap_or(0);
    let line = |r: usize| {
        let cells: Vec<String> = cs
            .iter()
            .map(|c| match c {
                Some(c) => format!(
                    "{:>width$}",
                    entry(values[r * cols + c], scientific, precision)
                ),
                None => "...".to_string(),
            })
            .collect();
        format!("[{}]", cells.join(", "))
    };
    let lines: Vec<String> = rs
        .iter()
        .map(|r| match r {
            Some(r) => line(*r),
            None => "...".to_string(),
        })
        .collect();
    out.push('[');
    out.push_str(&lines.join(",\n "));
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use crate::{Cpu, Tensor};

    #[test]
    fn a_small_tensor_prints_every_value_aligned_under_its_shape_and_type() {
        let t = Tensor::from_f64(
            &Cpu::<f32>::new(),
            2,
            3,
            &[0.5, -1.25, 3.0, 0.0, 2.0, -0.125],
        )
        .unwrap();
        assert_eq!(
            t.to_string(),
            "tensor [2, 3] f32\n\
             [[ 0.5000, -1.2500,  3.0000],\n \
             [ 0.0000,  2.0000, -0.1250]]"
        );
        assert_eq!(
            format!("{t:.1}"),
            "tensor [2, 3] f32\n[[ 0.5, -1.2,  3.0],\n [ 0.0,  2.0, -0.1]]"
        );
    }

    #[test]
    fn a_long_tensor_keeps_three_rows_and_columns_at_each_end() {
        let values: Vec<f64> = (0..40 * 30).map(|i| i as f64).collect();
        let t = Tensor::from_f64(&Cpu::<f64>::new(), 40, 30, &values).unwrap();
        let text = t.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "tensor [40, 30] f64");
        // 3 rows, the elision, 3 rows.
        assert_eq!(lines.len(), 1 + 7, "{text}");
        assert_eq!(lines[4].trim(), "...,");
        // Magnitudes from 1 to 1199 span more than 1,000: scientific.
        assert!(
            lines[1].starts_with("[[0.0000e+00, 1.0000e+00, 2.0000e+00, ..., 2.7000e+01,"),
            "{text}"
        );
        assert!(lines[7].ends_with("1.1990e+03]]"), "{text}");
        // Up to 1,000 elements nothing is elided.
        let t = Tensor::from_f64(&Cpu::<f64>::new(), 10, 100, &values[..1000]).unwrap();
        assert!(!t.to_string().contains("..."));
    }

    #[test]
    fn non_finite_values_print_as_numpy_does() {
        let t = Tensor::from_f64(
            &Cpu::<f64>::new(),
            1,
            3,
            &[f64::NAN, f64::NEG_INFINITY, 1.0],
        )
        .unwrap();
        assert_eq!(
            t.to_string(),
            "tensor [1, 3] f64\n[[   nan,   -inf, 1.0000]]"
        );
    }
}
