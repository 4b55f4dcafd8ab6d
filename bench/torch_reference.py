"""PyTorch reference for `npm run bench:train` and the GPU check (bench/device): the same models, data and settings.

A peer measurement, not a dependency of the app. Run with Debian's python3-torch:
    /usr/bin/python3 bench/torch_reference.py --data /usr/share/datasets/fashion-mnist --threads 1
Prints one JSON object per model on stdout. Needs only torch (no numpy), as a bare GPU box has it.
"""

import argparse
import gzip
import json
import resource
import struct
import time

import os

import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4 : 4 + 4 * dims])
    return torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=4 + 4 * dims).reshape(shape)


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


def bn(features, dims=2):
    # Keras' (and so the app's) batch norm: epsilon 1e-3, moving averages kept at 0.99 (PyTorch's momentum 0.01).
    return (nn.BatchNorm2d if dims == 2 else nn.BatchNorm1d)(features, eps=1e-3, momentum=0.01)


def cae_001():
    # Seed 001's Fashion CAE as the app's preset builds it (fashion-cae-2d, 306,699 parameters): conv + ReLU + BN +
    # max-pool twice, a 2-D ReLU code, dense 1024, then upsample x3 + valid conv twice and a 1x1 sigmoid conv.
    return nn.Sequential(
        nn.Conv2d(1, 112, 3), nn.ReLU(), bn(112), nn.MaxPool2d(2),
        nn.Conv2d(112, 112, 3), nn.ReLU(), bn(112), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(5 * 5 * 112, 2), nn.ReLU(),
        bn(2, 1), nn.Linear(2, 1024), nn.ReLU(), bn(1024, 1), nn.Unflatten(1, (64, 4, 4)), bn(64),
        nn.Upsample(scale_factor=3), nn.Conv2d(64, 112, 3), nn.ReLU(), bn(112),
        nn.Upsample(scale_factor=3), nn.Conv2d(112, 112, 3), nn.ReLU(), bn(112),
        nn.Conv2d(112, 1, 1), nn.Sigmoid(),
    )


def photos_004(size=64, channels=3):
    # Seed 004's photo stack as the preset builds it for 64x64 RGB (photos-stride2-bn, 5,734,915 parameters):
    # 2x2 stride-2 conv + ReLU + BN from 32 to 1024 filters down to 1x1, a 64-D code, the mirror in transposed convs.
    filters = [32, 64, 128, 256, 512, 1024]
    layers, previous = [], channels
    for f in filters:
        layers += [nn.Conv2d(previous, f, 2, stride=2), nn.ReLU(), bn(f)]
        previous = f
    layers += [nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 1024), nn.ReLU(), nn.Unflatten(1, (1024, 1, 1))]
    for i in range(len(filters) - 1, -1, -1):
        out = channels if i == 0 else filters[i - 1]
        layers += [nn.ConvTranspose2d(filters[i], out, 2, stride=2)]
        layers += [nn.Sigmoid()] if i == 0 else [nn.ReLU(), bn(out)]
    return nn.Sequential(*layers)


def run(name, model, train, test, batch, epochs, loss_name="mse", warmup=0, seconds=0.0):
    """Trains `epochs` epochs, timing all but the first `warmup` batches, stopping early after `seconds` of them."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.MSELoss() if loss_name == "mse" else nn.BCELoss()
    n = train.shape[0]
    order = torch.randperm(n)
    sync = torch.cuda.synchronize if train.is_cuda else (lambda: None)
    if train.is_cuda:
        torch.cuda.reset_peak_memory_stats()
    steps = [(e, i) for e in range(epochs) for i in range(0, n, batch)]
    timed_images, start = 0, None
    for k, (_, i) in enumerate(steps):
        if k == warmup:
            sync()
            start = time.perf_counter()
        model.train()
        x = train[order[i : i + batch].to(train.device)]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), x)
        loss.backward()
        opt.step()
        if start is not None:
            timed_images += x.shape[0]
            # On CUDA the time cap is looked at every 10 steps, so the queue stays full in between.
            if seconds and (not train.is_cuda or k % 10 == 0):
                sync()
                if time.perf_counter() - start >= seconds:
                    break
    sync()
    elapsed = time.perf_counter() - start if start is not None else 0.0
    model.eval()
    with torch.no_grad():
        total = 0.0
        for i in range(0, test.shape[0], 1000):
            x = test[i : i + 1000]
            total += float(loss_fn(model(x), x)) * x.numel()
        test_loss = total / test.numel()
    result = {
        "model": name,
        "engine": f"pytorch {torch.__version__} "
        + (f"(CUDA, {torch.cuda.get_device_name()})" if train.is_cuda else f"({torch.get_num_threads()} thread(s))"),
        "images": timed_images,
        "seconds": round(elapsed, 2),
        "imagesPerSec": round(timed_images / elapsed, 1) if elapsed > 0 else None,
        "loss": loss_name,
        "testLoss": round(test_loss, 5),
        "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if train.is_cuda:
        result["peakGpuMb"] = round(torch.cuda.max_memory_allocated() / 1048576, 1)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images only (0: all)")
    parser.add_argument("--models", default="conv,dense")
    parser.add_argument("--cuda", action="store_true", help="train on the GPU (the GPU check script)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--photos", default="", help="raw uint8 NHWC 64x64x3 images for photos004 (train, then test)")
    parser.add_argument("--photos-train", type=int, default=0)
    parser.add_argument("--batches", default="", help="model=batch,... overriding --batch")
    parser.add_argument("--warmup", type=int, default=0, help="untimed batches first (kernel selection, allocation)")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this many timed seconds (0: never)")
    parser.add_argument("--test-limit", type=int, default=0, help="test on the first N test images only (0: all)")
    args = parser.parse_args()
    if args.cuda and not torch.cuda.is_available():
        print(json.dumps({"error": f"PyTorch {torch.__version__} finds no CUDA device"}), flush=True)
        return
    if args.threads <= 0:
        args.threads = os.cpu_count() or 1
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    to_tensor = lambda a: (a.float() / 255.0).unsqueeze(1)
    train = to_tensor(read_idx(f"{args.data}/train-images-idx3-ubyte.gz"))
    test = to_tensor(read_idx(f"{args.data}/t10k-images-idx3-ubyte.gz"))
    if args.limit:
        train = train[: args.limit]
    if args.test_limit:
        test = test[: args.test_limit]
    batches = dict((k, int(v)) for k, v in (p.split("=") for p in args.batches.split(",") if p))
    builders = {"conv": reference_conv, "dense": dense_ae, "cae001": cae_001, "photos004": photos_004}
    losses = {"cae001": "bce"}
    for name in args.models.split(","):
        model = builders[name]()
        if torch.cuda.is_available() and args.cuda:
            model = model.cuda()
        data_train, data_test = train, test
        if name == "photos004":
            with open(args.photos, "rb") as f:
                photos = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(-1, 64, 64, 3)
            as_tensor = lambda a: (a.float() / 255.0).permute(0, 3, 1, 2).contiguous()
            data_train, data_test = as_tensor(photos[: args.photos_train]), as_tensor(photos[args.photos_train :])
            if args.test_limit:
                data_test = data_test[: args.test_limit]
        if args.cuda and torch.cuda.is_available():
            data_train, data_test = data_train.cuda(), data_test.cuda()
        batch = batches.get(name, args.batch)
        loss_name = losses.get(name, "mse")
        result = run(name, model, data_train, data_test, batch, args.epochs, loss_name, args.warmup, args.seconds)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
