"""One training epoch of Mult-VAE^PR (or Mult-DAE) in PyTorch on the CPU: the peer of
`target/release/vae bench --epoch [--model dae]`, on the same data, at the same shape.

It loads a pro_sg folder (dawenl/vae_cf's notebook format; by default
.cache/synth-ml20m, the data `vae bench` generates), shuffles the training users once
(fixed seed), runs 2 untimed warm-up steps (the first batch and the last, partial one,
so that --compile has compiled both shapes), then times every batch of 500 users of the
epoch, the last partial batch included. As in `vae bench --epoch`, a step's time covers
assembling its batch from the CSR rows, forward, loss, backward and the Adam update;
every step reads loss.item(), so no work is left pending when its time is taken.

The model is the project's: I-600-200-600-I in f32, the input rows L2-normalised then
dropped out (p = 0.5). Mult-VAE^PR splits the 400 encoder outputs into mu and logvar,
samples z = mu + eps * exp(logvar / 2) and adds beta * KL, with
beta = min(0.2, step / 200000); Mult-DAE has tanh after each of its first three layers
and no KL. The optimizer is Adam(lr=1e-3), PyTorch's default (foreach) implementation.

--autocast bf16 runs forward and loss under torch.autocast("cpu", dtype=torch.bfloat16),
PyTorch's mixed precision: nn.Linear takes bf16 operands (oneDNN; AMX tiles where the CPU has
them) and returns bf16; the log-softmax is asked for in f32 (dtype=torch.float32: CPU autocast
would run it in bf16), so the loss is f32; parameters, gradients and Adam stay f32. The sparse
first layer stays f32 (autocast disabled around it): MKL's sparse product has no bf16 kernel.
The peer of `vae bench --epoch --precision bf16`, which rounds the GEMM operands of every dense
layer to bf16 and keeps their outputs, the softmax and the loss in f32.

    python3 scripts/torch_epoch.py --input dense            # nn.Linear first layer
    python3 scripts/torch_epoch.py --input sparse           # COO, torch.sparse.mm
    python3 scripts/torch_epoch.py --input dense --compile  # compiled forward + loss
    python3 scripts/torch_epoch.py --input dense --model dae
    python3 scripts/torch_epoch.py --input sparse --steps 3 # extrapolated from 3 steps
    python3 scripts/torch_epoch.py --input sparse --autocast bf16

beside `target/release/vae bench --epoch [--model dae] --threads 2`. --threads (default
2) sets torch.set_num_threads and, before numpy and torch load, OMP_NUM_THREADS,
MKL_NUM_THREADS and OPENBLAS_NUM_THREADS, so the OpenMP, MKL and OpenBLAS pools all
follow it.
"""

import argparse
import os
import statistics
import sys
import time
import traceback


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=".cache/synth-ml20m", help="a pro_sg folder")
    p.add_argument("--input", choices=["dense", "sparse"], default="dense")
    p.add_argument("--model", choices=["vae", "dae"], default="vae")
    p.add_argument("--compile", action="store_true", help="compile forward + loss")
    p.add_argument(
        "--autocast",
        choices=["none", "bf16"],
        default="none",
        help="forward + loss under torch.autocast(cpu, bfloat16); the sparse layer stays f32",
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, help="time the first N steps, extrapolate")
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--seed", type=int, default=98765)
    return p.parse_args()


if __name__ == "__main__":
    ARGS = parse_args()
    # The thread pools read these when they load: set them before numpy and torch.
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

HIDDEN, LATENT, P_DROP = 600, 200, 0.5
ANNEAL_CAP, ANNEAL_STEPS = 0.2, 200000


