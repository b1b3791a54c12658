"""PIL / torchvision reference outputs for imageproc's parity test (pil_test.go).

Usage: python3 pil_reference.py MANIFEST.json OUT_DIR

The manifest (written by the Go test) lists image files and, for each, what to compute:

  {"cases": [{"name": ..., "file": ...,
              "make": {"from": FILE, "mode": "RGB"|"L"|"CMYK"|"P"|..., "quality": Q,
                       "subsampling": 0|1|2, "format": "JPEG"|"WEBP"|"WEBP_LOSSY"|"GIF"|"BMP"},
                                                        # optional: write `file` with PIL
                                                        # first (JPEG through libjpeg)
              "resizes": [[w, h, filter], ...],         # PIL filter numbers
              "pipelines": [{"name": ..., "kind": "hf"|"timm"|"openai_clip",
                             "config": {...}}, ...]}]}  # the JSON the Go side parses

Outputs, in OUT_DIR: NAME.rgb (PIL's Image.open(file).convert("RGB") bytes, HWC),
NAME.resize.I (bytes of that RGB image resized with resizes[I]), NAME.PIPELINE.f32
(float32 HWC), and index.json with the sizes, and whether torch was available
(the timm and OpenAI CLIP pipelines need torchvision; the HF one only numpy).

The HF pipeline follows transformers' image_transforms (convert_to_rgb, PIL resize,
center_crop with floor offsets, rescale in float64 then float32, normalize in float32).
The timm one is transforms_imagenet_eval; the OpenAI one is clip.py's _transform.
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image

try:
    import torch
    from torchvision import transforms as T
    from torchvision.transforms import InterpolationMode

    torch.set_num_threads(2)
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


def make_file(case, base):
    """Writes case["file"] with PIL: a JPEG (libjpeg) by default, or another format."""
    spec = case["make"]
    img = Image.open(os.path.join(base, spec["from"])).convert(spec.get("mode", "RGB"))
    fmt = spec.get("format", "JPEG")
    path = os.path.join(base, case["file"])
    if fmt == "JPEG":
        img.save(path, "JPEG", quality=spec.get("quality", 90), subsampling=spec.get("subsampling", 2))
    elif fmt == "WEBP":
        img.save(path, "WEBP", lossless=True)
    elif fmt == "WEBP_LOSSY":
        img.save(path, "WEBP", quality=80)
    else:
        img.save(path, fmt)


def hf_size(size):
    if "shortest_edge" in size:
        return size["shortest_edge"], None
    return None, (size["height"], size["width"])


def hf_pipeline(img, cfg):
    """transformers' slow image processors (CLIP/ViT), channels last."""
    if img.mode != "RGB":
        img = img.convert("RGB")
    x = np.array(img)
    if cfg.get("do_resize", True):
        short, hw = hf_size(cfg["size"])
        h, w = x.shape[:2]
        if short is not None:
            s, l = (w, h) if w <= h else (h, w)
            new_short, new_long = short, int(short * l / s)
            hw = (new_long, new_short) if w <= h else (new_short, new_long)
        pil = Image.fromarray(x)
        x = np.array(pil.resize((hw[1], hw[0]), resample=cfg["resample"]))
    if cfg.get("do_center_crop", False):
        ch, cw = cfg["crop_size"]["height"], cfg["crop_size"]["width"]
        h, w = x.shape[:2]
        top, left = (h - ch) // 2, (w - cw) // 2
        if top >= 0 and left >= 0 and top + ch <= h and left + cw <= w:
            x = x[top:top + ch, left:left + cw]
        else:
            nh, nw = max(ch, h), max(cw, w)
            canvas = np.zeros((nh, nw, 3), dtype=x.dtype)
            tp, lp = math.ceil((nh - h) / 2), math.ceil((nw - w) / 2)
            canvas[tp:tp + h, lp:lp + w] = x
            top, left = top + tp, left + lp
            x = canvas[max(0, top):min(nh, top + ch), max(0, left):min(nw, left + cw)]
    if cfg.get("do_rescale", True):
        x = (x.astype(np.float64) * cfg["rescale_factor"]).astype(np.float32)
    if cfg.get("do_normalize", True):
        x = x.astype(np.float32)
        mean = np.array(cfg["image_mean"], dtype=x.dtype)
        std = np.array(cfg["image_std"], dtype=x.dtype)
        x = (x - mean) / std
    return np.ascontiguousarray(x, dtype=np.float32)


