//! The tape: a Wengert list of the operations of one forward pass, run backwards for gradients.
//!
//! Every op appends a node (its inputs and a closure computing its vector-Jacobian product) in
//! execution order, so reverse order is a topological order and [`Tape::backward`] walks the list once.
//! Gradients of a value used twice are summed (`+=`). Each VJP closure owns what its op saved from the
//! forward pass and is consumed when it runs, so saved values are freed as the walk goes.
//!
//! A tape made with [`Tape::no_grad`] records nothing: values flow through the same op code, no node
//! is appended, no VJP closure is kept. That is the evaluation mode.
//!
//! A tape made with [`Tape::keeping_values`] also keeps each node's output value, to be read by node
//! id ([`Tape::kept_value`]) after the pass: what `vae graph --values` prints in each box. Other
//! tapes keep none, so training holds no value longer than its VJPs need.

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::param::{ParamId, Parameter};
use crate::profile::OpProfile;
use crate::tensor::{fmt_shape, Tensor};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Instant;

/// A vector-Jacobian product: given `ȳ` (the gradient of the output) and which inputs need a
/// gradient, return `x̄ᵢ = ȳ·∂y/∂xᵢ` for each input (`None` where not needed).
pub type Vjp<B> = Box<dyn FnOnce(&Tensor<B>, &[bool]) -> Result<Vec<Option<Tensor<B>>>>>;

/// What a node is, for graph drawing and for finding parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A leaf whose gradient is wanted (an input of a gradient check).
    Variable,
    /// A bound parameter, by name.
    Parameter(String),
    /// The output of an op.
    Op(&'static str),
}

struct Node<B: Backend> {
    kind: NodeKind,
    inputs: Vec<Option<usize>>,
    shape: [usize; 2],
    vjp: Option<Vjp<B>>,
}

/// One node of a recorded tape as seen from outside (for `vae graph` and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeInfo {
    pub id: usize,
    pub kind: NodeKind,
    pub inputs: Vec<usize>,
    pub shape: [usize; 2],
}

/// The record of one forward pass on backend `B`.
pub struct Tape<B: Backend> {
    backend: B,
    /// Each node's value, by node id, on a tape made by [`Tape::keeping_values`].
    kept: Option<RefCell<HashMap<usize, Tensor<B>>>>,
    recording: bool,
    nodes: RefCell<Vec<Node<B>>>,
    params: RefCell<HashMap<ParamId, usize>>,
    used: Cell<bool>,
    /// Intermediate nodes whose gradient [`Tape::backward`] keeps ([`Var::retain_grad`]).
    retained: RefCell<Vec<usize>>,
    /// On a profiled tape: when the last op was recorded, and the seconds so far.
    profile: Option<RefCell<(Instant, OpProfile)>>,
}

/// A value on a tape: the tensor, and the node that produced it if it needs a gradient.
pub struct Var<'t, B: Backend> {
    tape: &'t Tape<B>,
    node: Option<usize>,
    value: Tensor<B>,
}

impl<B: Backend> Clone for Var<'_, B> {
    fn clone(&self) -> Self {
        Var {
            tape: self.tape,
            node: self.node,
            value: self.value.clone(),
        }
    }
}

