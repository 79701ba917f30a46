"""A client of an OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server, a hosted
model), streaming its tokens (#19).

Only ``POST {llm_url}/chat/completions`` with ``stream: true`` is used: every such server
speaks it. The API key goes in the Authorization header and nowhere else (never a log line, an
error message or a repr). Any failure — refused connection, timeout, an HTTP error, a stream
that is not the protocol — is one ``LlmUnavailable`` with a one-line reason, on which the
caller gives the extractive answer instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence

from c5qa.settings import Settings


class LlmUnavailable(Exception):
    """The endpoint could not write the answer; the message is one line for the user."""


class LanguageModel:
    def __init__(self, settings: Settings) -> None:
        if not settings.llm_url:
            raise LlmUnavailable("no language model is configured (llm_url is empty)")
        self.settings = settings
        self.url = settings.llm_url.rstrip("/") + "/chat/completions"

    @property
    def name(self) -> str:
        return self.settings.llm_model or "the language model"

    def stream(self, messages: Sequence[dict[str, str]]) -> Iterator[str]:
        """The answer's text as it is written, piece by piece, within ``llm_timeout_s`` in
        all (a server that trickles tokens forever is cut off too)."""
        import httpx  # only a written answer needs it: a plain `c5qa ask` starts without it

        s = self.settings
        body = {
            "model": s.llm_model,
            "messages": list(messages),
            "stream": True,
            "temperature": 0,
            "max_tokens": s.llm_max_tokens,
        }
        headers = {"Authorization": f"Bearer {s.llm_api_key}"} if s.llm_api_key else {}
        timeout = httpx.Timeout(s.llm_timeout_s, connect=s.llm_connect_timeout_s)
        deadline = time.monotonic() + s.llm_timeout_s
        try:
            with httpx.stream("POST", self.url, json=body, headers=headers, timeout=timeout) as r:
                if r.status_code != 200:
                    raise LlmUnavailable(f"{self.name} answered HTTP {r.status_code}")
                for line in r.iter_lines():
                    if time.monotonic() > deadline:
                        raise LlmUnavailable(f"{self.name} took longer than {s.llm_timeout_s} s")
                    piece = _piece(line)
                    if piece is None:
                        return
                    yield piece
        except httpx.TimeoutException:
            raise LlmUnavailable(f"{self.name} did not answer in time") from None
        except httpx.HTTPError as exc:
            why = f"{self.name} could not be reached ({type(exc).__name__})"
            raise LlmUnavailable(why) from None


def _piece(line: str) -> str | None:
    """The text one server-sent line adds ("" for none); None at the stream's end."""
    if not line.startswith("data:"):
        return ""
    data = line[len("data:") :].strip()
    if data == "[DONE]":
        return None
    try:
        choices = json.loads(data).get("choices") or [{}]
        return choices[0].get("delta", {}).get("content") or ""
    except (ValueError, AttributeError, TypeError):
        raise LlmUnavailable("the language model's stream is not OpenAI's format") from None
