"""Prometheus text-format metrics, written by hand (no dependency); thread-safe."""

from __future__ import annotations

import threading
from collections import defaultdict

__all__ = ["Metrics", "BUCKETS"]

#: Latency histogram buckets, seconds (rules-only letters take ms, model letters tens of s).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def _labels(**kv: str) -> str:
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in kv.items()) + "}" if kv else ""


class Metrics:
    """Counters the app updates; :meth:`render` writes the exposition text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.letters: dict[tuple[str, str], int] = defaultdict(int)  # (mode, outcome)
        self.failures: dict[str, int] = defaultdict(int)  # error type
        self.tokens: dict[str, int] = defaultdict(int)  # prompt / completion
        self.model_calls = 0
        self.http: dict[tuple[str, str], int] = defaultdict(int)  # (route, status)
        self.rejected = 0
        self.bucket_counts = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.batch_letters: dict[str, int] = defaultdict(int)
        self.inflight = 0
        self.queued = 0

    def letter(self, *, mode: str, outcome: str, seconds: float, error_type: str | None = None,
               prompt_tokens: int = 0, completion_tokens: int = 0, model_calls: int = 0) -> None:
        with self._lock:
            self.letters[(mode, outcome)] += 1
            if error_type:
                self.failures[error_type] += 1
            self.tokens["prompt"] += prompt_tokens
            self.tokens["completion"] += completion_tokens
            self.model_calls += model_calls
            self.latency_sum += seconds
            self.latency_count += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.bucket_counts[i] += 1

    def request(self, route: str, status: int) -> None:
        with self._lock:
            self.http[(route, str(status))] += 1

    def batch_letter(self, status: str) -> None:
        with self._lock:
            self.batch_letters[status] += 1

    def render(self) -> str:
        with self._lock:
            out: list[str] = []

            def family(name: str, kind: str, help_: str) -> None:
                out.append(f"# HELP {name} {help_}")
                out.append(f"# TYPE {name} {kind}")

            family("llm_extract_letters_total", "counter",
                   "Letters extracted by POST /v1/extract, by mode and outcome.")
            for mode in ("rules", "model"):
                for outcome in ("ok", "failed"):
                    out.append(f"llm_extract_letters_total{_labels(mode=mode, outcome=outcome)} "
                               f"{self.letters.get((mode, outcome), 0)}")
            family("llm_extract_failures_total", "counter", "Failed letters by error type.")
            for etype in sorted(set(self.failures) | {"InputError", "ModelError", "ExtractionError"}):
                out.append(f"llm_extract_failures_total{_labels(type=etype)} {self.failures.get(etype, 0)}")
            family("llm_extract_extract_seconds", "histogram", "Seconds per letter in POST /v1/extract.")
            for bound, count in zip(BUCKETS, self.bucket_counts, strict=True):
                out.append(f"llm_extract_extract_seconds_bucket{_labels(le=repr(bound))} {count}")
            out.append(f'llm_extract_extract_seconds_bucket{{le="+Inf"}} {self.latency_count}')
            out.append(f"llm_extract_extract_seconds_sum {self.latency_sum:.6f}")
            out.append(f"llm_extract_extract_seconds_count {self.latency_count}")
            family("llm_extract_tokens_total", "counter", "Model tokens spent, by kind.")
            for kind in ("prompt", "completion"):
                out.append(f"llm_extract_tokens_total{_labels(kind=kind)} {self.tokens.get(kind, 0)}")
            family("llm_extract_model_calls_total", "counter", "Model requests made (re-asks included).")
            out.append(f"llm_extract_model_calls_total {self.model_calls}")
            family("llm_extract_rejected_total", "counter", "Requests refused with 429 because the queue was full.")
            out.append(f"llm_extract_rejected_total {self.rejected}")
            family("llm_extract_inflight", "gauge", "Extractions running now.")
            out.append(f"llm_extract_inflight {self.inflight}")
            family("llm_extract_queued", "gauge", "Extractions waiting for a worker.")
            out.append(f"llm_extract_queued {self.queued}")
            family("llm_extract_batch_letters_total", "counter", "Batch-job letters by outcome.")
            for status in ("done", "cached", "duplicate", "failed"):
                count = self.batch_letters.get(status, 0)
                out.append(f"llm_extract_batch_letters_total{_labels(status=status)} {count}")
            family("llm_extract_http_requests_total", "counter", "HTTP responses by route and status.")
            for (route, status), n in sorted(self.http.items()):
                out.append(f"llm_extract_http_requests_total{_labels(route=route, status=status)} {n}")
            return "\n".join(out) + "\n"