def load_csr(folder):
    """train.csv (uid,sid) as a CSR click matrix (indptr, indices), rows sorted."""
    with open(os.path.join(folder, "unique_sid.txt")) as f:
        n_items = sum(1 for line in f if line.strip())
    path = os.path.join(folder, "train.csv")
    uid, sid = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64).T
    key = np.sort(uid * n_items + sid)  # row-major order: by user, then by item
    if np.any(key[1:] == key[:-1]):
        sys.exit("train.csv has a repeated (uid, sid) pair")
    users = int(uid.max()) + 1
    indptr = np.zeros(users + 1, dtype=np.int64)
    np.cumsum(np.bincount(key // n_items, minlength=users), out=indptr[1:])
    return indptr, key % n_items, n_items


def select_rows(indptr, indices, users):
    """CSR rows `users` as the clicks' (batch row, item) coordinates, and row counts."""
    starts = indptr[users]
    counts = indptr[users + 1] - starts
    offsets = np.zeros(len(users) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    row = np.repeat(np.arange(len(users)), counts)
    # Click k of the batch is the (k - offsets[row])-th click of its user's CSR row.
    pos = np.arange(offsets[-1]) - offsets[row] + starts[row]
    col = indices[pos]
    return torch.from_numpy(row), torch.from_numpy(col), torch.from_numpy(counts)


class MultNet(nn.Module):
    """I-600-200-600-I; `sparse`: the first layer is an (I, 600) weight fed by
    torch.sparse.mm, else an nn.Linear."""

    def __init__(self, n_items, model, sparse):
        super().__init__()
        self.n_items, self.vae, self.sparse = n_items, model == "vae", sparse
        if sparse:
            self.w_in = nn.Parameter(torch.empty(n_items, HIDDEN))
            self.b_in = nn.Parameter(torch.empty(HIDDEN))
        else:
            self.first = nn.Linear(n_items, HIDDEN)
        self.code = nn.Linear(HIDDEN, 2 * LATENT if self.vae else LATENT)
        self.dec = nn.Linear(LATENT, HIDDEN)
        self.out = nn.Linear(HIDDEN, n_items)
        for p in self.parameters():  # Xavier-uniform weights, N(0, 0.001^2) biases
            if p.dim() == 2:
                nn.init.xavier_uniform_(p)
            else:
                nn.init.normal_(p, 0.0, 0.001)

    def first_layer(self, batch, keep):
        """The first layer's pre-activation of the normalised, dropped-out input, and
        the dense x (None for a sparse batch)."""
        if not self.sparse:
            x = batch  # (B, I) dense clicks
            h = F.normalize(x, dim=1)  # x_u / ||x_u||_2
            # Inverted dropout; `keep`, a 0/1 mask, replaces the random one in tests.
            h = F.dropout(h, P_DROP) if keep is None else h * keep / (1 - P_DROP)
            return self.first(h), x
        with torch.autocast("cpu", enabled=False):  # no bf16 sparse product in MKL
            return self.sparse_first_layer(batch, keep), None

    def sparse_first_layer(self, batch, keep):
        row, col, counts = batch
        # Every click is 1, so ||x_u||_2 = sqrt(clicks of u): values 1 / sqrt(count).
        vals = counts.to(torch.float32).rsqrt()[row]
        if keep is None:
            vals = F.dropout(vals, P_DROP)  # on the values only
        else:
            vals = vals * keep / (1 - P_DROP)
        # The coordinates are row-major without repeats: coalesced as built.
        x = torch.sparse_coo_tensor(
            torch.stack([row, col]),
            vals,
            (counts.shape[0], self.n_items),
            is_coalesced=True,
            check_invariants=False,
        )
        return torch.sparse.mm(x, self.w_in) + self.b_in

    def loss(self, batch, beta, keep=None, eps=None):
        """neg_ll + beta * KL over one batch (`keep`, `eps`: fixed noise for tests)."""
        h, x = self.first_layer(batch, keep)
        h = torch.tanh(h)
        kl = None
        if self.vae:
            code = self.code(h)
            mu, logvar = code[:, :LATENT], code[:, LATENT:]
            if eps is None:
                eps = torch.randn_like(mu)
            z = mu + eps * torch.exp(0.5 * logvar)  # reparameterised sample
            # KL(N(mu, sigma^2) || N(0, 1)) summed per row, mean over rows
            kl = (0.5 * (-logvar + logvar.exp() + mu * mu - 1)).sum(1).mean()
        else:
            z = torch.tanh(self.code(h))
        # dtype=f32: under autocast the logits are bf16, and CPU autocast would leave the
        # log-softmax (and so the loss) in bf16; the loss stays f32, as in `vae --precision bf16`.
        logp = F.log_softmax(self.out(torch.tanh(self.dec(z))), dim=1, dtype=torch.float32)
        if x is not None:
            neg_ll = -(logp * x).sum(1).mean()  # -mean_u sum_i x_ui log pi_ui
        else:
            # x_ui = 1 at the clicks, 0 elsewhere: gather log pi at the clicks. Summing
            # per row, then averaging over the B rows, is summing all and dividing by B.
            row, col, counts = batch
            neg_ll = -logp[row, col].sum() / counts.shape[0]
        return neg_ll if kl is None else neg_ll + beta * kl


def make_batch(sparse, n_items, indptr, indices, users):
    row, col, counts = select_rows(indptr, indices, users)
    if sparse:
        return row, col, counts
    x = torch.zeros(len(users), n_items)
    x.index_put_((row, col), torch.ones(()))  # densify the click rows
    return x


def main(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    t = time.perf_counter()
    indptr, indices, n_items = load_csr(a.data)
    load_s = time.perf_counter() - t
    users = len(indptr) - 1
    sparse = a.input == "sparse"
    order = np.random.default_rng(a.seed).permutation(users)
    batches = [order[i : i + a.batch_size] for i in range(0, users, a.batch_size)]
    timed = len(batches) if a.steps is None else max(1, min(a.steps, len(batches)))
    extrapolated = timed < len(batches)

    net = MultNet(n_items, a.model, sparse)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = net.loss
    mode = "compile" if a.compile else "eager"
    if a.autocast != "none":
        mode += f" autocast-{a.autocast}"
    if a.compile:
        # Static shapes for dense batches (the warm-ups compile B = 500 and the last
        # batch's B); sparse batches change nnz every step: automatic dynamic shapes.
        loss_fn = torch.compile(net.loss, dynamic=None if sparse else False)
    print(
        f"config: torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{mode} {a.input} {a.model} I-{HIDDEN}-{LATENT}-{HIDDEN}-I, "
        f"{users} users x {n_items} items, {len(indices)} clicks, "
        f"batch {a.batch_size}, {len(batches)} steps per epoch, timing {timed} steps"
        f"{' (extrapolated)' if extrapolated else ''}; data loaded in {load_s:.1f} s"
    )

    def step(n, users):
        """One training step on `users`; returns its loss (read: the step is done)."""
        batch = make_batch(sparse, n_items, indptr, indices, users)
        beta = torch.tensor(min(ANNEAL_CAP, n / ANNEAL_STEPS))  # tensor: no recompile
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.autocast == "bf16"):
            loss = loss_fn(batch, beta)
        loss.backward()
        opt.step()
        return loss.item()

    t = time.perf_counter()
    try:
        for n, users_ in enumerate([batches[0], batches[-1]]):
            step(n, users_)
    except Exception:
        if not a.compile:
            raise
        traceback.print_exc()
        print("torch.compile failed on this machine (above)", file=sys.stderr)
        sys.exit(2)
    print(f"warm-up: 2 steps in {time.perf_counter() - t:.1f} s (untimed)")

    step_s = []
    start = time.perf_counter()
    for n, users_ in enumerate(batches[:timed]):
        s = time.perf_counter()
        loss = step(n + 2, users_)
        step_s.append(time.perf_counter() - s)
    wall = time.perf_counter() - start
    timed_users = sum(len(b) for b in batches[:timed])

    epoch = wall / timed * len(batches)
    how = f" (extrapolated from {timed} steps)" if extrapolated else ""
    print(
        f"torch {mode} {a.input} {a.model}: epoch {epoch:.1f} s{how}, "
        f"{len(batches)} steps, mean step {wall / timed:.3f} s, "
        f"median step {statistics.median(step_s):.3f} s, "
        f"{timed_users / wall:.0f} users/s, last loss {loss:.2f}"
    )


if __name__ == "__main__":
    main(ARGS)
