#!/usr/bin/python3
"""The PyTorch side of the `infer embed` speed benchmark (cmd/infer's BenchmarkEmbedCLIPB32).

    clip_embed.py write --dir DIR --images N      # a random CLIP ViT-B/32 in OpenAI's layout + N JPEGs
    clip_embed.py bench --dir DIR --batch B       # images/s of OpenAI's pipeline on those files

`write` builds OpenAI CLIP's ViT-B/32 architecture (clip/model.py, as written out in
weights/testdata/clip_ref.py: 224 px, patch 32, width 768 x 12 layers; text 512 x 12;
embed 512) with random weights, saves its state dict as model.safetensors (OpenAI's
names) and writes N random 500x375 JPEG photos-like images. `bench` is what a PyTorch user
writes with OpenAI's clip package: preprocess = clip.py's _transform (torchvision on PIL),
then model.encode_image on batches under torch.no_grad(), 2 threads. It times one warm-up
batch apart, then every remaining batch including decoding and preprocessing, and prints
one JSON line: {"img_per_s", "images", "batch", "warmup_s"}.
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "weights", "testdata"))
import clip_ref  # noqa: E402  (OpenAI's architecture, written from clip/model.py)
import stwrite  # noqa: E402

B32 = {"layout": "openai", "image": 224, "patch": 32, "vdim": 768, "vdepth": 12, "vheads": 12, "vmlp": 3072,
       "tdim": 512, "tdepth": 12, "theads": 8, "tmlp": 2048, "vocab": 49408, "ctx": 77, "embed": 512,
       "vact": "quick_gelu", "tact": "quick_gelu", "veps": 1e-5, "teps": 1e-5, "vpool": "tok",
       "final_ln_after_pool": False, "ln_pre": True, "tpool": "argmax", "eos": 49407}


def write(args):
    torch.manual_seed(0)
    m = clip_ref.CLIP(B32).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.02)
    os.makedirs(args.dir, exist_ok=True)
    sd, _ = clip_ref.state_dicts(m, B32)
    stwrite.save(os.path.join(args.dir, "model.safetensors"), sd, {"format": "pt"})
    rng = np.random.default_rng(0)
    img_dir = os.path.join(args.dir, "images")
    os.makedirs(img_dir, exist_ok=True)
    for i in range(args.images):
        # Smooth random images (a blurred noise field), so JPEG sizes are like photos'.
        small = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
        Image.fromarray(small).resize((500, 375), Image.BICUBIC).save(os.path.join(img_dir, f"{i:04d}.jpg"), quality=90)


def bench(args):
    torch.set_num_threads(2)
    m = clip_ref.CLIP(B32).eval()
    sd = stwrite.load(os.path.join(args.dir, "model.safetensors"))
    for k in ("input_resolution", "context_length", "vocab_size"):  # OpenAI's JIT integers.
        sd.pop(k, None)
    m.load_state_dict(sd)
    tf = T.Compose([T.Resize(224, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224),
                    lambda im: im.convert("RGB"), T.ToTensor(),
                    T.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))])
    files = sorted(glob.glob(os.path.join(args.dir, "images", "*.jpg")))
    b = args.batch

    def run(paths):
        with torch.no_grad():
            x = torch.stack([tf(Image.open(p)) for p in paths])
            return m.visual(x)[1]

    t0 = time.perf_counter()
    run(files[:b])
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(b, len(files), b):
        run(files[i:i + b])
    dt = time.perf_counter() - t0
    print(json.dumps({"img_per_s": (len(files) - b) / dt, "images": len(files) - b, "batch": b, "warmup_s": warm}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["write", "bench"])
    p.add_argument("--dir", required=True)
    p.add_argument("--images", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    args = p.parse_args()
    write(args) if args.mode == "write" else bench(args)


if __name__ == "__main__":
    main()