impl<'t, B: Backend> Var<'t, B> {
    /// The computed value.
    pub fn value(&self) -> &Tensor<B> {
        &self.value
    }
    pub fn shape(&self) -> [usize; 2] {
        self.value.shape()
    }
    pub fn rows(&self) -> usize {
        self.value.rows()
    }
    pub fn cols(&self) -> usize {
        self.value.cols()
    }
    /// The tape this value lives on.
    pub fn tape(&self) -> &'t Tape<B> {
        self.tape
    }
    pub fn backend(&self) -> &B {
        self.tape.backend()
    }
    /// Whether a gradient flows back through this value.
    pub fn requires_grad(&self) -> bool {
        self.node.is_some()
    }
    /// The tape node of this value, if it has one.
    pub fn node(&self) -> Option<usize> {
        self.node
    }

    /// Keeps this value's gradient in the [`Gradients`] of the tape's backward pass, where
    /// [`Gradients::wrt`] returns it (PyTorch's `retain_grad`). Ask before `backward`. Only the
    /// values asked for are kept: an intermediate's gradient is otherwise freed as soon as its VJP
    /// has run, so training, which asks for none, pays nothing. Leaves (variables, parameters)
    /// always keep theirs. An error for a value no gradient reaches: a constant, or a value on a
    /// tape that does not record.
    pub fn retain_grad(&self) -> Result<()> {
        let Some(node) = self.node else {
            return Err(Error::invalid(
                "retain_grad",
                "this value has no gradient: it is a constant, or its tape records nothing \
                 (Tape::no_grad)",
            ));
        };
        if self.tape.used.get() {
            return Err(Error::invalid(
                "retain_grad",
                "the tape has already run backward; ask before it does",
            ));
        }
        let mut retained = self.tape.retained.borrow_mut();
        if !retained.contains(&node) {
            retained.push(node);
        }
        Ok(())
    }
}

/// The value, as a tensor prints (see [`Tensor`]'s `Display`).
impl<B: Backend> std::fmt::Display for Var<'_, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.value, f)
    }
}

impl<B: Backend> Tape<B> {
    /// A tape that records, for training and gradient checks.
    pub fn new(backend: &B) -> Self {
        Self::with_recording(backend, true)
    }

    /// A recording tape that also times every op, forward and backward ([`crate::profile`]).
    pub fn profiled(backend: &B) -> Self {
        Tape {
            profile: Some(RefCell::new((Instant::now(), OpProfile::default()))),
            ..Self::with_recording(backend, true)
        }
    }

    /// The seconds per op so far, on a profiled tape.
    pub fn profile(&self) -> Option<OpProfile> {
        self.profile.as_ref().map(|p| p.borrow().1.clone())
    }

    /// Seconds since the last reading of a profiled tape, after the device has finished its work.
    fn lap(&self, profile: &RefCell<(Instant, OpProfile)>) -> f64 {
        // A device error here would surface again at the next op; the profile only loses a reading.
        self.backend.synchronize().ok();
        let now = Instant::now();
        let mut p = profile.borrow_mut();
        let seconds = (now - p.0).as_secs_f64();
        p.0 = now;
        seconds
    }

    /// A tape that records nothing: the evaluation mode.
    pub fn no_grad(backend: &B) -> Self {
        Self::with_recording(backend, false)
    }

    /// A recording tape that also keeps every node's value, for [`Tape::kept_value`].
    pub fn keeping_values(backend: &B) -> Self {
        Tape {
            kept: Some(RefCell::new(HashMap::new())),
            ..Self::with_recording(backend, true)
        }
    }

    /// The value of node `node` (a [`NodeInfo::id`]), on a tape made by [`Tape::keeping_values`];
    /// `None` on any other tape or for an id it has not recorded.
    pub fn kept_value(&self, node: usize) -> Option<Tensor<B>> {
        self.kept.as_ref()?.borrow().get(&node).cloned()
    }

    /// Keeps `value` as the value of `node`, on a tape that keeps values.
    fn keep(&self, node: Option<usize>, value: &Tensor<B>) {
        if let (Some(kept), Some(node)) = (&self.kept, node) {
            kept.borrow_mut().insert(node, value.clone());
        }
    }

    fn with_recording(backend: &B, recording: bool) -> Self {
        Tape {
            backend: backend.clone(),
            kept: None,
            recording,
            nodes: RefCell::new(Vec::new()),
            params: RefCell::new(HashMap::new()),
            used: Cell::new(false),
            retained: RefCell::new(Vec::new()),
            profile: None,
        }
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }
    pub fn is_recording(&self) -> bool {
        self.recording
    }
    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.nodes.borrow().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The recorded nodes in execution order.
    pub fn nodes(&self) -> Vec<NodeInfo> {
        self.nodes
            .borrow()
            .iter()
            .enumerate()
            .map(|(id, n)| NodeInfo {
                id,
                kind: n.kind.clone(),
                inputs: n.inputs.iter().flatten().copied().collect(),
                shape: n.shape,
            })
            .collect()
    }

