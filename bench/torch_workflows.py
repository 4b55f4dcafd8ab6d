"""PyTorch reference for `npm run bench:workflows`: workflow 002's dense autoencoder, trained as the notebook did.

784-512-256-128-30 encoder and 30-128-256-784 decoder (ReLU, the code too), Adam 3e-4, batch 256, MSE, shuffled
each epoch; the output is a sigmoid, as in the app's preset (the notebook's ReLU output lets pixels leave 0..1).
A peer measurement on the same data as the app, not a dependency of the app. Run with Debian's python3-torch:
    /usr/bin/python3 bench/torch_workflows.py --data /usr/share/datasets/fashion-mnist --epochs 10
Prints one JSON object per epoch on stdout: epoch, train loss (mean over the epoch's batches), test loss, seconds.
"""

import argparse
import json
import time

import numpy as np
import torch
from torch import nn

from torch_reference import read_idx


def dense_002():
    widths = [784, 512, 256, 128, 30, 128, 256, 784]
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        layers.append(nn.Sigmoid() if i == len(widths) - 2 else nn.ReLU())
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    flat = lambda a: torch.from_numpy(a.reshape(a.shape[0], -1).astype(np.float32) / 255.0)
    train = flat(read_idx(f"{args.data}/train-images-idx3-ubyte.gz"))
    test = flat(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz"))
    model = dense_002()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    loss_fn = nn.MSELoss()
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(train.shape[0])
        total, batches = 0.0, 0
        for i in range(0, train.shape[0], 256):
            x = train[order[i : i + 256]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), x)
            loss.backward()
            opt.step()
            total += float(loss)
            batches += 1
        model.eval()
        with torch.no_grad():
            test_loss = float(loss_fn(model(test), test))
        print(json.dumps({
            "epoch": epoch,
            "trainLoss": round(total / batches, 5),
            "testLoss": round(test_loss, 5),
            "seconds": round(time.perf_counter() - start, 1),
            "engine": f"pytorch {torch.__version__} ({torch.get_num_threads()} threads)",
        }), flush=True)


if __name__ == "__main__":
    main()
