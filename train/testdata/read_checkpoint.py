"""Read mmdna checkpoints' vars.safetensors with nothing of mmdna, and compare them.

Usage: read_checkpoint.py VARS.safetensors EXPECTED.json [VARS EXPECTED ...]

The file is read by hand (struct + json + torch.frombuffer), as the safetensors format
describes it: an 8-byte little-endian header length, the JSON header, the data buffer.
EXPECTED.json maps each tensor name to {"dtype", "shape", "values"} (values flat;
floats exact as float64), written by the Go test from the store it saved.
"""
import json
import struct
import sys

import numpy as np
import torch

torch.set_num_threads(2)

TORCH = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
         "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
         "U8": torch.uint8, "BOOL": torch.bool}
# torch 1.13 has no uint16/32/64: numpy reads those.
NUMPY = {"U16": "<u2", "U32": "<u4", "U64": "<u8"}


def read(path):
    """Returns {name: (dtype, shape, flat values as a Python list)} and the metadata."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype, shape = info["dtype"], info["shape"]
        buf = bytearray(data[begin:end])
        if dtype in NUMPY:
            values = [int(v) for v in np.frombuffer(buf, dtype=NUMPY[dtype])]
        else:
            t = torch.frombuffer(buf, dtype=TORCH[dtype]) if buf else torch.empty(0, dtype=TORCH[dtype])
            count = 1
            for d in shape:
                count *= d
            t = t.reshape(shape)  # fails if the bytes do not fit the shape.
            assert t.numel() == count
            flat = t.flatten()
            values = flat.double().tolist() if flat.is_floating_point() else flat.tolist()
        out[name] = (dtype, shape, values)
    return out, metadata


def main(args):
    for vars_path, expected_path in zip(args[::2], args[1::2]):
        got, metadata = read(vars_path)
        with open(expected_path) as f:
            want = json.load(f)
        if set(got) != set(want):
            sys.exit(f"{vars_path}: tensors {sorted(set(got) ^ set(want))} are not in both the file and the store")
        if metadata.get("format") != "mmdna-checkpoint/2":
            sys.exit(f"{vars_path}: metadata {metadata}")
        for name, w in want.items():
            dtype, shape, values = got[name]
            if dtype != w["dtype"] or shape != w["shape"]:
                sys.exit(f"{vars_path}: {name} is {dtype} {shape}, the store held {w['dtype']} {w['shape']}")
            if values != w["values"]:
                sys.exit(f"{vars_path}: {name} values {values[:8]}..., the store held {w['values'][:8]}...")
        print(f"{vars_path}: {len(want)} tensors match")


if __name__ == "__main__":
    main(sys.argv[1:])
