"""Reference CLIP outputs for the CLIP layout tests.

The model is written here from the published architecture (OpenAI's clip/model.py, the
ViT variant): a patch convolution without bias, a class embedding, a position table
with a row for it, ln_pre, pre-LN blocks (nn.MultiheadAttention with a fused in_proj,
an MLP c_fc -> activation -> c_proj), ln_post on the pooled token, a projection matrix;
a text transformer with a causal mask, token and position embeddings, ln_final, pooling
at the end-of-text token, a projection matrix; logit_scale.exp() times the cosine
similarities. Every parameter is random (LayerNorms and logit_scale included) and the
model is saved in the OpenAI / open_clip layout or the Hugging Face CLIPModel layout.

stdin: a list of cases {"dir", "layout": "openai" | "openclip" | "openclip-custom" | "hf",
"dtype": "F32" | "F16", "seed", "image", "patch", "vdim", "vdepth", "vheads", "vmlp", "tdim",
"tdepth", "theads", "tmlp", "vocab", "ctx", "embed", "vact", "tact" ("quick_gelu" | "gelu"),
"veps", "teps", "vpool" ("tok" | "avg"), "final_ln_after_pool", "ln_pre", "tpool"
("argmax" | "first"), "eos" (Hugging Face's eos_token_id), "images" [[...]] (NHWC,
flattened) or "pngs" [paths] (then OpenAI's _transform preprocesses them), "ids" [[...]], "resize" (0, or an image side to run the image tower at with
interpolated positions), "resize_images"}; one process for all, since importing torch
dominates.
stdout (last line): a list of {"logits", "image_embeds", "text_embeds", "image_features",
"text_features", "resized_image_embeds"}, flattened.
"""
import json
import math
import os
import sys
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stwrite  # noqa: E402

torch.set_num_threads(2)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


def activation(name):
    return QuickGELU() if name == "quick_gelu" else nn.GELU()


class Block(nn.Module):
    def __init__(self, d, heads, mlp, act, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(d, mlp)), ("gelu", activation(act)),
                                              ("c_proj", nn.Linear(mlp, d))]))

    def forward(self, x, mask=None):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, d, depth, heads, mlp, act, eps):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(d, heads, mlp, act, eps) for _ in range(depth)])

    def forward(self, x, mask=None):
        for b in self.resblocks:
            x = b(x, mask)
        return x


class Visual(nn.Module):
    def __init__(self, a):
        super().__init__()
        d, g = a["vdim"], a["image"] // a["patch"]
        self.a = a
        self.conv1 = nn.Conv2d(3, d, a["patch"], a["patch"], bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d))
        self.positional_embedding = nn.Parameter(torch.randn(g * g + 1, d))
        if a["ln_pre"]:
            self.ln_pre = nn.LayerNorm(d, eps=a["veps"])
        self.transformer = Transformer(d, a["vdepth"], a["vheads"], a["vmlp"], a["vact"], a["veps"])
        self.ln_post = nn.LayerNorm(d, eps=a["veps"])
        self.proj = nn.Parameter(torch.randn(d, a["embed"]))

    def positions(self, grid):
        """The position table for a grid, resized as open_clip's resize_pos_embed does."""
        pos = self.positional_embedding
        g0 = math.isqrt(pos.shape[0] - 1)
        if grid == g0:
            return pos
        table = pos[1:].reshape(1, g0, g0, -1).permute(0, 3, 1, 2)
        table = F.interpolate(table, size=(grid, grid), mode="bicubic", align_corners=False)
        return torch.cat([pos[:1], table.permute(0, 2, 3, 1).reshape(grid * grid, -1)])

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)  # [n, grid², d]
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positions(math.isqrt(x.shape[1]))
        if self.a["ln_pre"]:
            x = self.ln_pre(x)
        x = self.transformer(x)
        if self.a["vpool"] == "tok":
            pooled = self.ln_post(x[:, 0])
        elif self.a["final_ln_after_pool"]:
            pooled = self.ln_post(x[:, 1:].mean(dim=1))
        else:
            pooled = self.ln_post(x)[:, 1:].mean(dim=1)
        return pooled, pooled @ self.proj


