"""Docs that derive from code stay in step with it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_data_model_doc_is_generated_from_the_schema():
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (REPO / "docs" / "data-model.md").read_text() == mod.render(), (
        "docs/data-model.md is stale: run python scripts/gen_docs.py"
    )
