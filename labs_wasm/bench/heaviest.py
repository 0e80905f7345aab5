"""The heaviest lab, decided under CPython: the one whose render with every act open costs
the most the first time, in an interpreter left as the memory snapshot leaves it (engine
imported, every lab rendered once with no answers). That first full render is what a
returning student's page pays before `ready` (design spaces computed once per act), and the
figures and tables it returns are what every later update redraws."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Each lab is timed in a fork of one warmed interpreter, so no lab finds caches another left
# (each page restores the snapshot afresh); the five slowest are timed twice more (the least
# of three counts: the machine may be busy).
_CHILD = r"""
import json, os, sys, time
from labkit.runtime import render
from labkit.serialize import dumps
states = json.load(sys.stdin)
for lab in states:
    render(lab, {})

def timed(lab):
    read, write = os.pipe()
    if os.fork() == 0:
        t0 = time.perf_counter()
        tree = render(lab, states[lab])
        os.write(write, json.dumps([(time.perf_counter() - t0) * 1e3, len(dumps(tree))]).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        data = f.read()
    os.wait()
    return json.loads(data)

out = {lab: dict(zip(("render_ms", "tree_bytes"), timed(lab))) for lab in states}
for lab in sorted(out, key=lambda k: -out[k]["render_ms"])[:5]:
    out[lab]["render_ms"] = min([out[lab]["render_ms"]] + [timed(lab)[0] for _ in range(2)])
json.dump(out, sys.stdout)
"""


def heaviest_lab(root: Path) -> dict:
    from labkit import catalog
    from .scenario import answer_everything
    states = {lab: answer_everything(lab) for lab in catalog.all_ids()}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "labs_wasm"), str(root / "engine")])}
    done = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(states), cwd=root, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"timing every lab's full render under CPython failed:\n{done.stderr[-2000:]}")
    costs = json.loads(done.stdout)
    ranked = sorted(costs, key=lambda lab: -costs[lab]["render_ms"])
    lab = ranked[0]
    return {"lab": lab, "state": states[lab],
            "why": (f"largest first render with every act open under CPython: {costs[lab]['render_ms']:.0f} ms "
                    f"(next: {ranked[1]} {costs[ranked[1]]['render_ms']:.0f} ms); view tree {costs[lab]['tree_bytes'] / 1e3:.0f} kB"),
            "ranking": [{"lab": k, **costs[k]} for k in ranked]}
