"""The model client: instructor over an OpenAI-compatible endpoint, with retries and metering.

Two kinds of failure are handled at two levels:

* **transport** (connection refused, timeouts, 429, 5xx): the raw ``chat.completions.create``
  is wrapped in a tenacity loop with exponential back-off and jitter that honours
  ``Retry-After``; 400/401/403/404/422 fail at once as :class:`ModelError` carrying the
  server's message;
* **validation** (an answer that does not fit the answer model or contradicts the letter):
  instructor re-asks with the validation errors, up to ``max_reasks`` times; after that an
  :class:`ExtractionError` carries the last answer and the tokens spent.

Every raw response passes through the metering wrapper, so token usage and call counts are
summed over all attempts, re-asks and transport retries included.
"""

from __future__ import annotations

import contextvars
import email.utils
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

import instructor
import openai
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from ..cost import Cost
from ..errors import ExtractionError, ModelError
from .local_model import is_local_model
from .settings import Settings, data_home

__all__ = ["Usage", "ModelClient", "is_transient", "retry_after_seconds"]

log = logging.getLogger(__name__)


class _NoAnswerText(logging.Filter):
    """Drop instructor's retry log lines: they print validation errors with the model's
    answer (which may quote the letter) at ERROR level. Our own errors say what failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


for _name in ("instructor.v2.retry", "instructor.core.retry", "instructor.retry"):
    logging.getLogger(_name).addFilter(_NoAnswerText())
T = TypeVar("T", bound=BaseModel)
#: The JSON schema to send as a decoding constraint with the current request, if any.
_schema: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("schema", default=None)
#: The self-test: a schema whose only valid answer differs from what the prompt asks for.
_PROBE_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string", "enum": ["constrained-ok"]}},
                 "required": ["answer"]}



def instructor_mode(name: str) -> instructor.Mode:
    """The instructor mode for one of :data:`~llm_extract.model.settings.MODES` (``json`` → ``Mode.JSON``)."""
    return getattr(instructor.Mode, name.upper())

# Longest back-off between transport retries, and the most of a server's Retry-After we honour.
_MAX_WAIT = 30.0


@dataclass
class Usage:
    """Tokens and calls spent on one letter (all attempts), and the last raw answer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    reasks: int = 0
    answers: int = 0  # responses received (calls minus transport failures)
    wait_seconds: float = 0.0  # time spent waiting on the endpoint (benchmarks use it)
    last_answer: str | None = field(default=None, repr=False)
    #: The last answer's tokens and their log-probabilities, where the endpoint returned them.
    last_logprobs: list[tuple[str, float]] | None = field(default=None, repr=False)

    def add(self, other: Usage) -> None:
        """Add another meter's counts into this one."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.calls += other.calls
        self.reasks += other.reasks
        self.answers += other.answers
        self.wait_seconds += other.wait_seconds
        self.last_answer = other.last_answer or self.last_answer
        self.last_logprobs = other.last_logprobs or self.last_logprobs

    def to_cost(self, seconds: float = 0.0) -> Cost:
        """The counts (no answer text) as the :class:`~llm_extract.cost.Cost` every stage passes on."""
        return Cost(seconds=seconds, prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens,
                    model_calls=self.calls, reasks=self.reasks)

    @classmethod
    def from_cost(cls, cost: Cost) -> Usage:
        """A meter holding ``cost``'s counts (its seconds are wall time, not endpoint waits: dropped)."""
        return cls(prompt_tokens=cost.prompt_tokens, completion_tokens=cost.completion_tokens,
                   calls=cost.model_calls, reasks=cost.reasks)

    def as_dict(self) -> dict[str, int]:
        """The counts in the answer cache's stored shape (``calls``), which existing caches hold."""
        return self.to_cost().usage_dict()


_meter: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("llm_extract_meter", default=None)
# The letter being asked about, so that retry messages name it.
_source: contextvars.ContextVar[str] = contextvars.ContextVar("llm_extract_source", default="<letter>")


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: transport errors, timeouts, 408/409/429 and 5xx."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's ``Retry-After`` (seconds or an HTTP date) on an HTTP error, if any."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, when.timestamp() - time.time()) if when else None


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    told = retry_after_seconds(exc)
    if told is not None:
        return min(told, _MAX_WAIT)
    # Exponential back-off with full jitter: 0.5, 1, 2, 4 ... seconds, each scaled by U(0.5, 1].
    base = min(_MAX_WAIT, 0.5 * 2 ** (state.attempt_number - 1))
    return base * (0.5 + random.random() / 2)


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)
        detail = body.get("detail")
        if detail:
            return str(detail)
    return exc.message