class CLIP(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a
        self.visual = Visual(a)
        d = a["tdim"]
        self.token_embedding = nn.Embedding(a["vocab"], d)
        self.positional_embedding = nn.Parameter(torch.randn(a["ctx"], d))
        self.transformer = Transformer(d, a["tdepth"], a["theads"], a["tmlp"], a["tact"], a["teps"])
        self.ln_final = nn.LayerNorm(d, eps=a["teps"])
        self.text_projection = nn.Parameter(torch.randn(d, a["embed"]))
        self.logit_scale = nn.Parameter(torch.ones([]))

    def encode_text(self, ids):
        n = ids.shape[1]
        x = self.token_embedding(ids) + self.positional_embedding[:n]
        mask = torch.full((n, n), float("-inf")).triu(1)  # OpenAI's causal mask; no padding mask.
        x = self.ln_final(self.transformer(x, mask))
        if self.a["tpool"] == "first":
            at = torch.zeros(ids.shape[0], dtype=torch.long)
        elif self.a["layout"] == "hf" and self.a["eos"] != 2:
            at = (ids == self.a["eos"]).int().argmax(dim=-1)  # transformers: the first eos_token_id.
        else:
            at = ids.argmax(dim=-1)  # OpenAI, and transformers for eos_token_id 2.
        pooled = x[torch.arange(x.shape[0]), at]
        return pooled, pooled @ self.text_projection


def state_dicts(m, a):
    """The model's tensors in the case's layout, and its config files."""
    sd = {k: v.detach().clone() for k, v in m.state_dict().items()}
    L = a["layout"]
    if L == "openai":
        for k in ("input_resolution", "context_length", "vocab_size"):  # as OpenAI's JIT archives hold them.
            sd[k] = torch.tensor({"input_resolution": a["image"], "context_length": a["ctx"], "vocab_size": a["vocab"]}[k])
        return sd, {}
    if L.startswith("openclip"):
        sd["logit_scale"] = sd["logit_scale"].reshape(1)  # nonscalar_logit_scale
        if L == "openclip-custom":  # CustomTextCLIP's text tower
            sd = {("text." + k if not k.startswith("visual.") and k != "logit_scale" else k): v for k, v in sd.items()}
        cfg = {"embed_dim": a["embed"], "quick_gelu": a["vact"] == "quick_gelu", "custom_text": L == "openclip-custom",
               "vision_cfg": {"image_size": a["image"], "layers": a["vdepth"], "width": a["vdim"],
                              "head_width": a["vdim"] // a["vheads"], "patch_size": a["patch"],
                              "mlp_ratio": a["vmlp"] / a["vdim"], "no_ln_pre": not a["ln_pre"], "pool_type": a["vpool"],
                              "final_ln_after_pool": a["final_ln_after_pool"], "norm_kwargs": {"eps": a["veps"]}},
               "text_cfg": {"context_length": a["ctx"], "vocab_size": a["vocab"], "width": a["tdim"],
                            "heads": a["theads"], "layers": a["tdepth"], "mlp_ratio": a["tmlp"] / a["tdim"],
                            "pool_type": a["tpool"], "norm_kwargs": {"eps": a["teps"]}}}
        pre = {"mean": [0.48145466, 0.4578275, 0.40821073], "std": [0.26862954, 0.26130258, 0.27577711]}
        return sd, {"open_clip_config.json": {"model_cfg": cfg, "preprocess_cfg": pre}}
    out = {}
    for tower, src, dst in (("vision", "visual.transformer.", "vision_model.encoder."),
                            ("text", "transformer.", "text_model.encoder.")):
        for i in range(a["vdepth" if tower == "vision" else "tdepth"]):
            s, d = f"{src}resblocks.{i}.", f"{dst}layers.{i}."
            for name, w, b in zip(("q_proj", "k_proj", "v_proj"), sd[s + "attn.in_proj_weight"].chunk(3),
                                  sd[s + "attn.in_proj_bias"].chunk(3)):
                out[d + f"self_attn.{name}.weight"], out[d + f"self_attn.{name}.bias"] = w, b
            for theirs, ours in (("self_attn.out_proj", "attn.out_proj"), ("layer_norm1", "ln_1"),
                                 ("layer_norm2", "ln_2"), ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj")):
                for p in ("weight", "bias"):
                    out[f"{d}{theirs}.{p}"] = sd[f"{s}{ours}.{p}"]
    e = "vision_model.embeddings."
    g = a["image"] // a["patch"]
    out[e + "class_embedding"] = sd["visual.class_embedding"]
    out[e + "patch_embedding.weight"] = sd["visual.conv1.weight"]
    out[e + "position_embedding.weight"] = sd["visual.positional_embedding"]
    out[e + "position_ids"] = torch.arange(g * g + 1).reshape(1, -1)  # a buffer older checkpoints persisted.
    for theirs, ours in (("vision_model.pre_layrnorm", "visual.ln_pre"), ("vision_model.post_layernorm", "visual.ln_post"),
                         ("text_model.final_layer_norm", "ln_final")):
        out[theirs + ".weight"], out[theirs + ".bias"] = sd[ours + ".weight"], sd[ours + ".bias"]
    out["text_model.embeddings.token_embedding.weight"] = sd["token_embedding.weight"]
    out["text_model.embeddings.position_embedding.weight"] = sd["positional_embedding"]
    out["text_model.embeddings.position_ids"] = torch.arange(a["ctx"]).reshape(1, -1)
    out["visual_projection.weight"] = sd["visual.proj"].t().contiguous()
    out["text_projection.weight"] = sd["text_projection"].t().contiguous()
    out["logit_scale"] = sd["logit_scale"]
    config = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": a["embed"],
              "logit_scale_init_value": 2.6592,
              "text_config": {"vocab_size": a["vocab"], "hidden_size": a["tdim"], "intermediate_size": a["tmlp"],
                              "num_hidden_layers": a["tdepth"], "num_attention_heads": a["theads"],
                              "max_position_embeddings": a["ctx"], "hidden_act": a["tact"], "layer_norm_eps": a["teps"],
                              "bos_token_id": a["vocab"] - 2, "eos_token_id": a["eos"], "pad_token_id": 1},
              "vision_config": {"hidden_size": a["vdim"], "intermediate_size": a["vmlp"],
                                "num_hidden_layers": a["vdepth"], "num_attention_heads": a["vheads"],
                                "num_channels": 3, "image_size": a["image"], "patch_size": a["patch"],
                                "hidden_act": a["vact"], "layer_norm_eps": a["veps"]}}
    return out, {"config.json": config}


def case(a):
    torch.manual_seed(a["seed"])
    m = CLIP(a).eval()
    half = a["dtype"] == "F16"
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3)
            if name == "logit_scale":
                p.copy_(torch.rand([]) * 2 + 1)
            if half and p.dim() >= 2:  # the model computes with the stored (rounded) values.
                p.copy_(p.half().float())
    sd, files = state_dicts(m, a)
    if half:  # as OpenAI's convert_weights: matrices in half precision, vectors in float32.
        sd = {k: (v.half() if v.dim() >= 2 and v.is_floating_point() else v) for k, v in sd.items()}
    weights = "open_clip_model.safetensors" if a["layout"].startswith("openclip") else "model.safetensors"
    stwrite.save(os.path.join(a["dir"], weights), sd, {"format": "pt"})
    for name, content in files.items():
        with open(os.path.join(a["dir"], name), "w") as f:
            json.dump(content, f, indent=2)

    def nchw(images, side):
        return torch.tensor(images, dtype=torch.float32).reshape(len(images), side, side, 3).permute(0, 3, 1, 2)

    if a.get("pngs"):  # image files through OpenAI's clip.py _transform (torchvision on PIL images).
        from PIL import Image
        from torchvision import transforms as T
        n_px = a["image"]
        tf = T.Compose([T.Resize(n_px, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(n_px),
                        lambda im: im.convert("RGB"), T.ToTensor(),
                        T.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))])
        pixels = torch.stack([tf(Image.open(p)) for p in a["pngs"]])
    else:
        pixels = nchw(a["images"], a["image"])
    with torch.no_grad():
        img_feat, img = m.visual(pixels)
        txt_feat, txt = m.encode_text(torch.tensor(a["ids"], dtype=torch.long))
        img, txt = F.normalize(img, dim=-1), F.normalize(txt, dim=-1)
        logits = m.logit_scale.exp() * img @ txt.t()
        resized = []
        if a["resize"]:
            resized = F.normalize(m.visual(nchw(a["resize_images"], a["resize"]))[1], dim=-1).flatten().tolist()
    return {"logits": logits.flatten().tolist(), "image_embeds": img.flatten().tolist(),
            "text_embeds": txt.flatten().tolist(), "image_features": img_feat.flatten().tolist(),
            "text_features": txt_feat.flatten().tolist(), "resized_image_embeds": resized}


if __name__ == "__main__":
    print(json.dumps([case(a) for a in json.load(sys.stdin)]))
