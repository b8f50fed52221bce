//! Seconds per op of a profiled tape ([`crate::Tape::profiled`]): where a training step's time goes,
//! op by op, like `torch.profiler`'s table grouped by operator.
//!
//! Forward: an op is charged the time from the previous record on the tape to its own record, that
//! is its forward computation and whatever the model did in between (batch preparation lands on the
//! first op). Backward: an op is charged its VJP and the summing of the gradients it returned. On an
//! asynchronous device each reading first waits for the queued work (`Backend::synchronize`), which
//! removes the overlap a normal step has: the figures say where time goes, the step's own timing
//! says how long it takes.

/// The time of one op (all its calls on the profiled tapes).
#[derive(Debug, Clone, PartialEq)]
pub struct OpTime {
    /// The op's name, as recorded (`"dense"`, `"multinomial_nll"`, …).
    pub op: &'static str,
    pub calls: usize,
    /// Seconds of forward passes.
    pub forward: f64,
    /// Seconds of vector-Jacobian products.
    pub backward: f64,
}

/// Seconds per op, in the order the ops were first recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpProfile {
    ops: Vec<OpTime>,
}

impl OpProfile {
    /// Every op seen, in first-recorded order.
    pub fn ops(&self) -> &[OpTime] {
        &self.ops
    }

    /// Adds another profile's times, op by op (for the steps of a benchmark).
    pub fn merge(&mut self, other: &OpProfile) {
        for t in &other.ops {
            let e = self.entry(t.op);
            e.calls += t.calls;
            e.forward += t.forward;
            e.backward += t.backward;
        }
    }

    pub(crate) fn add_forward(&mut self, op: &'static str, seconds: f64) {
        let e = self.entry(op);
        e.calls += 1;
        e.forward += seconds;
    }

    pub(crate) fn add_backward(&mut self, op: &'static str, seconds: f64) {
        self.entry(op).backward += seconds;
    }

    fn entry(&mut self, op: &'static str) -> &mut OpTime {
        let i = match self.ops.iter().position(|t| t.op == op) {
            Some(i) => i,
            None => {
                self.ops.push(OpTime {
                    op,
                    calls: 0,
                    forward: 0.0,
                    backward: 0.0,
                });
                self.ops.len() - 1
            }
        };
        &mut self.ops[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_calls_and_seconds_op_by_op_keeping_first_seen_order() {
        let mut a = OpProfile::default();
        a.add_forward("dense", 1.0);
        a.add_backward("dense", 2.0);
        let mut b = OpProfile::default();
        b.add_forward("tanh", 0.5);
        b.add_forward("dense", 1.5);
        a.merge(&b);
        let names: Vec<_> = a.ops().iter().map(|t| t.op).collect();
        assert_eq!(names, ["dense", "tanh"]);
        assert_eq!(a.ops()[0].calls, 2);
        assert_eq!(a.ops()[0].forward, 2.5);
        assert_eq!(a.ops()[0].backward, 2.0);
        assert_eq!(a.ops()[1].calls, 1);
    }
}
