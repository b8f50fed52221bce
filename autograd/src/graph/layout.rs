//! A layered layout (Sugiyama's method, kept small): boxes in rows by layer, every edge routed
//! between the rows, so that no edge passes under a box.
//!
//! 1. An edge that spans several rows gets a waypoint in each row it crosses (a "dummy" box of no
//!    width), so it owns a slot there like any box.
//! 2. The boxes of each row are ordered by the mean position of their neighbours in the row above,
//!    then below, for a few sweeps, keeping the order with the fewest crossings.
//! 3. Each row's centres are placed as near their neighbours' mean as the boxes' widths allow: the
//!    least-squares placement under "no overlap, order kept", an isotonic regression solved exactly
//!    by pooling adjacent violators.
//! 4. An edge leaves its box at the bottom, through its own port (ports spread in the order of where
//!    the edges go), runs straight down to its row's bottom when the box is shorter than the row,
//!    then from row gap to row gap through its waypoints, and enters its target through a port on
//!    the top. Within a row it is vertical and inside its own box's or waypoint's slot; between
//!    rows it is in the empty band. That is why it never meets another box.

/// A placed box: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// Where everything goes.
pub(super) struct Layout {
    /// One per box, in the order given.
    pub boxes: Vec<Rect>,
    /// One polyline per edge, in the order given, from its source's bottom to its target's top.
    pub edges: Vec<Vec<(f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

/// The space between two boxes of a row, between a box and a waypoint, between two waypoints.
const GAP_BOXES: f64 = 24.0;
const GAP_WAYPOINT: f64 = 12.0;
const GAP_WAYPOINTS: f64 = 8.0;
/// The band between two rows, where edges turn.
const GAP_ROWS: f64 = 44.0;
const MARGIN: f64 = 20.0;
const SWEEPS: usize = 24;

/// A box or a waypoint in a row.
struct Slot {
    layer: usize,
    width: f64,
    /// The box's index, or `None` for a waypoint.
    item: Option<usize>,
    /// A waypoint's edge, by index.
    edge: Option<usize>,
    up: Vec<usize>,
    down: Vec<usize>,
}

/// Lays out boxes of `sizes` (width, height) in rows `layers`, with `edges` from a box in a row to
/// one in a lower row.
pub(super) fn layout(sizes: &[(f64, f64)], layers: &[usize], edges: &[(usize, usize)]) -> Layout {
    let rows = layers.iter().map(|&l| l + 1).max().unwrap_or(0);
    let mut slots: Vec<Slot> = sizes
        .iter()
        .zip(layers)
        .enumerate()
        .map(|(i, (&(w, _), &layer))| Slot {
            layer,
            width: w,
            item: Some(i),
            edge: None,
            up: vec![],
            down: vec![],
        })
        .collect();
    // Each edge's chain of slots, from source to target.
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(edges.len());
    for (e, &(a, b)) in edges.iter().enumerate() {
        debug_assert!(layers[a] < layers[b], "an edge must go down a row or more");
        let mut chain = vec![a];
        for layer in layers[a] + 1..layers[b] {
            slots.push(Slot {
                layer,
                width: 0.0,
                item: None,
                edge: Some(e),
                up: vec![],
                down: vec![],
            });
            chain.push(slots.len() - 1);
        }
        chain.push(b);
        for w in chain.windows(2) {
            slots[w[0]].down.push(w[1]);
            slots[w[1]].up.push(w[0]);
        }
        chains.push(chain);
    }
    let order = order_rows(&slots, rows);
    let x = place(&slots, &order, &chains);

    let mut height_of = vec![0.0f64; rows];
    for (i, &(_, h)) in sizes.iter().enumerate() {
        height_of[layers[i]] = height_of[layers[i]].max(h);
    }
    let mut top = vec![MARGIN; rows];
    for l in 1..rows {
        top[l] = top[l - 1] + height_of[l - 1] + GAP_ROWS;
    }
    let bottom = |l: usize| top[l] + height_of[l];
    let left = slots
        .iter()
        .zip(&x)
        .map(|(s, x)| x - s.width / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if left.is_finite() { MARGIN - left } else { 0.0 };
    let x: Vec<f64> = x.iter().map(|v| v + shift).collect();
    let boxes: Vec<Rect> = sizes
        .iter()
        .enumerate()
        .map(|(i, &(w, h))| Rect {
            x: x[i] - w / 2.0,
            y: top[layers[i]],
            w,
            h,
        })
        .collect();

    // Ports: a box's outgoing edges leave through its bottom in the order of where they go next,
    // its incoming ones enter through its top in the order of where they come from.
    let port = |r: &Rect, k: usize, n: usize| r.x + r.w * (k + 1) as f64 / (n + 1) as f64;
    let mut out_port = vec![0.0; chains.len()];
    let mut in_port = vec![0.0; chains.len()];
    for (i, r) in boxes.iter().enumerate() {
        let mut out: Vec<usize> = (0..chains.len()).filter(|&e| chains[e][0] == i).collect();
        out.sort_by(|&a, &b| x[chains[a][1]].total_cmp(&x[chains[b][1]]).then(a.cmp(&b)));
        for (k, &e) in out.iter().enumerate() {
            out_port[e] = port(r, k, out.len());
        }
        let last = |e: usize| chains[e][chains[e].len() - 2];
        let mut inc: Vec<usize> = (0..chains.len())
            .filter(|&e| chains[e][chains[e].len() - 1] == i)
            .collect();
        inc.sort_by(|&a, &b| x[last(a)].total_cmp(&x[last(b)]).then(a.cmp(&b)));
        for (k, &e) in inc.iter().enumerate() {
            in_port[e] = port(r, k, inc.len());
        }
    }
    let lines = chains
        .iter()
        .enumerate()
        .map(|(e, chain)| {
            let (a, b) = (chain[0], chain[chain.len() - 1]);
            let source = boxes[a];
            let mut points = vec![(out_port[e], source.y + source.h)];
            if source.h < height_of[layers[a]] {
                points.push((out_port[e], bottom(layers[a])));
            }
            for &w in &chain[1..chain.len() - 1] {
                points.push((x[w], top[slots[w].layer]));
                points.push((x[w], bottom(slots[w].layer)));
            }
            points.push((in_port[e], boxes[b].y));
            points
        })
        .collect();
    let width = slots
        .iter()
        .zip(&x)
        .map(|(s, x)| x + s.width / 2.0)
        .fold(0.0, f64::max)
        + MARGIN;
    let height = if rows == 0 {
        2.0 * MARGIN
    } else {
        bottom(rows - 1) + MARGIN
    };
    Layout {
        boxes,
        edges: lines,
        width,
        height,
    }
}

/// The slots of each row, left to right, ordered to cross few edges.
fn order_rows(slots: &[Slot], rows: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<Vec<usize>> = vec![vec![]; rows];
    for (i, s) in slots.iter().enumerate() {
        order[s.layer].push(i);
    }
    let mut pos = vec![0.0f64; slots.len()];
    let index = |order: &[Vec<usize>], pos: &mut [f64]| {
        for row in order {
            for (k, &s) in row.iter().enumerate() {
                pos[s] = k as f64;
            }
        }
    };
    index(&order, &mut pos);
    let mut best = (crossings(slots, &order, &pos), order.clone());
    for sweep in 0..SWEEPS {
        let downward = sweep % 2 == 0;
        let layers: Vec<usize> = if downward {
            (1..rows).collect()
        } else {
            (0..rows.saturating_sub(1)).rev().collect()
        };
        for l in layers {
            let key: Vec<(usize, f64)> = order[l]
                .iter()
                .map(|&s| {
                    let near = if downward {
                        &slots[s].up
                    } else {
                        &slots[s].down
                    };
                    let k = if near.is_empty() {
                        pos[s]
                    } else {
                        near.iter().map(|&n| pos[n]).sum::<f64>() / near.len() as f64
                    };
                    (s, k)
                })
                .collect();
            let mut sorted = key;
            sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
            order[l] = sorted.into_iter().map(|(s, _)| s).collect();
            for (k, &s) in order[l].iter().enumerate() {
                pos[s] = k as f64;
            }
        }
        let c = crossings(slots, &order, &pos);
        if c < best.0 {
            best = (c, order.clone());
        }
    }
    best.1
}

/// How many pairs of edge segments cross between adjacent rows.
fn crossings(slots: &[Slot], order: &[Vec<usize>], pos: &[f64]) -> usize {
    let mut n = 0;
    for row in order {
        let segments: Vec<(f64, f64)> = row
            .iter()
            .flat_map(|&s| slots[s].down.iter().map(move |&d| (pos[s], pos[d])))
            .collect();
        for (i, a) in segments.iter().enumerate() {
            for b in &segments[i + 1..] {
                if (a.0 - b.0) * (a.1 - b.1) < 0.0 {
                    n += 1;
                }
            }
        }
    }
    n
}

/// The centre of every slot: each row as near its neighbours' mean as the order and widths allow,
/// sweeping down then up; then boxes towards both neighbours and each long edge's waypoints towards
/// their common mean, so that a long edge runs straight where the boxes leave it room.
fn place(slots: &[Slot], order: &[Vec<usize>], chains: &[Vec<usize>]) -> Vec<f64> {
    let gap = |a: &Slot, b: &Slot| {
        let g = match (a.item.is_some(), b.item.is_some()) {
            (true, true) => GAP_BOXES,
            (false, false) => GAP_WAYPOINTS,
            _ => GAP_WAYPOINT,
        };
        (a.width + b.width) / 2.0 + g
    };
    let mut x = vec![0.0f64; slots.len()];
    // Start packed, each row centred on 0.
    for row in order {
        let mut at = 0.0;
        for (k, &s) in row.iter().enumerate() {
            if k > 0 {
                at += gap(&slots[row[k - 1]], &slots[s]);
            }
            x[s] = at;
        }
        for &s in row {
            x[s] -= at / 2.0;
        }
    }
    let rows = order.len();
    let settle = |x: &mut Vec<f64>, l: usize, up: bool, down: bool| {
        let row = &order[l];
        let want: Vec<f64> = row
            .iter()
            .map(|&s| {
                if let (true, true, Some(e)) = (up, down, slots[s].edge) {
                    let ways = &chains[e][1..chains[e].len() - 1];
                    return ways.iter().map(|&w| x[w]).sum::<f64>() / ways.len() as f64;
                }
                let near: Vec<usize> = slots[s]
                    .up
                    .iter()
                    .filter(|_| up)
                    .chain(slots[s].down.iter().filter(|_| down))
                    .copied()
                    .collect();
                if near.is_empty() {
                    x[s]
                } else {
                    near.iter().map(|&n| x[n]).sum::<f64>() / near.len() as f64
                }
            })
            .collect();
        let gaps: Vec<f64> = row
            .windows(2)
            .map(|w| gap(&slots[w[0]], &slots[w[1]]))
            .collect();
        for (s, v) in row.iter().zip(fit(&want, &gaps)) {
            x[*s] = v;
        }
    };
    for _ in 0..8 {
        for l in 1..rows {
            settle(&mut x, l, true, false);
        }
        for l in (0..rows.saturating_sub(1)).rev() {
            settle(&mut x, l, false, true);
        }
    }
    for _ in 0..6 {
        for l in 0..rows {
            settle(&mut x, l, true, true);
        }
    }
    x
}

/// The positions nearest `want` (least squares) with `x[k+1] − x[k] ≥ gaps[k]`: with
/// `y[k] = x[k] − offset[k]` (offsets the running sum of the gaps) the constraint is `y`
/// non-decreasing, an isotonic regression of `want[k] − offset[k]`, solved by pooling adjacent
/// violators.
fn fit(want: &[f64], gaps: &[f64]) -> Vec<f64> {
    let mut offset = vec![0.0; want.len()];
    for k in 1..want.len() {
        offset[k] = offset[k - 1] + gaps[k - 1];
    }
    // Blocks of (mean, count), merged while a block's mean is below the one before it.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (k, w) in want.iter().enumerate() {
        blocks.push((w - offset[k], 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, n2) = blocks.pop().expect("two blocks");
            let (m1, n1) = blocks.pop().expect("two blocks");
            let n = n1 + n2;
            blocks.push(((m1 * n1 as f64 + m2 * n2 as f64) / n as f64, n));
        }
    }
    let mut x = Vec::with_capacity(want.len());
    for (mean, n) in blocks {
        for _ in 0..n {
            let k = x.len();
            x.push(mean + offset[k]);
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_the_gaps_and_moves_as_little_as_it_must() {
        // Free to sit where wanted.
        assert_eq!(fit(&[0.0, 50.0], &[10.0]), [0.0, 50.0]);
        // Both want 0: they split the gap evenly around it.
        assert_eq!(fit(&[0.0, 0.0], &[10.0]), [-5.0, 5.0]);
        // Out of order: pooled, the order kept.
        let x = fit(&[30.0, 0.0, 100.0], &[10.0, 10.0]);
        assert_eq!(x, [10.0, 20.0, 100.0]);
    }

    #[test]
    fn a_long_edge_gets_a_waypoint_in_every_row_it_crosses() {
        // 0 → 1 → 2 and 0 → 2: the long edge runs through row 1 beside box 1.
        let sizes = [(100.0, 30.0), (100.0, 30.0), (100.0, 30.0)];
        let l = layout(&sizes, &[0, 1, 2], &[(0, 1), (1, 2), (0, 2)]);
        let long = &l.edges[2];
        assert_eq!(long.len(), 4, "{long:?}");
        let middle = l.boxes[1];
        let (x, _) = long[1];
        assert!(
            x < middle.x - GAP_WAYPOINT + 1e-9 || x > middle.x + middle.w + GAP_WAYPOINT - 1e-9,
            "{x} within box 1 {middle:?}"
        );
    }
}