INTERP = {"nearest": 0, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5, "lanczos": 1}


def timm_pipeline(img, cfg):
    """timm's transforms_imagenet_eval on resolve_data_config's values."""
    cfg = cfg.get("pretrained_cfg", cfg)
    _, h, w = cfg.get("input_size", [3, 224, 224])
    crop_pct = cfg.get("crop_pct") or 0.875
    interp = InterpolationMode(cfg.get("interpolation") or "bicubic")
    scale = (math.floor(h / crop_pct), math.floor(w / crop_pct))
    mode = cfg.get("crop_mode") or "center"
    if mode == "squash":
        tfl = [T.Resize(scale, interpolation=interp)]
    elif scale[0] == scale[1]:
        tfl = [T.Resize(scale[0], interpolation=interp)]
    else:  # timm's ResizeKeepRatio(scale_size): bilinear, ratio = the smaller one
        def keep_ratio(im):
            ratio = min(im.size[1] / scale[0], im.size[0] / scale[1])
            size = [round(x * 1.0 / ratio) for x in (im.size[1], im.size[0])]
            return T.functional.resize(im, size, InterpolationMode.BILINEAR)
        tfl = [keep_ratio]
    tfl += [T.CenterCrop((h, w)), T.ToTensor(),
            T.Normalize(cfg.get("mean") or (0.485, 0.456, 0.406), cfg.get("std") or (0.229, 0.224, 0.225))]
    return T.Compose(tfl)(img.convert("RGB")).permute(1, 2, 0).contiguous().numpy()


def openai_clip_pipeline(img, cfg):
    """clip.py's _transform(n_px): the conversion to RGB comes after the crop."""
    n = cfg["n_px"]
    t = T.Compose([
        T.Resize(n, interpolation=InterpolationMode.BICUBIC),
        T.CenterCrop(n),
        lambda im: im.convert("RGB"),
        T.ToTensor(),
        T.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
    ])
    return t(img).permute(1, 2, 0).contiguous().numpy()


def main():
    manifest, out = sys.argv[1], sys.argv[2]
    base = os.path.dirname(os.path.abspath(manifest))
    with open(manifest) as f:
        cases = json.load(f)["cases"]
    index = {"torch": HAVE_TORCH, "pil": Image.__version__, "cases": {}}
    for case in cases:
        if case.get("make"):
            make_file(case, base)
        path = os.path.join(base, case["file"])
        with Image.open(path) as im:
            im.load()
            orig = im.copy()
            mode = im.mode
        rgb = orig.convert("RGB")
        rgb_bytes = np.asarray(rgb, dtype=np.uint8)
        rgb_bytes.tofile(os.path.join(out, case["name"] + ".rgb"))
        entry = {"mode": mode, "size": list(rgb.size), "resizes": [], "pipelines": {}}
        for i, (w, h, flt) in enumerate(case.get("resizes", [])):
            r = np.asarray(rgb.resize((w, h), resample=flt), dtype=np.uint8)
            r.tofile(os.path.join(out, "%s.resize.%d" % (case["name"], i)))
            entry["resizes"].append([w, h, flt])
        for p in case.get("pipelines", []):
            kind = p["kind"]
            if kind != "hf" and not HAVE_TORCH:
                continue
            fn = {"hf": hf_pipeline, "timm": timm_pipeline, "openai_clip": openai_clip_pipeline}[kind]
            x = fn(orig.copy(), p["config"])
            x.astype(np.float32).tofile(os.path.join(out, "%s.%s.f32" % (case["name"], p["name"])))
            entry["pipelines"][p["name"]] = list(x.shape[:2])
        index["cases"][case["name"]] = entry
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main()
