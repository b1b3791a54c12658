"""PyTorch side of the safetensors package's interop tests (torch_test.go).

The safetensors Python library is not installable here, so this script writes and parses
the format by hand with struct + json + torch, laid out as the Rust reference lays it out
(safetensors/src/tensor.rs: header padded with spaces to a multiple of 8, "__metadata__"
first, tensors sorted by descending dtype alignment, then by name).

  interop.py write FILE EXPECTED   write a file of F32/F16/BF16/... tensors and, in
                                   EXPECTED (JSON), each float tensor's values as float32
                                   bits (torch's own conversion) for Go to compare
  interop.py check FILE EXPECTED   parse a file that Go wrote; compare every tensor with
                                   EXPECTED's float32 bits converted by torch, and the
                                   whole file with what this writer makes of it
  interop.py convert IN OUT        IN: little-endian float32s; OUT: torch's float16 bits
                                   of IN, its bfloat16 bits of IN, then the float32 bits
                                   of all 65536 float16 and of all 65536 bfloat16 values
"""
import json
import struct
import sys

import numpy as np
import torch

torch.set_num_threads(2)

# The Rust reference's Dtype enum order ("increasing alignment order").
ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
         "I32", "U32", "F32", "F64", "I64", "U64"]
TORCH = {"BOOL": torch.bool, "U8": torch.uint8, "I8": torch.int8, "I16": torch.int16,
         "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32,
         "F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAME = {v: k for k, v in TORCH.items()}
SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
        "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def raw_bytes(t):
    """The little-endian bytes of tensor t, row-major."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def serialize(items, metadata):
    """items: [(name, dtype, shape, data bytes)]; returns the file's bytes."""
    items = sorted(items, key=lambda it: (-ORDER.index(it[1]), it[0]))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name, dtype, shape, data in items:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(it[3] for it in items)


def parse(blob):
    """Returns (header dict, data bytes), checking the reference's layout rules."""
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, "header length %d not a multiple of 8" % n
    text = blob[8:8 + n].decode()
    assert text[0] == "{", "header does not start with '{'"
    assert text.rstrip(" ").endswith("}"), "header not padded with spaces only"
    header = json.loads(text)
    data = blob[8 + n:]
    spans = sorted(v["data_offsets"] for k, v in header.items() if k != "__metadata__")
    pos = 0
    for b, e in spans:
        assert b == pos and e >= b, "offsets do not tile the data: %s" % spans
        pos = e
    assert pos == len(data), "data not fully covered"
    return header, data


def bits32(t):
    """float32 bits of t's values, as a list of unsigned ints."""
    return t.float().reshape(-1).view(torch.int32).numpy().view(np.uint32).tolist()


def same(a, b):
    """Bitwise equality of two float tensors of one dtype, any NaN equal to any NaN."""
    nan = torch.isnan(a.float()) & torch.isnan(b.float())
    ia = a.view(torch.int16 if a.element_size() == 2 else
                torch.int32 if a.element_size() == 4 else torch.int64)
    ib = b.view(ia.dtype)
    return bool(((ia == ib) | nan).all())


def write(path, expected_path):
    g = torch.Generator().manual_seed(0)
    special = torch.tensor([0.0, -0.0, 1.0, -2.5, 0.1, 65504.0, 65520.0, 1e-7, 5.96e-8,
                            1e-40, 3.0e38, float("inf"), float("-inf"), float("nan")])
    tensors = {
        "w32": torch.randn(4, 5, generator=g),
        "w16": torch.randn(7, generator=g).half(),
        "wbf": torch.randn(3, 3, generator=g).bfloat16(),
        "w64": torch.randn(2, 3, generator=g).double(),
        "special.f16": special.half(),
        "special.bf16": special.bfloat16(),
        "special.f32": special,
        "big.f16": torch.randn(40000, generator=g).half(),  # crosses the 64 KiB chunk
        "scalar": torch.tensor(3.5),
        "empty": torch.zeros(0, 2, dtype=torch.float16),
        "ids": torch.arange(6, dtype=torch.int64).reshape(2, 3),
        "mask": torch.tensor([True, False, True]),
    }
    items = [(k, NAME[t.dtype], list(t.shape), raw_bytes(t)) for k, t in tensors.items()]
    with open(path, "wb") as f:
        f.write(serialize(items, {"format": "pt", "source": "interop.py"}))
    expected = {k: bits32(t) for k, t in tensors.items() if t.is_floating_point()}
    with open(expected_path, "w") as f:
        json.dump(expected, f)


def check(path, expected_path):
    blob = open(path, "rb").read()
    header, data = parse(blob)
    data_start = len(blob) - len(data)
    expected = json.load(open(expected_path))
    metadata = header.get("__metadata__", {})
    names = sorted(k for k in header if k != "__metadata__")
    assert names == sorted(expected["tensors"]), "names %s" % names
    items = []
    for name in names:
        info, want = header[name], expected["tensors"][name]
        dtype, shape = info["dtype"], info["shape"]
        assert dtype == want["dtype"] and shape == want["shape"], (name, info, want)
        b, e = info["data_offsets"]
        assert (data_start + b) % SIZE[dtype] == 0, "misaligned " + name
        count = int(np.prod(shape)) if shape else 1
        t = torch.frombuffer(bytearray(data[b:e]), dtype=TORCH[dtype], count=count) \
            if count else torch.zeros(0, dtype=TORCH[dtype])
        t = t.reshape(shape)
        if TORCH[dtype].is_floating_point:
            src = torch.tensor(np.array(want.get("bits", []), dtype=np.uint32).view(np.int32))
            ref = src.view(torch.float32).to(TORCH[dtype]).reshape(shape)
        else:
            ref = torch.tensor(want.get("ints", []), dtype=TORCH[dtype]).reshape(shape)
        ok = same(t, ref) if t.is_floating_point() else bool((t == ref).all())
        assert ok, "tensor %s: read %s, torch converts to %s" % (name, t, ref)
        items.append((name, dtype, shape, data[b:e]))
    assert metadata == expected["metadata"], metadata
    assert serialize(items, metadata) == blob, "file differs from the reference layout"
    print("ok: %d tensors" % len(names))


def convert(in_path, out_path):
    x = torch.from_numpy(np.fromfile(in_path, dtype="<f4"))
    h = x.to(torch.float16).view(torch.int16).numpy().view("<u2")
    bf = x.to(torch.bfloat16).view(torch.int16).numpy().view("<u2")
    every = torch.from_numpy(np.arange(65536, dtype=np.uint16).view(np.int16))
    h32 = every.view(torch.float16).float().view(torch.int32).numpy().view("<u4")
    bf32 = every.view(torch.bfloat16).float().view(torch.int32).numpy().view("<u4")
    with open(out_path, "wb") as f:
        for a in (h, bf, h32, bf32):
            f.write(a.tobytes())


if __name__ == "__main__":
    {"write": write, "check": check, "convert": convert}[sys.argv[1]](*sys.argv[2:])