    fn push(
        &self,
        kind: NodeKind,
        inputs: Vec<Option<usize>>,
        shape: [usize; 2],
        vjp: Option<Vjp<B>>,
    ) -> usize {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(Node {
            kind,
            inputs,
            shape,
            vjp,
        });
        nodes.len() - 1
    }

    /// A value that needs no gradient (data, targets).
    pub fn constant(&self, value: Tensor<B>) -> Var<'_, B> {
        Var {
            tape: self,
            node: None,
            value,
        }
    }

    /// A leaf whose gradient [`Tape::backward`] reports (the inputs of a gradient check).
    pub fn variable(&self, value: Tensor<B>) -> Var<'_, B> {
        let node = self
            .recording
            .then(|| self.push(NodeKind::Variable, vec![], value.shape(), None));
        self.keep(node, &value);
        Var {
            tape: self,
            node,
            value,
        }
    }

    /// Binds a parameter for this pass: its current value, and a leaf whose gradient
    /// [`Gradients::param`] returns. Binding the same parameter twice gives the same leaf.
    pub fn param(&self, p: &Parameter<B>) -> Var<'_, B> {
        let node = self.recording.then(|| {
            *self.params.borrow_mut().entry(p.id()).or_insert_with(|| {
                self.push(
                    NodeKind::Parameter(p.name().to_string()),
                    vec![],
                    p.value().shape(),
                    None,
                )
            })
        });
        self.keep(node, p.value());
        Var {
            tape: self,
            node,
            value: p.value().clone(),
        }
    }

    /// Records the output `value` of an op on `inputs` with its VJP. This is how every op of
    /// [`crate::ops`] records itself, and how a user defines a new one. The VJP is kept only when the
    /// tape records and some input needs a gradient; otherwise it is dropped unrun.
    pub fn record<'t>(
        &'t self,
        op: &'static str,
        inputs: &[&Var<'t, B>],
        value: Tensor<B>,
        vjp: impl FnOnce(&Tensor<B>, &[bool]) -> Result<Vec<Option<Tensor<B>>>> + 'static,
    ) -> Var<'t, B> {
        if let Some(p) = &self.profile {
            let seconds = self.lap(p);
            p.borrow_mut().1.add_forward(op, seconds);
        }
        let needs_grad = self.recording && inputs.iter().any(|v| v.node.is_some());
        let node = needs_grad.then(|| {
            self.push(
                NodeKind::Op(op),
                inputs.iter().map(|v| v.node).collect(),
                value.shape(),
                Some(Box::new(vjp)),
            )
        });
        self.keep(node, &value);
        Var {
            tape: self,
            node,
            value,
        }
    }

    /// Gradients of the scalar `loss` (a `1 × 1` value) with respect to every variable and
    /// parameter it depends on. A tape runs backward once.
    pub fn backward(&self, loss: &Var<'_, B>) -> Result<Gradients<B>> {
        if loss.shape() != [1, 1] {
            return Err(Error::invalid(
                "backward",
                format!("the loss must be 1 × 1, found {}", fmt_shape(loss.shape())),
            ));
        }
        let seed = Tensor::full(&self.backend, 1, 1, 1.0)?;
        self.backward_with(loss, seed)
    }

    /// Gradients of `⟨seed, output⟩`: the vector-Jacobian product of the whole recorded function
    /// with `seed`. With a one-hot seed this is one row of the Jacobian.
    pub fn backward_with(&self, output: &Var<'_, B>, seed: Tensor<B>) -> Result<Gradients<B>> {
        if seed.shape() != output.shape() {
            return Err(Error::shape(
                "backward",
                format!(
                    "seed {} for output {}",
                    fmt_shape(seed.shape()),
                    fmt_shape(output.shape())
                ),
            ));
        }
        if self.used.replace(true) {
            return Err(Error::invalid(
                "backward",
                "this tape has already run backward; record a new one",
            ));
        }
        let mut out = Gradients {
            by_node: HashMap::new(),
            params: self.params.borrow().clone(),
        };
        let Some(root) = output.node else {
            return Ok(out);
        };
        let mut nodes = self.nodes.borrow_mut();
        let retained = self.retained.borrow();
        let mut grads: Vec<Option<Tensor<B>>> = (0..=root).map(|_| None).collect();
        grads[root] = Some(seed);
        for i in (0..=root).rev() {
            let Some(g) = grads[i].take() else { continue };
            if !retained.is_empty() && retained.contains(&i) {
                out.by_node.insert(i, g.clone());
            }
            let node = &mut nodes[i];
            let Some(vjp) = node.vjp.take() else {
                out.by_node.insert(i, g);
                continue;
            };
            if let Some(p) = &self.profile {
                self.lap(p);
            }
            let needs: Vec<bool> = node.inputs.iter().map(Option::is_some).collect();
            let input_grads = vjp(&g, &needs)?;
            let NodeKind::Op(op) = node.kind else {
                unreachable!("only ops have a VJP")
            };
            if input_grads.len() != node.inputs.len() {
                return Err(Error::invalid(
                    op,
                    format!(
                        "VJP returned {} gradients for {} inputs",
                        input_grads.len(),
                        node.inputs.len()
                    ),
                ));
            }
            let inputs = node.inputs.clone();
            for (input, grad) in inputs.into_iter().zip(input_grads) {
                let (Some(j), Some(grad)) = (input, grad) else {
                    continue;
                };
                if grad.shape() != nodes[j].shape {
                    return Err(Error::shape(
                        op,
                        format!(
                            "VJP returned {} for an input of shape {}",
                            fmt_shape(grad.shape()),
                            fmt_shape(nodes[j].shape)
                        ),
                    ));
                }
                grads[j] = Some(match grads[j].take() {
                    None => grad,
                    Some(acc) => accumulate(acc, &grad)?,
                });
            }
            if let Some(p) = &self.profile {
                let seconds = self.lap(p);
                p.borrow_mut().1.add_backward(op, seconds);
            }
        }
        Ok(out)
    }
}

