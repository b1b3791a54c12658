"""Reference ViT outputs for the layout tests: torchvision's VisionTransformer with
seeded random weights, saved in the Hugging Face or timm layout.

stdin: a list of cases {"dir", "layout": "hf"|"hf-model"|"timm-token"|"timm-avg", "image",
"patch", "depth", "heads", "dim", "mlp", "classes", "dtype": "F32"|"F16"|"BF16", "images":
[[...]] (NHWC, flattened) or "pngs": [paths] (then preprocessed as ViTImageProcessor does,
and preprocessor_config.json written), "seed"}; one process for all, since importing torch dominates.
stdout (last line): a list of {"logits": [...], "pre_logits": [...]}.
"""
import json
import os
import sys

import torch
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stwrite  # noqa: E402

torch.set_num_threads(2)


def case(a):
    torch.manual_seed(a["seed"])
    m = VisionTransformer(image_size=a["image"], patch_size=a["patch"], num_layers=a["depth"], num_heads=a["heads"],
                          hidden_dim=a["dim"], mlp_dim=a["mlp"], num_classes=a["classes"]).eval()
    with torch.no_grad():  # every parameter random, LayerNorms included, so no mapping hides.
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    dtype = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[a.get("dtype", "F32")]
    with torch.no_grad():  # the model computes with the stored (rounded) values.
        for p in m.parameters():
            p.copy_(p.to(dtype).float())
    sd = m.state_dict()
    c, s = 3, a["image"]
    if a.get("pngs"):  # image files, preprocessed as ViTImageProcessor does (PIL bilinear resize).
        import numpy as np
        from PIL import Image
        arrays = []
        for p in a["pngs"]:
            img = Image.open(p).convert("RGB").resize((s, s), Image.BILINEAR)
            x = (np.asarray(img, dtype=np.float64) * (1 / 255)).astype(np.float32)
            arrays.append((x - np.float32(0.5)) / np.float32(0.5))
        x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
        with open(os.path.join(a["dir"], "preprocessor_config.json"), "w") as f:
            json.dump({"image_processor_type": "ViTImageProcessor", "do_resize": True,
                       "size": {"height": s, "width": s}, "resample": 2, "do_rescale": True,
                       "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5],
                       "image_std": [0.5, 0.5, 0.5]}, f)
    else:
        n = len(a["images"])
        x = torch.tensor(a["images"], dtype=torch.float32).reshape(n, s, s, c).permute(0, 3, 1, 2)
    L = a["layout"]
    extra = {}
    fc_norm = torch.nn.LayerNorm(a["dim"], eps=1e-6)
    pooler = torch.nn.Linear(a["dim"], a["dim"])
    with torch.no_grad():
        for p in list(fc_norm.parameters()) + list(pooler.parameters()):
            p.copy_((torch.randn_like(p) * 0.3).to(dtype).float())


    def encode(x):
        """torchvision's forward up to the encoder's blocks (no final norm)."""
        h = m._process_input(x)
        h = torch.cat([m.class_token.expand(h.shape[0], -1, -1), h], dim=1)
        return m.encoder.layers(m.encoder.dropout(h + m.encoder.pos_embedding))


    with torch.no_grad():
        if L in ("hf", "timm-token"):
            pre = m.encoder.ln(encode(x))[:, 0]
            logits = m.heads(pre)
        elif L == "hf-model":
            pre = torch.tanh(pooler(m.encoder.ln(encode(x))[:, 0]))
            logits = pre
        elif L == "timm-avg":
            pre = fc_norm(encode(x)[:, 1:].mean(dim=1))
            logits = m.heads(pre)
        else:
            raise SystemExit("unknown layout " + L)

    layers = range(a["depth"])
    out = {}
    if L.startswith("hf"):
        p = "vit." if L == "hf" else ""
        out[p + "embeddings.cls_token"] = sd["class_token"]
        out[p + "embeddings.position_embeddings"] = sd["encoder.pos_embedding"]
        out[p + "embeddings.patch_embeddings.projection.weight"] = sd["conv_proj.weight"]
        out[p + "embeddings.patch_embeddings.projection.bias"] = sd["conv_proj.bias"]
        for i in layers:
            t, h = f"encoder.layers.encoder_layer_{i}.", f"{p}encoder.layer.{i}."
            w, b = sd[t + "self_attention.in_proj_weight"].chunk(3), sd[t + "self_attention.in_proj_bias"].chunk(3)
            for k, name in enumerate(["query", "key", "value"]):
                out[h + f"attention.attention.{name}.weight"] = w[k]
                out[h + f"attention.attention.{name}.bias"] = b[k]
            for ours, theirs in [("attention.output.dense", "self_attention.out_proj"), ("layernorm_before", "ln_1"),
                                 ("layernorm_after", "ln_2"), ("intermediate.dense", "mlp.0"), ("output.dense", "mlp.3")]:
                out[h + ours + ".weight"] = sd[t + theirs + ".weight"]
                out[h + ours + ".bias"] = sd[t + theirs + ".bias"]
        out[p + "layernorm.weight"] = sd["encoder.ln.weight"]
        out[p + "layernorm.bias"] = sd["encoder.ln.bias"]
        config = {"model_type": "vit", "hidden_size": a["dim"], "num_hidden_layers": a["depth"],
                  "num_attention_heads": a["heads"], "intermediate_size": a["mlp"], "hidden_act": "gelu",
                  "layer_norm_eps": 1e-6, "image_size": a["image"], "patch_size": a["patch"], "num_channels": 3,
                  "qkv_bias": True}
        if L == "hf":
            out["classifier.weight"] = sd["heads.head.weight"]
            out["classifier.bias"] = sd["heads.head.bias"]
            config["architectures"] = ["ViTForImageClassification"]
            config["id2label"] = {str(i): f"class_{i}" for i in range(a["classes"])}
        else:
            out["pooler.dense.weight"] = pooler.weight
            out["pooler.dense.bias"] = pooler.bias
            config["architectures"] = ["ViTModel"]
    else:
        out["cls_token"] = sd["class_token"]
        out["pos_embed"] = sd["encoder.pos_embedding"]
        out["patch_embed.proj.weight"] = sd["conv_proj.weight"]
        out["patch_embed.proj.bias"] = sd["conv_proj.bias"]
        for i in layers:
            t, h = f"encoder.layers.encoder_layer_{i}.", f"blocks.{i}."
            out[h + "attn.qkv.weight"] = sd[t + "self_attention.in_proj_weight"]
            out[h + "attn.qkv.bias"] = sd[t + "self_attention.in_proj_bias"]
            for ours, theirs in [("attn.proj", "self_attention.out_proj"), ("norm1", "ln_1"), ("norm2", "ln_2"),
                                 ("mlp.fc1", "mlp.0"), ("mlp.fc2", "mlp.3")]:
                out[h + ours + ".weight"] = sd[t + theirs + ".weight"]
                out[h + ours + ".bias"] = sd[t + theirs + ".bias"]
        norm = "fc_norm" if L == "timm-avg" else "norm"
        src = fc_norm.state_dict() if L == "timm-avg" else {"weight": sd["encoder.ln.weight"], "bias": sd["encoder.ln.bias"]}
        out[norm + ".weight"], out[norm + ".bias"] = src["weight"], src["bias"]
        out["head.weight"] = sd["heads.head.weight"]
        out["head.bias"] = sd["heads.head.bias"]
        config = {"architecture": "vit_test_patch%d" % a["patch"], "num_classes": a["classes"],
                  "global_pool": "avg" if L == "timm-avg" else "token", "model_args": {"num_heads": a["heads"]},
                  "label_names": [f"class_{i}" for i in range(a["classes"])],
                  "pretrained_cfg": {"input_size": [3, a["image"], a["image"]], "interpolation": "bicubic",
                                     "crop_pct": 0.9, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}}

    stwrite.save(os.path.join(a["dir"], "model.safetensors"), {k: v.to(dtype) for k, v in out.items()},
                 {"format": "pt"})
    with open(os.path.join(a["dir"], "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    return {"logits": logits.flatten().tolist(), "pre_logits": pre.flatten().tolist()}


print(json.dumps([case(a) for a in json.load(sys.stdin)]))
