"""PyTorch CPU baseline for bench/backends.ts: ms/image of MobileNet v1 1.0 and ResNet50 (random weights) at the
given batch sizes, with a fixed number of intra-op threads. Prints one JSON object per line.

    /usr/bin/python3 pytorch_baseline.py --threads 2 --images 32 --reps 3 --batches 1,8,32
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torchvision


def mobilenet_v1(alpha=1.0, classes=1000):
    """Keras MobileNet v1 (same layers and parameter count as keras.applications.MobileNet)."""
    def c(f):
        return int(f * alpha)

    def conv_bn(i, o, s):
        return [nn.Conv2d(i, o, 3, s, 1, bias=False), nn.BatchNorm2d(o, eps=1e-3), nn.ReLU6(inplace=True)]

    def dw(i, o, s):
        return [
            nn.Conv2d(i, i, 3, s, 1, groups=i, bias=False), nn.BatchNorm2d(i, eps=1e-3), nn.ReLU6(inplace=True),
            nn.Conv2d(i, o, 1, 1, 0, bias=False), nn.BatchNorm2d(o, eps=1e-3), nn.ReLU6(inplace=True),
        ]

    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    layers = conv_bn(3, c(32), 2)
    prev = c(32)
    for f, s in blocks:
        layers += dw(prev, c(f), s)
        prev = c(f)
    layers += [nn.AdaptiveAvgPool2d(1), nn.Dropout(1e-3), nn.Conv2d(prev, classes, 1), nn.Flatten(), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def count(model):
    return sum(p.numel() for p in model.parameters()) + sum(
        b.numel() for n, b in model.named_buffers() if not n.endswith('num_batches_tracked'))


def bench(model, batch, images, reps):
    x = torch.rand(batch, 3, 224, 224) * 2 - 1
    with torch.inference_mode():
        model(x)  # warm-up
        calls = max(1, -(-images // batch))
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(calls):
                model(x)
            times.append((time.perf_counter() - t0) * 1000 / (calls * batch))
    return sorted(times)[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--images', type=int, default=32)
    ap.add_argument('--resnet-images', type=int, default=8)
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--batches', default='1,8,32')
    ap.add_argument('--models', default='mobilenet_v1_1.0,resnet50')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    builders = {'mobilenet_v1_1.0': mobilenet_v1, 'resnet50': lambda: torchvision.models.resnet50(weights=None)}
    for name in a.models.split(','):
        model = builders[name]().eval()
        variants = [('pytorch eager', model)]
        try:
            # Frozen TorchScript folds BatchNorm into the convolutions, as our ONNX compiler does.
            variants.append(('pytorch jit.freeze', torch.jit.optimize_for_inference(torch.jit.script(model))))
        except Exception as e:  # noqa: BLE001 - report and go on with eager
            print(json.dumps({'model': name, 'note': f'jit.freeze unavailable: {e}'}), flush=True)
        for label, m in variants:
            for batch in [int(b) for b in a.batches.split(',')]:
                ms = bench(m, batch, a.resnet_images if name == 'resnet50' else a.images, a.reps)
                print(json.dumps({'model': name, 'backend': label, 'batch': batch, 'ms': ms, 'params': count(model),
                                  'threads': torch.get_num_threads(), 'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