/// `acc + g`, in place when nothing else holds `acc`.
fn accumulate<B: Backend>(mut acc: Tensor<B>, g: &Tensor<B>) -> Result<Tensor<B>> {
    let backend = acc.backend().clone();
    if let Some(buf) = acc.buffer_mut() {
        backend.axpy(1.0, g.buffer(), buf)?;
        return Ok(acc);
    }
    let mut sum = backend.zeros(acc.len())?;
    backend.binary(
        crate::backend::Binary::Add,
        acc.buffer(),
        g.buffer(),
        &mut sum,
    )?;
    Ok(Tensor::from_buffer(&backend, acc.shape(), sum))
}

/// The gradients computed by one backward pass.
pub struct Gradients<B: Backend> {
    by_node: HashMap<usize, Tensor<B>>,
    params: HashMap<ParamId, usize>,
}

impl<B: Backend> Gradients<B> {
    /// The gradient of the output with respect to `v`, of `v`'s shape. It is kept for a leaf (a
    /// [`Tape::variable`] or a bound parameter) and for an intermediate value whose
    /// [`Var::retain_grad`] was called before the backward pass. `None` when the output does not
    /// depend on `v`, when `v` is a constant, and for an intermediate not retained (its gradient
    /// was freed during the pass).
    pub fn wrt(&self, v: &Var<'_, B>) -> Option<&Tensor<B>> {
        v.node.and_then(|n| self.by_node.get(&n))
    }
    /// The gradient of a parameter bound on the tape; `None` if the output does not depend on it.
    pub fn param(&self, p: &Parameter<B>) -> Option<&Tensor<B>> {
        self.params.get(&p.id()).and_then(|n| self.by_node.get(n))
    }
}
