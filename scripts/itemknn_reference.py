"""A reference for vae/src/baselines/itemknn.rs: RecBole's ItemKNN (ComputeSimilarity's cosine,
the top k of each column of XᵀX, the diagonal zeroed, RecBole's 1e-6 in the denominator) written
again in dense numpy, and the validation NDCG@100 of a pro_sg folder as the vae_cf notebook
computes it (fold-in items masked, ties to the lower item as a stable sort leaves them).

    python scripts/itemknn_reference.py DATA_DIR K [SHRINK]

prints the validation NDCG@100 and the non-zeros of W, to compare with the `k K` line of
`vae train --model itemknn --knn-k K --data DATA_DIR`. Dense: n × n floats and users × n clicks,
so it suits ML-100k and ML-1M, not ML-20M.
"""

import csv
import sys

import numpy as np


def clicks(path, n):
    """The (uid, sid) rows of a pro_sg CSV as a dense 0/1 matrix, users in increasing uid."""
    with open(path) as f:
        rows = [(int(u), int(s)) for u, s in list(csv.reader(f))[1:]]
    uids = sorted({u for u, _ in rows})
    row = {u: r for r, u in enumerate(uids)}
    x = np.zeros((len(uids), n))
    for u, s in rows:
        x[row[u], s] = 1.0
    return x, uids


def itemknn(x, k, shrink):
    """W with at most k entries a column: column j holds the k items i most cosine-similar to j."""
    n = x.shape[1]
    g = x.T @ x
    norm = np.sqrt(np.diag(g))
    w = np.zeros((n, n))
    for j in range(n):
        s = g[:, j].copy()
        s[j] = 0.0
        s = s / (norm[j] * norm + shrink + 1e-6)
        top = np.argsort(-s, kind="stable")[:k]
        top = top[s[top] != 0.0]
        w[top, j] = s[top]
    return w


def ndcg_at_100(scores, heldout):
    total = []
    for u in range(scores.shape[0]):
        ranked = np.argsort(-scores[u], kind="stable")[:100]
        dcg = sum(1.0 / np.log2(r + 2) for r, i in enumerate(ranked) if heldout[u, i] > 0)
        hits = int(heldout[u].sum())
        idcg = sum(1.0 / np.log2(r + 2) for r in range(min(hits, 100)))
        total.append(dcg / idcg)
    return float(np.mean(total))


def main():
    data, k = sys.argv[1], int(sys.argv[2])
    shrink = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    with open(f"{data}/unique_sid.txt") as f:
        n = sum(1 for _ in f)
    train, _ = clicks(f"{data}/train.csv", n)
    w = itemknn(train, k, shrink)
    fold_in, a = clicks(f"{data}/validation_tr.csv", n)
    heldout, b = clicks(f"{data}/validation_te.csv", n)
    assert a == b, "validation_tr.csv and validation_te.csv hold other users"
    scores = fold_in @ w
    scores[fold_in > 0] = -np.inf
    print(
        f"k {k}, shrink {shrink}: validation ndcg@100 {ndcg_at_100(scores, heldout):.4f}, "
        f"{int((w != 0).sum())} similarities kept"
    )


if __name__ == "__main__":
    main()
