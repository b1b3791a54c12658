#!/usr/bin/python3
"""Executes GoNB notebooks headless, in place; a notebook stops at its first failing cell.

    /usr/bin/python3 notebooks/run.py [--timeout S] [NOTEBOOK.ipynb ...]

With no arguments it runs every notebooks/*.ipynb, one at a time, each in a fresh
gonb kernel started in the notebook's directory, with a time limit per cell. A
notebook that runs through is written back with its outputs; one that fails is
left as it was, and the failure is reported in a few lines (notebook, cell index,
the cell's first code line, the end of the error), not with the kernel's log,
which goes to a file named in the report. Exit status: 0 when every notebook ran,
1 otherwise, 2 on bad usage.
"""

import argparse
import glob
import html as htmllib
import os
import re
import sys
import tempfile
import time

import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellControlSignal, CellExecutionError, CellTimeoutError, DeadKernelError

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAGS = re.compile(r"<[^>]+>")
ERROR_LINES = 8  # lines of the error shown in a failure report.


def html_text(html):
    """Returns the text of gonb's HTML error report (compile errors), one error a line."""
    html = re.sub(r"(?s)<style>.*?</style>", "", html)
    html = re.sub(r'(?s)<div class="gonb-err-context">.*?</div>\s*</div>', "", html)  # the hover-only context.
    return htmllib.unescape(TAGS.sub("", html))


def error_text(cell, exc):
    """Returns the lines that say what went wrong in cell: a panic's message and the
    cell lines of its stack, or the last lines of its stderr, compile errors and error
    output; the exception's text when the cell produced none (a dead kernel)."""
    stderr, html, errors = [], [], []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stderr":
            stderr.append(out.get("text", ""))
        elif kind == "display_data" and "gonb-err" in out.get("data", {}).get("text/html", ""):
            html.append(html_text(out["data"]["text/html"]))
        elif kind == "error":
            errors.extend(out.get("traceback") or [f"{out.get('ename', '')}: {out.get('evalue', '')}"])
    text = "".join(stderr) if stderr else "\n".join(html)
    lines = []
    for line in ANSI.sub("", text + "\n" + "\n".join(errors)).splitlines():
        line = line.strip()
        if line and (not lines or lines[-1] != line):
            lines.append(line)
    panic = [i for i, l in enumerate(lines) if l.startswith(("panic:", "fatal error:"))]
    if panic:  # the message, the frames in the notebook's cells, the exit status.
        i = panic[0]
        cells = [l for l in lines[i + 1:] if "Cell [" in l or "Cell[" in l]
        return [lines[i]] + cells[:3] + lines[-1:]
    if not lines and not isinstance(exc, CellTimeoutError):  # the timeout's text repeats the cell.
        lines = [l for l in ANSI.sub("", str(exc)).splitlines() if l.strip()]
    return lines[-ERROR_LINES:]


def first_line(cell):
    """Returns the line that names a cell: its first code line after gonb's `%%`
    (the imports above it are alike in every cell), else its first line."""
    lines = [l.strip() for l in cell.get("source", "").splitlines() if l.strip()]
    if "%%" in lines and lines.index("%%") + 1 < len(lines):
        lines = lines[lines.index("%%") + 1:]
    if not lines:
        return "(empty cell)"
    return lines[0] if len(lines[0]) <= 80 else lines[0][:77] + "..."


def coalesce_streams(nb):
    """Merges consecutive stream outputs of a cell (gonb sends one per line), so the
    saved notebook holds one stdout block where the program printed one."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if (out.get("output_type") == "stream" and prev is not None and prev.get("output_type") == "stream"
                    and prev.get("name") == out.get("name")):
                prev["text"] += out["text"]
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged


def run(path, timeout, kernel, log):
    """Executes the notebook at path; returns None on success or a failure report."""
    nb = nbformat.read(path, as_version=4)
    current = {"index": None}

    def on_cell_start(cell, cell_index):
        current["index"] = cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_start=on_cell_start,
    )
    try:
        client.execute(stdout=log, stderr=log)
    except (CellExecutionError, CellTimeoutError, CellControlSignal, DeadKernelError, RuntimeError, NoSuchKernel) as exc:
        i = current["index"]
        if i is None:
            hint = " (run notebooks/setup.sh, or `make notebooks`, to register it)" if isinstance(exc, NoSuchKernel) else ""
            return [f"kernel {kernel!r} did not start: {(str(exc).strip().splitlines() or [repr(exc)])[-1]}{hint}"]
        cell = nb.cells[i]
        what = "timed out after %ds" % timeout if isinstance(exc, CellTimeoutError) else "failed"
        if isinstance(exc, DeadKernelError):
            what = "killed the kernel"
        count = f", In [{cell.execution_count}]" if cell.get("execution_count") else ""
        lines = error_text(cell, exc)
        return [f"cell {i}{count} `{first_line(cell)}` {what}" + (":" if lines else "")] + ["    " + l for l in lines]
    coalesce_streams(nb)
    nbformat.write(nb, path)
    return None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Execute GoNB notebooks headless, in place.")
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: every notebooks/*.ipynb)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds a cell may run (default 300)")
    ap.add_argument("--kernel", default="gonb", help="kernel name (default gonb)")
    args = ap.parse_args()
    paths = args.notebooks or sorted(glob.glob(os.path.join(here, "*.ipynb")))
    if not paths:
        print("notebooks: no notebooks to run", file=sys.stderr)
        return 2
    for p in paths:
        if not os.path.isfile(p):
            print(f"notebooks: {p}: no such notebook", file=sys.stderr)
            return 2
    fd, log_path = tempfile.mkstemp(prefix="gonb-kernel-", suffix=".log")
    failed = []
    total = time.monotonic()
    with os.fdopen(fd, "wb") as log:
        for p in paths:
            name = os.path.basename(p)
            t0 = time.monotonic()
            report = run(p, args.timeout, args.kernel, log)
            dt = time.monotonic() - t0
            if report is None:
                print(f"notebooks: {name}: ok in {dt:.0f} s", flush=True)
                continue
            failed.append(name)
            print(f"notebooks: {name}: {report[0]}", file=sys.stderr)
            for line in report[1:]:
                print(line, file=sys.stderr)
            sys.stderr.flush()
    if failed:
        print(f"notebooks: {len(failed)} of {len(paths)} failed ({', '.join(failed)}); kernel log: {log_path}",
              file=sys.stderr)
        return 1
    os.remove(log_path)
    print(f"notebooks: {len(paths)} ran in {time.monotonic() - total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
