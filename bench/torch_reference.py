"""PyTorch reference for `npm run bench:train`: the same two models, data and settings, trained for one epoch.

A peer measurement, not a dependency of the app. Run with Debian's python3-torch:
    /usr/bin/python3 bench/torch_reference.py --data /usr/share/datasets/fashion-mnist --threads 1
Prints one JSON object per model on stdout.
"""

import argparse
import gzip
import json
import resource
import struct
import time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def reference_conv(size=28, channels=1):
    # The issue's reference model; padding/output_padding reproduce Keras' "same" for stride 2.
    quarter = size // 4
    return nn.Sequential(
        nn.Conv2d(channels, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(quarter * quarter * 64, 16),
        nn.Linear(16, quarter * quarter * 64), nn.ReLU(), nn.Unflatten(1, (64, quarter, quarter)),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, channels, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
    )


def dense_ae():
    widths = [784, 512, 256, 128, 30, 128, 256, 512, 784]
    layers = [nn.Flatten()]
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        last = i == len(widths) - 2
        if last:
            layers.append(nn.Sigmoid())
        elif widths[i + 1] != 30:
            layers.append(nn.ReLU())
    layers.append(nn.Unflatten(1, (1, 28, 28)))
    return nn.Sequential(*layers)


def run(name, model, train, test, batch, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    n = train.shape[0]
    order = torch.randperm(n)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for i in range(0, n, batch):
            x = train[order[i : i + batch]]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), x)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        total = 0.0
        for i in range(0, test.shape[0], 1000):
            x = test[i : i + 1000]
            total += float(((model(x) - x) ** 2).sum())
        test_mse = total / test.numel()
    return {
        "model": name,
        "engine": f"pytorch {torch.__version__} ({torch.get_num_threads()} thread(s))",
        "images": n * epochs,
        "seconds": round(seconds, 2),
        "imagesPerSec": round(n * epochs / seconds, 1),
        "testMse": round(test_mse, 5),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images only (0: all)")
    parser.add_argument("--models", default="conv,dense")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    to_tensor = lambda a: torch.from_numpy(a.astype(np.float32) / 255.0).unsqueeze(1)
    train = to_tensor(read_idx(f"{args.data}/train-images-idx3-ubyte.gz"))
    test = to_tensor(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz"))
    if args.limit:
        train = train[: args.limit]
    builders = {"conv": reference_conv, "dense": dense_ae}
    for name in args.models.split(","):
        print(json.dumps(run(name, builders[name](), train, test, args.batch, args.epochs)), flush=True)


if __name__ == "__main__":
    main()
