"""A small PyTorch MLP on scikit-learn's bundled digits data (no downloads).

An ordinary training script: it knows nothing about Cairn. It takes its
hyperparameters as flags and prints one line per epoch,

    epoch=3 val_acc=0.912 loss=0.311

which Cairn reads as metrics. When CAIRN_TRIAL_DIR is set it keeps a
checkpoint there and resumes from it (so a requeued job continues), and saves
the final model as an artifact.
"""
import argparse
import json
import os
import sys

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--optimizer", choices=["sgd", "adam", "rmsprop"], default="adam")
    p.add_argument("--momentum", type=float, default=0.9, help="sgd only")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def build_model(width, depth, dropout):
    layers, d_in = [], 64
    for _ in range(depth):
        layers += [torch.nn.Linear(d_in, width), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
        d_in = width
    layers.append(torch.nn.Linear(d_in, 10))
    return torch.nn.Sequential(*layers)


def build_optimizer(name, params, lr, momentum):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)


def main():
    args = parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(
        x / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    x_train = torch.tensor(x_train, dtype=torch.float32)
    y_train = torch.tensor(y_train)
    x_val = torch.tensor(x_val, dtype=torch.float32)
    y_val = torch.tensor(y_val)

    model = build_model(args.width, args.depth, args.dropout)
    opt = build_optimizer(args.optimizer, model.parameters(), args.lr, args.momentum)
    print(json.dumps({"n_params": sum(p.numel() for p in model.parameters())}), flush=True)

    trial_dir = os.environ.get("CAIRN_TRIAL_DIR")
    ckpt = os.path.join(trial_dir, "checkpoint.pt") if trial_dir else None
    start = 1
    if ckpt and os.path.exists(ckpt):
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        start = state["epoch"] + 1
        print(f"resumed from {ckpt} at epoch {start}", file=sys.stderr, flush=True)

    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(args.seed)
    for epoch in range(start, args.epochs + 1):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(perm), args.batch_size):
            idx = perm[i:i + args.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            val_acc = (model(x_val).argmax(1) == y_val).float().mean().item()
        print(f"epoch={epoch} val_acc={val_acc:.5f} loss={total / len(perm):.5f}", flush=True)
        if ckpt:
            save_atomically({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch}, ckpt)
    if trial_dir:
        save_atomically(model.state_dict(), os.path.join(trial_dir, "model.pt"))


def save_atomically(obj, path):
    # A stop (SIGTERM) can come while saving: write aside, then rename, so the
    # file is always a whole checkpoint a requeued run can resume from.
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
