"""Trained models on disk, so a process start or a restarted worker does not retrain for seconds.

A file's name is a hash of everything training depends on: the seller's phrases, the built-in data
files, and the source of the modules that turn text into features and fit the model. Any change to
one of them gives a new name, so a stale model can never be loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from mostrador.bot.features import Vocabulary
from mostrador.bot.intents import builtin_lexicon

_HERE = Path(__file__).parent
_TRAINING_INPUTS = ("model.py", "training.py", "features.py", "normalize.py", "courtesy.py", "intents.py")
FORMAT = "mostrador-intent-model/1"


@cache
def training_fingerprint() -> str:
    """Hash of the built-in training data and the training code (computed once per process)."""
    digest = hashlib.sha256(FORMAT.encode())
    for path in sorted((_HERE / "data").glob("*")) + [_HERE / name for name in _TRAINING_INPUTS]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:24]


def model_path(directory: Path, phrases_key: str) -> Path:
    return directory / f"intent-model-{training_fingerprint()}-{phrases_key[:24]}.npz"


def save(model: object, path: Path) -> None:
    """Write atomically (temp file + rename): concurrent processes never read half a file."""
    from mostrador.bot.model import IntentModel

    assert isinstance(model, IntentModel)
    vocab = model.vocabulary
    meta = {
        "format": FORMAT,
        "names": list(vocab.index),
        "idf": list(vocab.idf),
        "lexicon_index": dict(vocab.lexicon_index),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        np.savez_compressed(
            out,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            weights=model.weights,
            bias=model.bias,
            platt_slope=model.platt_slope,
            platt_intercept=model.platt_intercept,
        )
    os.replace(tmp, path)


def load(path: Path) -> object | None:
    """The stored model, or None when the file is missing or unreadable (then it is trained again)."""
    from mostrador.bot.model import IntentModel

    try:
        with np.load(path) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != FORMAT:
                return None
            names = meta["names"]
            vocabulary = Vocabulary(
                index={name: i for i, name in enumerate(names)},
                idf=meta["idf"],
                lexicon_index=meta["lexicon_index"],
            )
            return IntentModel(
                vocabulary,
                builtin_lexicon(),
                data["weights"],
                data["bias"],
                data["platt_slope"],
                data["platt_intercept"],
            )
    except (OSError, ValueError, KeyError):
        return None
