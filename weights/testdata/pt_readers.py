"""PyTorch-only readers of the directories `infer export` writes: plain PyTorch modules
built from config.json alone, written from the published architectures (transformers'
ViTForImageClassification, timm's VisionTransformer), with no mmdna code.

stdin: {"dir", "images": [[...]] (NHWC flattened), "image", "channels"} or {"dir", "pngs": [paths]}
(then preprocessed with PIL as the exported preprocessor_config.json says)
stdout (last line): {"logits": [...], "layout": "hf-vit" | "timm-vit"}
"""
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stwrite  # noqa: E402

torch.set_num_threads(2)


class Block(nn.Module):
    """A pre-LN block; names given by the caller's layout."""

    def __init__(self, dim, heads, mlp, eps):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim, eps=eps), nn.LayerNorm(dim, eps=eps)
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.out, self.fc1, self.fc2 = nn.Linear(dim, dim), nn.Linear(dim, mlp), nn.Linear(mlp, dim)

    def forward(self, x):
        b, n, d = x.shape
        h = self.ln1(x)
        split = lambda t: t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)
        x = x + self.out((a @ v).transpose(1, 2).reshape(b, n, d))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self, image, patch, chans, dim, depth, heads, mlp, classes, eps, cls_token, pool, fc_norm):
        super().__init__()
        self.patch = nn.Conv2d(chans, dim, patch, stride=patch)
        n = (image // patch) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, dim)) if cls_token else None
        self.pos = nn.Parameter(torch.zeros(1, n + (1 if cls_token else 0), dim))
        self.blocks = nn.ModuleList([Block(dim, heads, mlp, eps) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.pool, self.fc_norm = pool, fc_norm
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        if self.cls is not None:
            x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        x = x + self.pos
        for blk in self.blocks:
            x = blk(x)
        if self.pool == "token":
            return self.head(self.norm(x)[:, 0])
        start = 1 if self.cls is not None else 0
        if self.fc_norm:
            return self.head(self.norm(x[:, start:].mean(dim=1)))
        return self.head(self.norm(x)[:, start:].mean(dim=1))


def load_hf(d, sd, c):
    m = ViT(c["image_size"], c["patch_size"], c["num_channels"], c["hidden_size"], c["num_hidden_layers"],
            c["num_attention_heads"], c["intermediate_size"], len(c["id2label"]), c["layer_norm_eps"], True, "token",
            False)
    p = "vit."
    own = {"patch.weight": p + "embeddings.patch_embeddings.projection.weight",
           "patch.bias": p + "embeddings.patch_embeddings.projection.bias",
           "cls": p + "embeddings.cls_token", "pos": p + "embeddings.position_embeddings",
           "norm.weight": p + "layernorm.weight", "norm.bias": p + "layernorm.bias",
           "head.weight": "classifier.weight", "head.bias": "classifier.bias"}
    for i in range(c["num_hidden_layers"]):
        l = f"{p}encoder.layer.{i}."
        for ours, theirs in [("q", "attention.attention.query"), ("k", "attention.attention.key"),
                             ("v", "attention.attention.value"), ("out", "attention.output.dense"),
                             ("ln1", "layernorm_before"), ("ln2", "layernorm_after"),
                             ("fc1", "intermediate.dense"), ("fc2", "output.dense")]:
            for s in ("weight", "bias"):
                own[f"blocks.{i}.{ours}.{s}"] = l + theirs + "." + s
    m.load_state_dict({k: sd.pop(v) for k, v in own.items()})
    assert not sd, "unused tensors: %s" % sorted(sd)
    return m


def load_timm(d, sd, c):
    a = c["model_args"]
    dim = a["embed_dim"]
    m = ViT(a["img_size"], a["patch_size"], a["in_chans"], dim, a["depth"], a["num_heads"],
            int(round(a["mlp_ratio"] * dim)), a["num_classes"], 1e-6, a["class_token"], a["global_pool"], a["fc_norm"])
    own = {"patch.weight": "patch_embed.proj.weight", "patch.bias": "patch_embed.proj.bias", "pos": "pos_embed",
           "head.weight": "head.weight", "head.bias": "head.bias"}
    norm = "fc_norm" if a["fc_norm"] else "norm"
    own["norm.weight"], own["norm.bias"] = norm + ".weight", norm + ".bias"
    if a["class_token"]:
        own["cls"] = "cls_token"
    for i in range(a["depth"]):
        b = f"blocks.{i}."
        w, bias = sd.pop(b + "attn.qkv.weight").chunk(3), sd.pop(b + "attn.qkv.bias").chunk(3)
        for k, n in enumerate("qkv"):
            sd[f"_{i}_{n}.weight"], sd[f"_{i}_{n}.bias"] = w[k], bias[k]
            own[f"blocks.{i}.{n}.weight"], own[f"blocks.{i}.{n}.bias"] = f"_{i}_{n}.weight", f"_{i}_{n}.bias"
        for ours, theirs in [("out", "attn.proj"), ("ln1", "norm1"), ("ln2", "norm2"), ("fc1", "mlp.fc1"),
                             ("fc2", "mlp.fc2")]:
            for s in ("weight", "bias"):
                own[f"blocks.{i}.{ours}.{s}"] = b + theirs + "." + s
    m.load_state_dict({k: sd.pop(v) for k, v in own.items()})
    assert not sd, "unused tensors: %s" % sorted(sd)
    return m


a = json.load(sys.stdin)
with open(os.path.join(a["dir"], "config.json")) as f:
    config = json.load(f)
sd = stwrite.load(os.path.join(a["dir"], "model.safetensors"))
if "model_args" in config:
    layout, model = "timm-vit", load_timm(a["dir"], sd, config)
else:
    layout, model = "hf-vit", load_hf(a["dir"], sd, config)
if a.get("pngs"):  # image files, preprocessed as the exported preprocessor_config.json says, with PIL.
    import numpy as np
    from PIL import Image
    with open(os.path.join(a["dir"], "preprocessor_config.json")) as f:
        pre = json.load(f)
    size = pre["size"]
    arrays = []
    for p in a["pngs"]:
        img = Image.open(p).convert("L" if config.get("num_channels") == 1 else "RGB")
        img = img.resize((size["width"], size["height"]), pre["resample"])
        x = np.asarray(img, dtype=np.float64) * pre["rescale_factor"]
        x = (x - np.array(pre["image_mean"])) / np.array(pre["image_std"])
        arrays.append(x.astype(np.float32).reshape(size["height"], size["width"], -1))
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
else:
    n, s, c = len(a["images"]), a["image"], a["channels"]
    x = torch.tensor(a["images"], dtype=torch.float32).reshape(n, s, s, c).permute(0, 3, 1, 2)
with torch.no_grad():
    logits = model.eval()(x)
print(json.dumps({"logits": logits.flatten().tolist(), "layout": layout}))
