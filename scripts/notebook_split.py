"""The data section of dawenl/vae_cf's VAE_ML20M_WWW2018.ipynb, step for step, on a RecBole `.inter`
file; prints the sha256 of the six pro_sg files it writes. `vae data prepare` must produce the same
bytes: this script made the expected hashes in vae/tests/ml1m_acceptance.rs.

    python3 -m venv venv && venv/bin/pip install pandas numpy
    venv/bin/python scripts/notebook_split.py .cache/ml-1m/ml-1m.inter --heldout-frac 0.1 [--out DIR]

Made with pandas 3.1.1, numpy 2.4.6. Changes from the notebook, none affecting the output: the input
is read tab-separated with its `name:type` header stripped to `userId`/`movieId`/`rating`; counts use
`groupby(id).size()`, the Series that the notebook's `groupby(id, as_index=False).size()` returned in
the pandas of 2018; the number of held-out users is a parameter (the notebook: 10000); no progress
prints.
"""

import argparse
import hashlib
import os
import tempfile

import numpy as np
import pandas as pd

FILES = [
    "unique_sid.txt",
    "train.csv",
    "validation_tr.csv",
    "validation_te.csv",
    "test_tr.csv",
    "test_te.csv",
]


def get_count(tp, id):
    return tp.groupby(id).size()


def filter_triplets(tp, min_uc=5, min_sc=0):
    if min_sc > 0:
        itemcount = get_count(tp, "movieId")
        tp = tp[tp["movieId"].isin(itemcount.index[itemcount >= min_sc])]
    if min_uc > 0:
        usercount = get_count(tp, "userId")
        tp = tp[tp["userId"].isin(usercount.index[usercount >= min_uc])]
    usercount, itemcount = get_count(tp, "userId"), get_count(tp, "movieId")
    return tp, usercount, itemcount


def split_train_test_proportion(data, test_prop=0.2):
    data_grouped_by_user = data.groupby("userId")
    tr_list, te_list = list(), list()
    np.random.seed(98765)
    for _, group in data_grouped_by_user:
        n_items_u = len(group)
        if n_items_u >= 5:
            idx = np.zeros(n_items_u, dtype="bool")
            idx[
                np.random.choice(
                    n_items_u, size=int(test_prop * n_items_u), replace=False
                ).astype("int64")
            ] = True
            tr_list.append(group[np.logical_not(idx)])
            te_list.append(group[idx])
        else:
            tr_list.append(group)
    return pd.concat(tr_list), pd.concat(te_list)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("inter")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--heldout-frac", type=float)
    g.add_argument("--heldout-users", type=int)
    p.add_argument("--out")
    a = p.parse_args()

    raw_data = pd.read_csv(a.inter, sep="\t", header=0)
    raw_data.columns = [c.split(":")[0] for c in raw_data.columns]
    raw_data = raw_data.rename(columns={"user_id": "userId", "item_id": "movieId"})
    raw_data = raw_data[raw_data["rating"] > 3.5]

    raw_data, user_activity, item_popularity = filter_triplets(raw_data)
    print(
        "%d clicks, %d users, %d items"
        % (raw_data.shape[0], user_activity.shape[0], item_popularity.shape[0])
    )

    unique_uid = user_activity.index
    np.random.seed(98765)
    idx_perm = np.random.permutation(unique_uid.size)
    unique_uid = unique_uid[idx_perm]

    n_users = unique_uid.size
    if a.heldout_users is not None:
        n_heldout_users = a.heldout_users
    else:
        n_heldout_users = int(a.heldout_frac * n_users)
    tr_users = unique_uid[: (n_users - n_heldout_users * 2)]
    vd_users = unique_uid[(n_users - n_heldout_users * 2) : (n_users - n_heldout_users)]
    te_users = unique_uid[(n_users - n_heldout_users) :]

    train_plays = raw_data.loc[raw_data["userId"].isin(tr_users)]
    unique_sid = pd.unique(train_plays["movieId"])
    show2id = dict((sid, i) for (i, sid) in enumerate(unique_sid))
    profile2id = dict((pid, i) for (i, pid) in enumerate(unique_uid))

    pro_dir = a.out or tempfile.mkdtemp()
    os.makedirs(pro_dir, exist_ok=True)
    with open(os.path.join(pro_dir, "unique_sid.txt"), "w") as f:
        for sid in unique_sid:
            f.write("%s\n" % sid)

    vad_plays = raw_data.loc[raw_data["userId"].isin(vd_users)]
    vad_plays = vad_plays.loc[vad_plays["movieId"].isin(unique_sid)]
    vad_plays_tr, vad_plays_te = split_train_test_proportion(vad_plays)

    test_plays = raw_data.loc[raw_data["userId"].isin(te_users)]
    test_plays = test_plays.loc[test_plays["movieId"].isin(unique_sid)]
    test_plays_tr, test_plays_te = split_train_test_proportion(test_plays)

    def numerize(tp):
        uid = list(map(lambda x: profile2id[x], tp["userId"]))
        sid = list(map(lambda x: show2id[x], tp["movieId"]))
        return pd.DataFrame(data={"uid": uid, "sid": sid}, columns=["uid", "sid"])

    numerize(train_plays).to_csv(os.path.join(pro_dir, "train.csv"), index=False)
    numerize(vad_plays_tr).to_csv(os.path.join(pro_dir, "validation_tr.csv"), index=False)
    numerize(vad_plays_te).to_csv(os.path.join(pro_dir, "validation_te.csv"), index=False)
    numerize(test_plays_tr).to_csv(os.path.join(pro_dir, "test_tr.csv"), index=False)
    numerize(test_plays_te).to_csv(os.path.join(pro_dir, "test_te.csv"), index=False)

    for name in FILES:
        with open(os.path.join(pro_dir, name), "rb") as f:
            print(hashlib.sha256(f.read()).hexdigest(), name)


if __name__ == "__main__":
    main()
