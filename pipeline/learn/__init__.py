"""Trained models as data: a numpy evaluator for tree ensembles, features, training."""

from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent.parent / "models"


def words_model_file(pack_file: Path, value: str) -> Path:
    """The file a pack's ``[caption] words_model`` names: a path to a ``.json`` (relative to the
    pack's folder), else a model shipped in ``pipeline/models/``. Here, where it costs no import:
    the settings digest reads it before the engine is loaded."""
    return (pack_file.parent / value).resolve() if value.endswith(".json") else MODEL_DIR / f"{value}.json"
