"""Questions encoded by ONNX Runtime from the model's export: the model's own vectors, without
torch in the process."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from c5qa.index.embedding import Embedder
from c5qa.index.onnx_encoder import OnnxEncoder, current, export_path, write_stamp

TEXTS = [
    "Which firm will upgrade Kazakhstan's air traffic management system?",
    "The leaders launched a Critical Minerals Dialogue in New York in September 2023.",
    "C5+1",
    "",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = export_path(str(tmp_path_factory.mktemp("encoder")), "")
    Embedder(precision="fp32").export_onnx(path)
    write_stamp(path, "")
    return path


def test_the_export_gives_torchs_fp32_vectors(exported: Path) -> None:
    onnx = OnnxEncoder(exported, batch_size=2)  # two batches of two: padding differs
    torch = Embedder(precision="fp32")
    assert onnx.dim == torch.dim == 384
    assert np.abs(onnx.encode(TEXTS) - torch.encode(TEXTS)).max() < 1e-5
    assert np.allclose(onnx.encode_query(TEXTS[0]), torch.encode_query(TEXTS[0]), atol=1e-5)
    assert onnx.encode([]).shape == (0, 384)
    long = "Central Asia " * 400  # beyond the model's 256 tokens: cut as torch cuts it
    assert np.abs(onnx.encode([long]) - torch.encode([long])).max() < 1e-5


def test_an_export_is_current_only_for_the_model_it_was_made_from(
    exported: Path, tmp_path: Path
) -> None:
    assert current(exported, "")
    assert exported.name == "sentence-transformers--all-MiniLM-L6-v2.onnx"
    stamp = exported.with_suffix(".json")
    recorded = json.loads(stamp.read_text())
    try:
        stamp.write_text(json.dumps({**recorded, "format": 0}))
        assert not current(exported, "")  # made by an older exporter
        stamp.write_text("{not json")
        assert not current(exported, "")
    finally:
        stamp.write_text(json.dumps(recorded))
    assert not current(tmp_path / "missing.onnx", "")
    assert export_path("", "").parts[-3:] == ("c5qa", "encoder", exported.name)


def test_a_question_is_encoded_without_importing_torch(exported: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from c5qa.index.onnx_encoder import OnnxEncoder\n"
        f"vector = OnnxEncoder(Path({str(exported)!r})).encode_query('water and energy')\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(len(vector), heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "384 []"
