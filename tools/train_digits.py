#!/usr/bin/env python3
"""Train a tiny timm-architecture Vision Transformer on scikit-learn's digits.

Produces the fixture in fixtures/digits/ that the Rust side uses as a real
(non-random) model: float weights with timm state_dict names, the held-out
test split, calibration images for post-training quantisation, and PyTorch
float logits so the Rust float reference path can be checked bit-for-bit-ish.

Usage (from the repository root):
    python3 tools/train_digits.py
"""

import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

# Hyper-parameters shared with model.toml; keep the two in sync.
CFG = dict(
    name="digits-vit",
    img_size=8,
    patch_size=2,
    in_chans=1,
    embed_dim=64,
    depth=3,
    num_heads=4,
    mlp_ratio=2.0,
    num_classes=10,
    ln_eps=1e-6,
)

EPOCHS = 300
BATCH = 64
LR = 2e-3
WEIGHT_DECAY = 0.05  # keeps weight ranges tight, which helps 4-bit PTQ
WARMUP_EPOCHS = 10
LABEL_SMOOTHING = 0.1
N_CALIB = 64

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "digits"


def seed_everything(seed: int = 0) -> None:
    # Reproducibility matters more than speed here: the fixture is committed
    # and regenerating it should give the same weights on the same platform.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


# The model: tools/vit_torch.py (timm's VisionTransformer in plain torch).
from vit_torch import VisionTransformer  # noqa: E402


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def load_data():
    digits = load_digits()
    x = digits.images.astype(np.float32)  # [N, 8, 8], values 0..16
    x = (x / 16.0 - 0.5) / 0.5
    x = x[:, None, :, :].astype(np.float32)
    y = digits.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)


# Normalised value of a blank (0) pixel; used as padding so shifted images
# look like the dataset's own background rather than mid-grey.
BACKGROUND = -1.0


