"""PyTorch reference for `npm run bench:gallery`: the same conv AE's forward pass over 100 64x64 RGB images.

A notebook's way to make a reconstruction gallery: model(x) on a batch, then bytes for plotting. Uses as many
threads as the machine has cores, as a notebook would. Prints one JSON object on stdout (milliseconds).
"""

import argparse
import json
import os
import time

import torch

from torch_reference import reference_conv


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(1)
    model = reference_conv(64, 3).eval()
    images = torch.randint(0, 256, (100, 3, 64, 64), dtype=torch.uint8)
    times = []
    with torch.no_grad():
        for _ in range(args.repeats + 1):
            started = time.perf_counter()
            x = images.float() / 255
            y = model(x)
            errors = ((x - y) ** 2).mean(dim=(1, 2, 3))
            out = (y.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
            assert out.shape == (100, 3, 64, 64) and errors.shape == (100,)
            times.append((time.perf_counter() - started) * 1000)
    times = times[1:]  # the first pass warms up
    print(json.dumps({"median": round(sorted(times)[len(times) // 2], 1), "all": [round(t, 1) for t in times],
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
