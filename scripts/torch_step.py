"""The step of `vae step --save FILE` run again in PyTorch, value by value.

It reads FILE (a safetensors file: the weights, the click rows, the dropout mask, eps, beta and
every value and gradient `vae step` printed), recomputes the same Mult-VAE^PR (or Mult-DAE) step
in PyTorch in the file's precision (f64 by default, f32 for `--device sim` or `--data`) from the
inputs alone, runs backward and Adam's first update, and prints for every value the largest
absolute and relative difference between ours and PyTorch's (relative: to the largest magnitude of
PyTorch's tensor).

    target/release/vae step --save step.safetensors
    python3 scripts/torch_step.py step.safetensors

With --write-fixture PATH it also writes PyTorch's own numbers, under the same names, as an f64
safetensors file. `vae/tests/fixtures/torch_step_{vae,dae}.safetensors` were made so, and
`vae/tests/step_matches_torch.rs` compares `vae step` with them on every CI run (no PyTorch there):

    target/release/vae step --save /tmp/vae.safetensors
    python3 scripts/torch_step.py /tmp/vae.safetensors --write-fixture vae/tests/fixtures/torch_step_vae.safetensors
    target/release/vae step --model dae --hidden 5 --save /tmp/dae.safetensors
    python3 scripts/torch_step.py /tmp/dae.safetensors --write-fixture vae/tests/fixtures/torch_step_dae.safetensors
"""

import argparse
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import save_file


def load(path):
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return tensors, meta


def layers(tensors, prefix):
    """(weight, bias) of prefix.0, prefix.1, ... in order."""
    out, i = [], 0
    while f"{prefix}.{i}.weight" in tensors:
        out.append((f"{prefix}.{i}", tensors[f"{prefix}.{i}.weight"], tensors[f"{prefix}.{i}.bias"]))
        i += 1
    return out


def step(t, meta):
    """PyTorch's values and gradients of the step, under vae step's names."""
    dtype = t["x"].dtype
    model = meta["model"]
    p = float(meta["dropout"])
    l2 = float(meta["l2"])
    adam = json.loads(meta["adam"])
    out = {}

    x = t["x"]
    norm = torch.sqrt(torch.clamp((x * x).sum(1, keepdim=True), min=float(meta["l2_eps"])))
    out["x_normalized"] = x / norm
    # Inverted dropout as the notebook's tf.nn.dropout: kept entries scaled by 1/(1 - p).
    out["encoder_input"] = out["x_normalized"] * t["dropout_mask"] / (1.0 - p)

    params = {}
    for prefix in ("encoder", "decoder"):
        for name, w, b in layers(t, prefix):
            params[name + ".weight"] = w.clone().requires_grad_(True)
            params[name + ".bias"] = b.clone().requires_grad_(True)
    retained = {}

    def keep(name, v):
        v.retain_grad()
        retained[name] = v
        out[name] = v
        return v

    # Mult-DAE is one stack, encoder then decoder, tanh between every two layers.
    enc = layers(t, "encoder") + (layers(t, "decoder") if model == "dae" else [])
    h = out["encoder_input"] @ params["encoder.0.weight"] + params["encoder.0.bias"]
    for i, (name, _, _) in enumerate(enc[1:], start=1):
        a = keep(f"encoder.h{i}", torch.tanh(h))
        h = a @ params[name + ".weight"] + params[name + ".bias"]
    if model == "vae":
        k = h.shape[1] // 2
        mu = keep("mu", h[:, :k])
        logvar = keep("logvar", h[:, k:])
        sigma = torch.exp(0.5 * logvar)
        out["sigma"] = sigma
        z = keep("z", mu + t["eps"] * sigma)
        h = z
        for i, (name, _, _) in enumerate(layers(t, "decoder")):
            if i > 0:
                h = keep(f"decoder.h{i}", torch.tanh(h))
            h = h @ params[name + ".weight"] + params[name + ".bias"]
    logits = keep("logits", h)
    log_pi = torch.log_softmax(logits, dim=1)
    out["log_pi"] = log_pi
    nll_rows = -(x * log_pi).sum(1, keepdim=True)
    out["nll_per_user"] = nll_rows
    nll = nll_rows.mean()
    out["nll"] = nll.reshape(1, 1)
    loss = nll
    if model == "vae":
        kl_rows = 0.5 * (-logvar + torch.exp(logvar) + mu * mu - 1.0).sum(1, keepdim=True)
        out["kl_per_user"] = kl_rows
        kl = kl_rows.mean()
        out["kl"] = kl.reshape(1, 1)
        loss = nll + t["beta"].reshape(()) * kl
    elif l2 > 0:
        for name, w in params.items():
            if name.endswith(".weight"):
                loss = loss + l2 * (w * w).sum()
    out["loss"] = loss.reshape(1, 1)
    loss.backward()
    for name, v in retained.items():
        out["grad." + name] = v.grad
    for name, v in params.items():
        out["grad." + name] = v.grad

    name = meta["param"]
    opt = torch.optim.Adam(
        params.values(), lr=adam["lr"], betas=(adam["beta1"], adam["beta2"]), eps=adam["eps"]
    )
    opt.step()
    state = opt.state[params[name]]
    out["adam.m." + name] = state["exp_avg"]
    out["adam.v." + name] = state["exp_avg_sq"]
    out["updated." + name] = params[name]
    return {k: v.detach().to(dtype) for k, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", help="the file `vae step --save FILE` wrote")
    ap.add_argument("--write-fixture", metavar="PATH", help="also write PyTorch's values here (f64)")
    args = ap.parse_args()
    ours, meta = load(args.file)
    torch.set_default_dtype(ours["x"].dtype)
    theirs = step(ours, meta)
    print(f"{'value':<28} {'shape':>8} {'max |ours - torch|':>20} {'relative':>10}")
    worst = 0.0
    for name, v in theirs.items():
        if name not in ours:
            print(f"{name:<28} missing from {args.file}")
            return 1
        diff = (ours[name] - v).abs().max().item()
        scale = v.abs().max().item()
        rel = diff / scale if scale > 0 else diff
        worst = max(worst, rel)
        shape = "x".join(str(d) for d in v.shape)
        print(f"{name:<28} {shape:>8} {diff:>20.3e} {rel:>10.2e}")
    print(f"\n{len(theirs)} values and gradients; the largest relative difference is {worst:.2e}"
          f" ({meta['dtype']}; PyTorch {torch.__version__})")
    if args.write_fixture:
        save_file({k: v.to(torch.float64).clone().contiguous() for k, v in theirs.items()},
                  args.write_fixture, metadata={"torch": torch.__version__, "made_from": meta["model"]})
        print(f"PyTorch's values written to {args.write_fixture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
