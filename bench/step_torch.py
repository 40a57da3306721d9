"""step_torch.py - PyTorch's side of bench/step.sh: the training steps of
bench_step.c (same shapes, loss and optimiser) on one thread.

    /usr/bin/python3 bench/step_torch.py [--case a|b|c|all] [--seconds S]

Step: zero_grad, forward, cross-entropy (mean over the batch), backward,
SGD(lr 0.01, momentum 0.9, weight_decay 0). Prints key=value lines like
bench_step: case=X what=torch ms_per_step=... samples_per_s=...
Timing as in bench_step.c (process CPU time, or wall time with --wall):
the median over repeats of up to MAX_RUN steps
(at least REPS repeats, about --seconds in all), each repeat restarting from
the same parameters and empty momentum buffers (untimed).
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

REPS = 5
MAX_RUN = 200
MAX_REPS = 1000


def mlp(widths):
    layers = []
    for i in range(len(widths) - 2):
        layers += [nn.Linear(widths[i], widths[i + 1]), nn.ReLU()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    return nn.Sequential(*layers)


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


def cnn():
    # as dett's model_cnn(3, 28, 28, {16, 32}, k 3, max pool 2, fc 64, 2)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        GlobalAvgPool(), nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 2))


CASES = {
    "a": ("mlp 20-64-64-2", 64, (20,), lambda: mlp([20, 64, 64, 2])),
    "b": ("mlp 784-512-512-2", 128, (784,), lambda: mlp([784, 512, 512, 2])),
    "c": ("cnn 3x28x28 conv16-pool-conv32-pool-gap-fc64-2", 128, (3, 28, 28), cnn),
}


clock = time.process_time


def time_per_call(f, reset, seconds):
    reset()
    f()
    f()
    reset()
    t0 = clock()
    n = 0
    while clock() - t0 < 0.05 and n < MAX_RUN:
        f()
        n += 1
    per = (clock() - t0) / n
    k = min(MAX_RUN, max(1, int(seconds / REPS / per)))
    reps = min(MAX_REPS, max(REPS, int(seconds / (per * k))))
    times = []
    for _ in range(reps):
        reset()
        t0 = clock()
        for _ in range(k):
            f()
        times.append((clock() - t0) / k)
    return statistics.median(times)


def run_case(name, seconds):
    desc, batch, shape, build = CASES[name]
    torch.manual_seed(7)
    model = build()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=0.0)
    x = torch.rand((batch,) + shape) * 2 - 1
    y = torch.randint(0, 2, (batch,))
    p0 = [p.detach().clone() for p in model.parameters()]

    def reset():
        with torch.no_grad():
            for p, q in zip(model.parameters(), p0):
                p.copy_(q)
        opt.state.clear()

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    t = time_per_call(step, reset, seconds)
    print(f'case={name} what=torch desc="{desc}" batch={batch} '
          f"ms_per_step={1e3 * t:.4f} samples_per_s={batch / t:.0f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", default="all", choices=["a", "b", "c", "all"])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--wall", action="store_true", help="wall-clock time, not CPU time")
    args = ap.parse_args()
    global clock
    if args.wall:
        clock = time.perf_counter
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} "
          f"clock={'wall' if args.wall else 'cpu'}", flush=True)
    for name in CASES:
        if args.case in ("all", name):
            run_case(name, args.seconds)


if __name__ == "__main__":
    main()
