#!/usr/bin/env python3
"""Parameter counts of several peers in one Python process (one torch import): each
line of stdin is a JSON list, a peer's command line as cmd/bench runs it (the script,
then its arguments); prints a JSON list with each model's parameter count on the last
line. The peers must offer peerlib.main's parser() and build(args).

  echo '["bench/peers/mae_fmnist.py", "--dim", "64"]' | python3 bench/peers/params.py
"""
import importlib
import json
import os
import sys

import torch

import peerlib


def main():
    torch.set_num_threads(2)
    counts = []
    for line in sys.stdin:
        if not line.strip():
            continue
        argv = json.loads(line)
        peer = importlib.import_module(os.path.splitext(os.path.basename(argv[0]))[0])
        args = peer.parser().parse_args(argv[1:] + ["--mode", "params"])
        counts.append(peerlib.count_params(peer.build(args)))
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
