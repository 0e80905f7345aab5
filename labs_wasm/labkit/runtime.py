"""The worker's entry point: JSON in, JSON out (PROTOCOL.md section 1)."""
from __future__ import annotations

import json

from . import catalog
from .serialize import dumps


def render(lab_id: str, state: dict | None = None) -> dict:
    return catalog.load(lab_id).render(state or {})


def render_json(lab_id: str, state_json: str) -> str:
    """Render ``lab_id`` for the state given as JSON text; returns the view tree as JSON."""
    try:
        state = json.loads(state_json) if state_json else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"render_json({lab_id!r}): state is not valid JSON ({exc})") from None
    return dumps(render(lab_id, state))