class ModelClient:
    """Asks one model for one answer model at a time; see the module docstring.

    With ``settings.base_url`` unset the embedded llama.cpp server is started on first use
    (not before: a run answered wholly from the cache never starts it).
    """

    def __init__(self, settings: Settings, *, http_client: Any = None) -> None:
        self.settings = settings
        # An httpx2.Client to send requests through (tests use a mock transport).
        self._http_client = http_client
        self._client: instructor.Instructor | None = None
        self._base_url: str | None = settings.base_url
        self._raw: Any = None
        #: Whether the endpoint applies a JSON schema sent in ``response_format`` (None: untested).
        self.constraint_applied: bool | None = None

    @property
    def endpoint(self) -> str:
        """The endpoint as recorded in provenance and the cache key (stable for local models)."""
        return self.settings.base_url or f"local:{self.settings.model}"

    def _instructor(self) -> instructor.Instructor:
        if self._client is not None:
            return self._client
        s = self.settings
        if s.base_url is None:
            if not is_local_model(s.model):
                from ..errors import ConfigError

                raise ConfigError(
                    f"model {s.model!r} is not an embedded model; set a base URL (LLM_EXTRACT_BASE_URL) "
                    "to use it, or pick qwen2.5-coder-1.5b, qwen2.5-coder-0.5b or a .gguf path"
                )
            from .local_server import shared_server

            self._base_url = shared_server(s.model, home=data_home(), n_ctx=s.n_ctx, n_threads=s.threads).base_url
        raw = openai.OpenAI(
            base_url=self._base_url,
            # A local server needs no key, but the client insists on one.
            api_key=s.api_key or "sk-no-key-required",
            timeout=s.timeout,
            max_retries=0,  # retries are ours (tenacity), so they are counted and logged once
            http_client=self._http_client,
        )
        completions = raw.chat.completions
        # The SDK's method, wrapped in our retries on this instance only.
        completions.create = self._retrying(completions.create)  # type: ignore[method-assign]  # above
        self._raw = raw
        self._client = instructor.from_openai(raw, mode=instructor_mode(s.mode))
        return self._client

    def _retrying(self, create: Any) -> Any:
        settings = self.settings

        def call(*args: Any, **kwargs: Any) -> Any:
            retrying = Retrying(
                stop=stop_after_attempt(settings.max_retries + 1),
                wait=_wait,
                retry=retry_if_exception(is_transient),
                reraise=True,
                before_sleep=lambda st: log.warning(
                    "%s: ModelError: model request failed (%s); retry %d of %d", _source.get(),
                    type(st.outcome.exception()).__name__ if st.outcome else "?",
                    st.attempt_number, settings.max_retries,
                ),
            )
            meter = _meter.get()
            schema = _schema.get()
            format_ = kwargs.get("response_format")
            if schema is not None and isinstance(format_, dict) and format_.get("type") == "json_object":
                # llama.cpp turns this schema into a grammar; the self-test proved it is applied.
                kwargs["response_format"] = {**format_, "schema": schema}
            try:
                for attempt in retrying:
                    with attempt:
                        if meter is not None:
                            meter.calls += 1
                        sent = time.perf_counter()
                        try:
                            response = create(*args, **kwargs)
                        except ValueError as exc:  # json.JSONDecodeError: a body that is not JSON
                            raise ModelError(f"the endpoint's answer was not JSON ({type(exc).__name__})") from exc
                        finally:
                            if meter is not None:
                                meter.wait_seconds += time.perf_counter() - sent
            except openai.APITimeoutError as exc:
                raise ModelError(
                    f"the model did not answer within {settings.timeout:g} s "
                    f"({settings.max_retries + 1} attempts)", status=None) from exc
            except openai.APIConnectionError as exc:
                raise ModelError(
                    f"cannot reach the model endpoint {self._base_url} after "
                    f"{settings.max_retries + 1} attempts ({type(exc.__cause__ or exc).__name__})") from exc
            except openai.APIStatusError as exc:
                what = "after retries" if is_transient(exc) else "at once"
                raise ModelError(
                    f"the model endpoint answered HTTP {exc.status_code} ({what}): {_server_message(exc)}",
                    status=exc.status_code) from exc
            if not hasattr(response, "choices"):
                # openai hands back the raw text when a 200 body is not JSON.
                raise ModelError("the endpoint's answer was not JSON (HTTP 200 with a "
                                 f"{type(response).__name__} body)")
            if meter is not None:
                meter.answers += 1
                usage = getattr(response, "usage", None)
                meter.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
                meter.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
                try:
                    meter.last_answer = response.choices[0].message.content
                    meter.last_logprobs = _token_logprobs(response.choices[0])
                except (AttributeError, IndexError):
                    pass
            return response

        return call

    def ask(
        self,
        messages: list[dict[str, str]],
        answer_model: type[T],
        *,
        context: dict[str, Any],
        source: str,
        usage: Usage,
    ) -> T:
        """Ask for ``answer_model``; tokens and calls are added to ``usage`` even on failure.

        Raises :class:`ModelError` when the endpoint fails and :class:`ExtractionError` when
        no answer validates after ``max_reasks`` re-asks.
        """
        client = self._instructor()
        meter = Usage()
        token = _meter.set(meter)
        source_token = _source.set(source)
        constrained = self.settings.wants_constraint() and self.check_constraint(usage)
        schema_token = _schema.set(answer_model.model_json_schema() if constrained else None)
        # llama.cpp returns log-probabilities only when top_logprobs is set too.
        extra: dict[str, Any] = {"logprobs": True, "top_logprobs": 1} if self.settings.wants_logprobs() else {}
        try:
            answer = client.chat.completions.create(
                model=self.settings.model,
                messages=messages,  # type: ignore[arg-type]  # plain role/content dicts; the SDK types a TypedDict union
                response_model=answer_model,
                max_retries=self.settings.max_reasks,
                context=context,
                **self.settings.sampling(),
                **extra,
            )
        except Exception as exc:
            model_error = _find_cause(exc, ModelError)
            if model_error is not None:
                raise ModelError(model_error.message, source=source, status=model_error.status) from exc
            if isinstance(exc, (ModelError, ExtractionError)):
                raise
            raise self._extraction_error(exc, meter, source) from exc
        finally:
            _source.reset(source_token)
            _meter.reset(token)
            _schema.reset(schema_token)
            meter.reasks = max(0, meter.answers - 1)
            usage.add(meter)
        return answer

    def check_constraint(self, usage: Usage | None = None) -> bool:
        """Whether the endpoint applies a JSON-schema constraint, tested once per client.

        Some servers accept ``response_format={"type": "json_object", "schema": ...}`` and
        silently ignore the schema. The probe asks for one answer while the schema allows only
        another: a server that returns the schema's value applies it.
        """
        if self.constraint_applied is None:
            self._instructor()
            meter = Usage()
            token = _meter.set(meter)
            try:
                response = self._raw.chat.completions.create(
                    model=self.settings.model,
                    messages=[{"role": "user", "content": 'Reply with the JSON object {"answer": "hello"}.'}],
                    response_format={"type": "json_object", "schema": _PROBE_SCHEMA},
                    temperature=0, seed=0, max_tokens=16,
                )
                content = response.choices[0].message.content or ""
                self.constraint_applied = "constrained-ok" in content
            except ModelError:
                self.constraint_applied = False  # a server that refuses the form: plain JSON mode
            finally:
                _meter.reset(token)
            if usage is not None:
                usage.add(meter)
            log.info("endpoint %s %s JSON-schema constraints", self.endpoint,
                     "applies" if self.constraint_applied else "does not apply")
        return bool(self.constraint_applied)

    def _extraction_error(self, exc: Exception, meter: Usage, source: str) -> ExtractionError:
        meter.reasks = max(0, meter.answers - 1)
        reason = type(exc).__name__
        for e in _chain(exc) + [a.exception for a in getattr(exc, "failed_attempts", None) or []][-1:]:
            if isinstance(e, ValidationError):
                # loc and msg only: pydantic's str() also prints the input, which may quote the letter.
                reason = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'answer'}: {err['msg']}"
                                   for err in e.errors()[:5])
            elif type(e).__name__ == "IncompleteOutputException":
                reason = f"the answer was cut off at max_tokens={self.settings.max_tokens}"
                break
        return ExtractionError(
            f"no valid answer after {meter.calls} model call(s): {reason[:300]}",
            source=source,
            last_answer=meter.last_answer,
            cost=meter.to_cost(),
        )


def _token_logprobs(choice: Any) -> list[tuple[str, float]] | None:
    """``[(token, logprob)]`` of a chat choice, or None where the endpoint sent none."""
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not content:
        return None
    return [(str(t.token), float(t.logprob)) for t in content]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _find_cause(exc: BaseException, kind: type[ModelError]) -> ModelError | None:
    for e in _chain(exc):
        if isinstance(e, kind):
            return e
    return None