def random_shift(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Shift each image by an independent offset in {-1, 0, 1}^2.

    The digits are roughly centred but not perfectly; 1-pixel jitter is a
    cheap, label-preserving augmentation that clearly helps on 1.4k images.
    """
    B = x.shape[0]
    padded = F.pad(x, (1, 1, 1, 1), value=BACKGROUND)
    dy = torch.randint(0, 3, (B,), generator=gen)
    dx = torch.randint(0, 3, (B,), generator=gen)
    out = torch.empty_like(x)
    for i in range(B):
        out[i] = padded[i, :, dy[i] : dy[i] + 8, dx[i] : dx[i] + 8]
    return out


@torch.no_grad()
def accuracy(model, x, y, batch=512):
    model.eval()
    correct = 0
    for i in range(0, len(x), batch):
        correct += (model(x[i : i + batch]).argmax(-1) == y[i : i + batch]).sum().item()
    return correct / len(x)


def param_groups(model):
    # Standard ViT practice: no weight decay on biases, norms, cls/pos tokens.
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.ndim <= 1 or name in ("cls_token", "pos_embed"):
            no_decay.append(p)
        else:
            decay.append(p)
    return [
        {"params": decay, "weight_decay": WEIGHT_DECAY},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def main():
    seed_everything(0)
    x_tr, x_te, y_tr, y_te = load_data()
    xt_tr, yt_tr = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    xt_te, yt_te = torch.from_numpy(x_te), torch.from_numpy(y_te)
    print(f"train {len(x_tr)}  test {len(x_te)}")

    model = VisionTransformer(**{k: v for k, v in CFG.items() if k != "name"})
    print(f"params: {sum(p.numel() for p in model.parameters())}")

    opt = torch.optim.AdamW(param_groups(model), lr=LR, betas=(0.9, 0.999))
    steps_per_epoch = (len(x_tr) + BATCH - 1) // BATCH
    total = EPOCHS * steps_per_epoch
    warmup = WARMUP_EPOCHS * steps_per_epoch

    def lr_lambda(step):
        if step < warmup:
            return (step + 1) / warmup
        t = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + np.cos(np.pi * t))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    gen = torch.Generator().manual_seed(0)

    t0 = time.time()
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xt_tr), generator=gen)
        for i in range(0, len(perm), BATCH):
            idx = perm[i : i + BATCH]
            xb = random_shift(xt_tr[idx], gen)
            loss = F.cross_entropy(model(xb), yt_tr[idx], label_smoothing=LABEL_SMOOTHING)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if (epoch + 1) % 25 == 0 or epoch == EPOCHS - 1:
            print(
                f"epoch {epoch + 1:4d}  loss {loss.item():.4f}  "
                f"train {accuracy(model, xt_tr, yt_tr):.4f}  test {accuracy(model, xt_te, yt_te):.4f}  "
                f"({time.time() - t0:.0f}s)"
            )

    model.eval()
    train_acc = accuracy(model, xt_tr, yt_tr)
    test_acc = accuracy(model, xt_te, yt_te)
    with torch.no_grad():
        logits = model(xt_te).numpy().astype(np.float32)
    assert (logits.argmax(-1) == y_te).mean() == test_acc

    # ---- write fixture ----
    OUT.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(OUT / "weights.safetensors"))

    (OUT / "model.toml").write_text(
        f'name = "{CFG["name"]}"\n'
        f"img_size = {CFG['img_size']}\n"
        f"patch_size = {CFG['patch_size']}\n"
        f"in_chans = {CFG['in_chans']}\n"
        f"embed_dim = {CFG['embed_dim']}\n"
        f"depth = {CFG['depth']}\n"
        f"num_heads = {CFG['num_heads']}\n"
        f"mlp_ratio = {CFG['mlp_ratio']:.1f}\n"
        f"num_classes = {CFG['num_classes']}\n"
        f"ln_eps = 1e-6\n"
    )

    np.save(OUT / "test_images.npy", x_te.astype(np.float32))
    np.save(OUT / "test_labels.npy", y_te.astype(np.int64))
    np.save(OUT / "calib_images.npy", x_tr[:N_CALIB].astype(np.float32))
    np.save(OUT / "float_logits_test.npy", logits)

    (OUT / "README.md").write_text(
        f"""# digits fixture

A small, genuinely trained Vision Transformer used as a real-model fixture.

Produced by (from the repository root):

    python3 tools/train_digits.py

Deterministic (seed 0, `torch.use_deterministic_algorithms(True)`, one thread);
Python dependencies are listed in `tools/requirements.txt`.

## Data

scikit-learn's bundled `load_digits` (1797 greyscale 8x8 images, values 0..16),
normalised as `x = (pixels / 16 - 0.5) / 0.5` (range [-1, 1]), layout NCHW.
Split with `train_test_split(test_size=0.2, random_state=0, stratify=y)`:
{len(x_tr)} train / {len(x_te)} test images.

## Architecture

timm `VisionTransformer` semantics and state_dict names (class-token pooling,
pre-norm blocks, exact erf GELU, no dropout, no layer scale); see
`model.toml`: img_size 8, patch_size 2 (16 patches + cls = 17 tokens),
in_chans 1, embed_dim 64, depth 3, num_heads 4, mlp_ratio 2.0,
num_classes 10, LayerNorm eps 1e-6.

Training: AdamW (lr {LR}, weight decay {WEIGHT_DECAY} on weight matrices only),
{WARMUP_EPOCHS}-epoch linear warm-up then cosine decay, {EPOCHS} epochs, batch {BATCH},
label smoothing {LABEL_SMOOTHING}, random 1-pixel shifts.

## Result

Float32 accuracy: train {train_acc * 100:.2f} %, **test {test_acc * 100:.2f} %**
({round(test_acc * len(x_te))}/{len(x_te)}).

## Files

| file | contents |
| --- | --- |
| `weights.safetensors` | float32 state_dict, timm names |
| `model.toml` | hyper-parameters |
| `test_images.npy` | float32 [{len(x_te)}, 1, 8, 8], normalised |
| `test_labels.npy` | int64 [{len(x_te)}] |
| `calib_images.npy` | float32 [{N_CALIB}, 1, 8, 8], the first {N_CALIB} training images |
| `float_logits_test.npy` | float32 [{len(x_te)}, 10], PyTorch eval-mode logits on the test images |
"""
    )

    print(f"final train accuracy: {train_acc:.4f}")
    print(f"final test accuracy:  {test_acc:.4f}  ({round(test_acc * len(x_te))}/{len(x_te)})")


if __name__ == "__main__":
    main()
