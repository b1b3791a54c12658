"""PIL + torchvision peer of BenchmarkApplyCLIP: OpenAI CLIP's preprocessing of a 500x375
JPEG (quality 90, 4:2:0), one thread, best of 5 runs of 100 images.

Usage: /usr/bin/python3 imageproc/testdata/bench_pil.py
Measured on the 2-core dev machine: 2.74 ms/image (365 images/s), of which
decoding (libjpeg-turbo) 0.68 ms; Go (BenchmarkApplyCLIP -cpu 1): 4.96 ms, decoding 2.26.
"""
import io, time, numpy as np, torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode
torch.set_num_threads(1)
rng = np.random.default_rng(0)
y, x = np.mgrid[0:375, 0:500]
a = np.stack([60 + 120*x/500, 50 + 150*y/375, 128 + 20*np.sin((x*x+3*y)*0.03)], -1) + rng.uniform(-10, 10, (375, 500, 3))
buf = io.BytesIO(); Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90); data = buf.getvalue()
t = T.Compose([T.Resize(224, interpolation=InterpolationMode.BICUBIC), T.CenterCrop(224), lambda im: im.convert("RGB"), T.ToTensor(),
               T.Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))])
def run():
    im = Image.open(io.BytesIO(data)); t(im)
def dec():
    im = Image.open(io.BytesIO(data)); im.load()
for f, name in [(run, "clip pipeline"), (dec, "decode only")]:
    best = 1e9
    for rep in range(5):
        t0 = time.perf_counter()
        for _ in range(100): f()
        best = min(best, (time.perf_counter() - t0) / 100)
    print(f"{name}: {best*1e3:.2f} ms/image, {1/best:.0f} images/s")
