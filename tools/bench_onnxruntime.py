#!/usr/bin/env python3
"""Peer benchmark for the integer golden model: onnxruntime int8 DeiT-B, batch 1.

Builds a DeiT-B (timm VisionTransformer semantics) with seeded random weights,
exports it to ONNX, quantises it with onnxruntime's dynamic int8 recipe and
times single-image CPU inference. Weights are random because only speed is
measured here.

Usage (from the repository root):
    python3 tools/bench_onnxruntime.py [--threads 2] [--runs 10] [--workdir DIR] [--json]

Exported models are cached in --workdir and reused on later runs; delete the
directory to force a re-export.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
from onnxruntime.quantization import QuantType, quantize_dynamic

# DeiT-B / ViT-B/16 at 224x224 (timm "deit_base_patch16_224").
CFG = dict(
    img_size=224,
    patch_size=16,
    in_chans=3,
    embed_dim=768,
    depth=12,
    num_heads=12,
    mlp_ratio=4.0,
    num_classes=1000,
    ln_eps=1e-6,
)
OPSET = 17
WARMUP = 2

# The model: tools/vit_torch.py (timm's VisionTransformer in plain torch).
from vit_torch import VisionTransformer  # noqa: E402


def init_for_speed(model: nn.Module) -> None:
    """Random N(0, 0.02) weights: realistic magnitudes for quantisation ranges; the values
    themselves don't affect timing."""
    for p in (model.cls_token, model.pos_embed):
        nn.init.normal_(p, std=0.02)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)


# --------------------------------------------------------------------------
# Export / quantise (cached)
# --------------------------------------------------------------------------


def log(msg: str) -> None:
    # stderr, so --json leaves stdout machine-readable.
    print(msg, file=sys.stderr, flush=True)


def export_fp32(path: Path) -> None:
    torch.manual_seed(0)
    model = VisionTransformer(**CFG)
    init_for_speed(model)
    model.eval()
    dummy = torch.zeros(1, CFG["in_chans"], CFG["img_size"], CFG["img_size"])
    tmp = path.with_suffix(".partial")
    with torch.no_grad():
        # Legacy TorchScript exporter (dynamo=False): the dynamo exporter needs
        # the extra onnxscript package and adds nothing for a static graph.
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            input_names=["pixel_values"],
            output_names=["logits"],
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    # Rename only once complete, so an interrupted export is never reused.
    os.replace(tmp, path)


def quantize_int8(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".partial")
    # Standard dynamic recipe: int8 weights, per-tensor, activations quantised
    # at run time (uint8), so no calibration data is needed.
    quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8)
    os.replace(tmp, dst)


def prepare_models(workdir: Path) -> tuple[Path, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    fp32 = workdir / "deit_b_fp32.onnx"
    int8 = workdir / "deit_b_int8.onnx"
    if fp32.exists():
        log(f"reusing {fp32}")
    else:
        log(f"exporting {fp32} (opset {OPSET})")
        export_fp32(fp32)
    if int8.exists():
        log(f"reusing {int8}")
    else:
        log(f"quantising -> {int8}")
        quantize_int8(fp32, int8)
    return fp32, int8


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


def time_model(path: Path, threads: int, runs: int) -> list[float]:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1  # single-stream graph; extra pools only add contention
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal(
        (1, CFG["in_chans"], CFG["img_size"], CFG["img_size"]), dtype=np.float32
    )
    # Warm-up pays for lazy allocations and thread-pool start-up.
    for _ in range(WARMUP):
        sess.run(None, {name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, {name: x})
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per model (default 10)")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/vitfpga-ort"), help="model cache directory")
    ap.add_argument("--json", action="store_true", help="print results as one JSON object")
    args = ap.parse_args()
    if args.runs < 1 or args.threads < 1:
        ap.error("--runs and --threads must be >= 1")

    fp32_path, int8_path = prepare_models(args.workdir)

    log(f"timing int8 ({args.runs} runs, {args.threads} threads)")
    t8 = time_model(int8_path, args.threads, args.runs)
    log(f"timing fp32 ({args.runs} runs, {args.threads} threads)")
    t32 = time_model(fp32_path, args.threads, args.runs)

    res = {
        "int8_median_s": statistics.median(t8),
        "int8_min_s": min(t8),
        "int8_max_s": max(t8),
        "fp32_median_s": statistics.median(t32),
        "threads": args.threads,
        "runs": args.runs,
        "onnxruntime": ort.__version__,
    }
    if args.json:
        print(json.dumps(res))
    else:
        print(f"onnxruntime {res['onnxruntime']}, DeiT-B batch 1, {args.threads} threads, {args.runs} runs")
        print(
            f"int8 s/image: median {res['int8_median_s']:.4f}  "
            f"min {res['int8_min_s']:.4f}  max {res['int8_max_s']:.4f}"
        )
        print(f"fp32 s/image: median {res['fp32_median_s']:.4f}")


if __name__ == "__main__":
    main()
