"""In-process tests of the HTTP service: every endpoint and every error answer."""

from __future__ import annotations

import json
import logging
import shutil
import threading
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import llm_extract
from llm_extract import Settings
from llm_extract.serve import ServeConfig, create_app
from test_serve_support import MD, PDF, TXT, fake_endpoint


def make_client(tmp_path: Path, **kw) -> TestClient:
    kw.setdefault("rules_only", True)
    kw.setdefault("data_dir", tmp_path / "data")
    return TestClient(create_app(ServeConfig(**kw)))


@pytest.fixture
def client(tmp_path: Path):
    with make_client(tmp_path, fixtures_dir=tmp_path / "fixtures", batch_root=tmp_path / "root") as c:
        yield c


@pytest.fixture(autouse=True)
def _root(tmp_path: Path) -> None:
    (tmp_path / "root" / "corpus").mkdir(parents=True)
    for p in (PDF, TXT, MD):
        shutil.copy(p, tmp_path / "root" / "corpus" / p.name)


def upload(path: Path, name: str | None = None, ctype: str = "application/octet-stream"):
    return {"file": (name or path.name, path.read_bytes(), ctype)}


def assert_problem(r, status: int, error_type: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["error_type"] == error_type
    assert body["type"].endswith(error_type) and body["title"]
    return body


def same_record(a: dict, b: dict) -> bool:
    for d in (a, b):
        d["provenance"].pop("seconds"), d["provenance"].pop("source")
    return a == b


# -- extraction ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", [PDF, TXT, MD], ids=lambda p: p.suffix)
def test_extract_upload_matches_the_library(client, path):
    r = client.post("/v1/extract", files=upload(path))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    got = r.json()
    assert got["provenance"]["source"] == path.name
    want = llm_extract.extract(path, rules_only=True).model_dump(mode="json")
    assert same_record(got, want)
    llm_extract.IMRRecord.model_validate(r.json())


def test_extract_json_text(client):
    text = TXT.read_text(encoding="utf-8")
    r = client.post("/v1/extract", json={"text": text, "rules_only": True})
    assert r.status_code == 200, r.text
    assert r.json()["items"] and r.json()["provenance"]["source"] == "<text>"


def test_extract_type_by_content_type_when_the_name_has_no_suffix(client):
    r = client.post("/v1/extract", files=upload(PDF, name="letter", ctype="application/pdf"))
    assert r.status_code == 200, r.text


def test_unknown_file_type_is_415(client):
    assert_problem(client.post("/v1/extract", files={"file": ("a.docx", b"PK..", "application/msword")}),
                   415, "UnsupportedMediaType")
    assert_problem(client.post("/v1/extract", content=b"<x/>", headers={"Content-Type": "text/xml"}),
                   415, "UnsupportedMediaType")


def test_too_large_is_413(tmp_path):
    with make_client(tmp_path, max_upload_bytes=1000) as c:
        assert_problem(c.post("/v1/extract", files=upload(PDF)), 413, "PayloadTooLarge")
        assert_problem(c.post("/v1/extract", json={"text": "x" * 2000}), 413, "PayloadTooLarge")


def test_not_an_imr_letter_is_422(client):
    body = assert_problem(client.post("/v1/extract", json={"text": "Dear Sir,\nthank you.\n"}), 422, "InputError")
    assert "IMR" in body["detail"]
    assert_problem(client.post("/v1/extract", json={"text": "  "}), 422, "InputError")
    assert_problem(client.post("/v1/extract", files={"file": ("x.pdf", b"%PDF-broken", "application/pdf")}),
                   422, "InputError")


def test_invalid_requests_are_422_without_echoing_input(client):
    secret = "Patient John Q Secret"
    body = assert_problem(client.post("/v1/extract", json={"text": secret, "bogus": secret}), 422, "ValidationError")
    assert secret not in json.dumps(body)
    assert_problem(client.post("/v1/extract", content=b"{not json", headers={"Content-Type": "application/json"}),
                   422, "ValidationError")
    assert_problem(client.post("/v1/extract", files={"other": ("a.txt", b"x", "text/plain")}), 422, "ValidationError")
    assert_problem(client.post("/v1/extract", files=upload(TXT), data={"rules_only": "maybe"}), 422, "ValidationError")


def test_model_asked_of_a_rules_only_server_is_400(client):
    assert_problem(client.post("/v1/extract", json={"text": TXT.read_text(), "rules_only": False}), 400, "ConfigError")


def test_bearer_token(tmp_path, monkeypatch, caplog):
    token = "s3cret-token-value"
    with make_client(tmp_path, api_token=token) as c, caplog.at_level(logging.DEBUG):
        assert_problem(c.post("/v1/extract", files=upload(TXT)), 401, "Unauthorized")
        r = c.post("/v1/extract", files=upload(TXT), headers={"Authorization": "Bearer wrong"})
        assert_problem(r, 401, "Unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert_problem(c.get("/metrics"), 401, "Unauthorized")
        assert_problem(c.get("/v1/batches"), 401, "Unauthorized")
        ok = {"Authorization": f"Bearer {token}"}
        assert c.post("/v1/extract", files=upload(TXT), headers=ok).status_code == 200
        assert c.get("/metrics", headers=ok).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200
    logged = caplog.text
    assert token not in logged
    assert "Utilization Review" not in logged and "MAXIMUS" not in logged.upper()


def test_no_letter_text_in_logs(client, caplog):
    text = TXT.read_text(encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/extract", json={"text": text})
        client.post("/v1/extract", json={"text": "Dear Sir, confidential-marker\nbye"})
        client.post("/v1/extract", files=upload(PDF))
    assert "/v1/extract" in caplog.text
    assert "confidential-marker" not in caplog.text
    lines = [ln for ln in text.splitlines() if len(ln) > 30]
    assert not any(ln in caplog.text for ln in lines)


def test_full_queue_is_429_with_retry_after(tmp_path, monkeypatch):
    gate, entered = threading.Event(), threading.Event()
    real = llm_extract.extract

    def slow(letter, **kw):
        entered.set()
        gate.wait(10)
        return real(letter, **kw)

    monkeypatch.setattr(llm_extract, "extract", slow)
    with make_client(tmp_path, workers=1, queue_size=0, retry_after=7) as c:
        results = []
        t = threading.Thread(target=lambda: results.append(c.post("/v1/extract", files=upload(TXT))))
        t.start()
        assert entered.wait(10)
        r = c.post("/v1/extract", files=upload(TXT))
        body = assert_problem(r, 429, "QueueFull")
        assert r.headers["retry-after"] == "7" and body["detail"]
        gate.set()
        t.join(10)
        assert results[0].status_code == 200
        assert "llm_extract_rejected_total 1" in c.get("/metrics").text
        assert c.post("/v1/extract", files=upload(TXT)).status_code == 200  # the slot was released


# -- model failures: 502/504 with the rules-only record ------------------------------------
def model_client(tmp_path: Path, base_url: str, timeout: float) -> TestClient:
    settings = Settings.resolve(base_url=base_url, model="fake", timeout=timeout, max_retries=0, max_reasks=0,
                                cache_dir=tmp_path / "answers")
    return make_client(tmp_path, rules_only=False, settings=settings)


def test_model_endpoint_error_is_502_with_rules_record(tmp_path):
    with fake_endpoint("error") as url, model_client(tmp_path, url, timeout=5) as c:
        # imr-hybrid@2 always asks the model (the default asks only what the rules left open).
        body = assert_problem(c.post("/v1/extract", files=upload(PDF), data={"prompt": "imr-hybrid@2"}),
                              502, "ModelError")
        assert "500" in body["detail"]
        rules = llm_extract.IMRRecord.model_validate(body["rules_record"])
        assert rules.case_number == "CM16-0213037" and rules.items
        assert c.get("/readyz").json()["ready"] is True
        metrics = c.get("/metrics").text
        assert 'llm_extract_failures_total{type="ModelError"} 1' in metrics
        assert 'llm_extract_letters_total{mode="model",outcome="failed"} 1' in metrics


def test_answer_that_never_validates_is_502_extraction_error_with_rules_record(tmp_path):
    with fake_endpoint("invalid") as url, model_client(tmp_path, url, timeout=5) as c:
        body = assert_problem(c.post("/v1/extract", files=upload(PDF), data={"prompt": "imr-hybrid@2"}),
                              502, "ExtractionError")
        assert body["source"] == PDF.name and body["detail"]
        assert "cannot answer" not in json.dumps(body)  # the model's raw answer is not echoed
        rules = llm_extract.IMRRecord.model_validate(body["rules_record"])
        want = llm_extract.extract(PDF, rules_only=True)
        assert rules.case_number == want.case_number == "CM16-0213037"
        assert [i.model_dump(exclude={"evidence"}) for i in rules.items] == \
            [i.model_dump(exclude={"evidence"}) for i in want.items]
        metrics = c.get("/metrics").text
        assert 'llm_extract_failures_total{type="ExtractionError"} 1' in metrics
        assert 'llm_extract_letters_total{mode="model",outcome="failed"} 1' in metrics
        assert 'llm_extract_tokens_total{kind="prompt"} 11' in metrics  # the failed answer's usage counts


def test_model_timeout_is_504_with_rules_record(tmp_path):
    # The endpoint holds each completion for 3 s: a 504 while none has been answered yet can
    # only come from the client's 0.5 s timeout (told by the order of events, not a clock).
    hold, log = threading.Event(), []
    with fake_endpoint("slow", hold=hold, log=log) as url, model_client(tmp_path, url, timeout=0.5) as c:
        body = assert_problem(c.post("/v1/extract", json={"text": TXT.read_text(), "prompt": "imr-hybrid@2"}),
                              504, "ModelError")
        assert "received" in log and "answered" not in log
        assert body["rules_record"]["items"]


def test_readyz_with_a_model(tmp_path):
    with fake_endpoint("ok") as url, model_client(tmp_path, url, timeout=1) as c:
        r = c.get("/readyz")
        assert r.status_code == 200 and r.json() == {"ready": True, "mode": "endpoint", "detail": r.json()["detail"]}
    with fake_endpoint("down") as url, model_client(tmp_path, url, timeout=1) as c:
        assert_problem(c.get("/readyz"), 503, "NotReady")


# -- operations ----------------------------------------------------------------------------
def test_health_ready_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok", "version": llm_extract.__version__}
    assert client.get("/readyz").json()["ready"] is True
    client.post("/v1/extract", files=upload(PDF))
    client.post("/v1/extract", json={"text": "not a letter\nat all"})
    r = client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    m = r.text
    assert 'llm_extract_letters_total{mode="rules",outcome="ok"} 1' in m
    assert 'llm_extract_failures_total{type="InputError"} 1' in m
    assert 'llm_extract_extract_seconds_bucket{le="+Inf"} 2' in m
    assert 'llm_extract_tokens_total{kind="prompt"} 0' in m
    assert 'llm_extract_http_requests_total{route="/v1/extract",status="200"} 1' in m
    for line in m.splitlines():  # well-formed exposition: comments or "name{labels} number"
        assert line.startswith("# ") or float(line.rsplit(" ", 1)[1]) >= 0


def test_unknown_route_and_method_are_problems(client):
    assert_problem(client.get("/v1/nothing"), 404, "NotFound")
    assert_problem(client.get("/v1/extract"), 405, "MethodNotAllowed")


def test_cors_off_unless_configured(tmp_path, client):
    h = {"Origin": "https://claims.example", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/extract", headers=h).headers
    with make_client(tmp_path, data_dir=tmp_path / "d2", cors_origins=("https://claims.example",)) as c:
        r = c.options("/v1/extract", headers=h)
        assert r.headers["access-control-allow-origin"] == "https://claims.example"


def test_openapi_documents_problems_and_bodies(client):
    doc = client.get("/openapi.json").json()
    comps = doc["components"]["schemas"]
    assert {"IMRRecord", "Problem", "ExtractText", "BatchFolder", "BatchStatus"} <= set(comps)
    op = doc["paths"]["/v1/extract"]["post"]
    assert set(op["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    for code in ("413", "415", "422", "429", "502", "504"):
        assert "application/problem+json" in op["responses"][code]["content"]
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/IMRRecord")


def test_review_page(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "connect-src 'self'" in r.headers["content-security-policy"]
    assert 'id="upload"' in r.text and "http://" not in r.text and "https://" not in r.text


def test_review_page_assets_are_the_files_the_offline_view_inlines(client):
    """GET / links its stylesheet and script from /static (its CSP runs no inline script);
    they are the very text that `llm-extract view` inlines: one copy of each."""
    import re

    from llm_extract.serve.view import render_page

    page, offline = client.get("/").text, render_page([])
    assets = re.findall(r'<(?:link rel="stylesheet" href|script src)="(static/[^"]+)"', page)
    assert sorted(assets) == ["static/review.css", "static/review.js"]
    for href in assets:
        r = client.get("/" + href)
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] in ("text/css", "text/javascript", "application/javascript")
        assert len(r.text) > 1000 and r.text in offline and r.text not in page
    # Every <script> left in the page is JSON data, which no browser runs.
    assert all('type="application/json"' in tag or "src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]
    assert_problem(client.get("/static/no-such.js"), 404, "NotFound")


# -- review and fixtures -------------------------------------------------------------------
def test_review_spans_index_the_returned_text(client):
    r = client.post("/v1/review", files=upload(PDF))
    assert r.status_code == 200, r.text
    body = r.json()
    text, rec = body["text"], body["record"]
    span = rec["evidence"]["case_number"]
    assert text[span["start"]:span["end"]] == rec["case_number"]
    item = rec["items"][0]
    assert text[item["evidence"]["decision"]["start"]:item["evidence"]["decision"]["end"]] == item["decision"]
    assert body["upload_id"].endswith(".pdf") and body["source"] == PDF.name
    # JSON names a --letters-dir letter
    assert_problem(client.post("/v1/review", json={"text": "x"}), 422, "ValidationError")


def test_save_fixture_then_evaluate(client, tmp_path):
    body = client.post("/v1/review", files=upload(PDF)).json()
    rec = body["record"]
    rec["items"][0]["treatment"] = "MRI of the right shoulder"
    rec["items"][0]["category"] = "diagnostic"
    r = client.post("/v1/fixtures", json={"upload_id": body["upload_id"], "name": "reviewed-1", "record": rec})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "reviewed-1", "letter": "letters/reviewed-1.pdf", "label": "labels/reviewed-1.json"}
    root = tmp_path / "fixtures"
    label = json.loads((root / "labels" / "reviewed-1.json").read_text())
    assert label["items"][0]["treatment"] == "MRI of the right shoulder"
    assert "evidence" not in label and "provenance" not in label and "evidence" not in label["items"][0]
    assert (root / "letters" / "reviewed-1.pdf").read_bytes() == PDF.read_bytes()
    ev = llm_extract.evaluate(root, rules_only=True)  # what `llm-extract eval --fixtures DIR` reads
    assert len(ev.letters) == 1
    # again: same name, or the same case under another name
    assert_problem(client.post("/v1/fixtures", json={"upload_id": body["upload_id"], "name": "reviewed-1",
                                                     "record": rec}), 409, "Conflict")
    assert_problem(client.post("/v1/fixtures", json={"upload_id": body["upload_id"], "name": "other",
                                                     "record": rec}), 409, "Conflict")
    r = client.post("/v1/fixtures", json={"upload_id": body["upload_id"], "name": "reviewed-1", "record": rec,
                                          "overwrite": True})
    assert r.status_code == 201


def test_save_fixture_errors(client, tmp_path):
    body = client.post("/v1/review", files=upload(TXT)).json()
    bad = dict(body["record"])
    bad["items"] = [dict(bad["items"][0], decision="Maybe")]
    err = assert_problem(client.post("/v1/fixtures", json={"upload_id": body["upload_id"], "name": "x",
                                                           "record": bad}), 422, "ValidationError")
    assert any("decision" in e["loc"] for e in err["errors"])
    assert_problem(client.post("/v1/fixtures", json={"upload_id": "0" * 64 + ".pdf", "name": "x",
                                                     "record": body["record"]}), 404, "NotFound")
    assert_problem(client.post("/v1/fixtures", json={"upload_id": body["upload_id"], "name": "../evil",
                                                     "record": body["record"]}), 422, "ValidationError")
    with make_client(tmp_path, data_dir=tmp_path / "d3") as c:
        b = c.post("/v1/review", files=upload(TXT)).json()
        assert_problem(c.post("/v1/fixtures", json={"upload_id": b["upload_id"], "name": "x", "record": b["record"]}),
                       403, "ConfigError")


# -- batches -------------------------------------------------------------------------------
_ran: set[str] = set()
_ran_changed = threading.Condition()


@pytest.fixture(autouse=True)
def _jobs_say_when_done(monkeypatch):
    """Each batch job, once its worker has saved its end state, wakes :func:`wait_finished`."""
    from llm_extract.serve.jobs import JobManager

    run = JobManager._run

    def run_and_tell(self, job_id: str) -> None:
        try:
            run(self, job_id)
        finally:
            with _ran_changed:
                _ran.add(job_id)
                _ran_changed.notify_all()

    monkeypatch.setattr(JobManager, "_run", run_and_tell)


def wait_finished(c: TestClient, batch_id: str, timeout: float = 30) -> dict:
    """The batch's status once its job has run (``timeout`` only guards against a hang)."""
    with _ran_changed:
        ran = _ran_changed.wait_for(lambda: batch_id in _ran, timeout)
    s = c.get(f"/v1/batches/{batch_id}").json()
    assert ran and s["state"] in ("finished", "failed"), f"batch {batch_id} did not finish: {s}"
    return s


def test_batch_of_uploaded_files(client):
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in (PDF, TXT, MD)]
    files.append(("files", ("copy.txt", TXT.read_bytes(), "text/plain")))  # a duplicate
    r = client.post("/v1/batches", files=files, data={"rules_only": "true"})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/batches/{r.json()['id']}"
    s = wait_finished(client, r.json()["id"])
    assert s["state"] == "finished" and s["total"] == 4 and s["handled"] == 4
    assert s["done"] == 3 and s["duplicate"] == 1 and s["failed"] == 0
    assert s["totals"]["letters"] == 3
    lines = client.get(f"/v1/batches/{s['id']}/records").text.splitlines()
    assert len(lines) == 4 and all(json.loads(ln)["sha256"] for ln in lines)
    csv = client.get(f"/v1/batches/{s['id']}/items.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("sha256") or "request" in csv.text.splitlines()[0]
    assert [b["id"] for b in client.get("/v1/batches").json()["batches"]] == [s["id"]]
    metrics = client.get("/metrics").text
    assert 'llm_extract_batch_letters_total{status="done"} 3' in metrics


def test_batch_of_an_allowed_folder(client, tmp_path):
    r = client.post("/v1/batches", json={"folder": "corpus", "rules_only": True})
    assert r.status_code == 202, r.text
    s = wait_finished(client, r.json()["id"])
    assert s["done"] == 3
    r = client.post("/v1/batches", json={"folder": str(tmp_path / "root" / "corpus")})
    assert r.status_code == 202
    assert_problem(client.post("/v1/batches", json={"folder": "../"}), 403, "Forbidden")
    assert_problem(client.post("/v1/batches", json={"folder": "/etc"}), 403, "Forbidden")
    assert_problem(client.post("/v1/batches", json={"folder": "nope"}), 422, "InputError")
    assert_problem(client.post("/v1/batches", files=[("files", ("a.exe", b"MZ", "application/x-msdownload"))]),
                   415, "UnsupportedMediaType")
    assert_problem(client.post("/v1/batches", data={"rules_only": "true"},
                               files=[("nothing", ("a.txt", b"x", "text/plain"))]), 422, "ValidationError")


def test_server_folders_need_a_batch_root(tmp_path):
    with make_client(tmp_path) as c:
        assert_problem(c.post("/v1/batches", json={"folder": str(tmp_path)}), 403, "Forbidden")


def test_unknown_batch_is_404(client):
    for path in ("", "/records", "/items.csv"):
        assert_problem(client.get(f"/v1/batches/{'a' * 32}{path}"), 404, "NotFound")
        assert_problem(client.get(f"/v1/batches/..{path}"), 404, "NotFound")


def test_restarted_server_resumes_its_jobs(tmp_path):
    from llm_extract.serve.jobs import JobManager

    data = tmp_path / "data"
    # A job the previous server accepted and half did: one letter finished, state "running".
    jm = JobManager(data / "batches", extract_kwargs=lambda o: {"rules_only": True})
    job = jm.create(inputs=[str(tmp_path / "root" / "corpus")], options={"rules_only": True})
    for _ in llm_extract.extract_batch([str(tmp_path / "root" / "corpus" / PDF.name)], rules_only=True,
                                       out_dir=jm.out_dir(job["id"])):
        pass
    job_file = data / "batches" / job["id"] / "job.json"
    job_file.write_text(json.dumps(dict(json.loads(job_file.read_text()), state="running")))
    with make_client(tmp_path) as c:
        assert [b["id"] for b in c.get("/v1/batches").json()["batches"]] == [job["id"]]
        s = wait_finished(c, job["id"])
        assert s["state"] == "finished" and s["cached"] == 1 and s["done"] == 2
        lines = c.get(f"/v1/batches/{job['id']}/records").text.splitlines()
        assert len(lines) == 3 and len({json.loads(ln)["sha256"] for ln in lines}) == 3


# -- letters from a server-side folder (--letters-dir) --------------------------------------
@pytest.fixture
def letters_client(tmp_path: Path):
    root = tmp_path / "letters"
    (root / "2016").mkdir(parents=True)
    shutil.copy(PDF, root / PDF.name)
    shutil.copy(TXT, root / "2016" / TXT.name)
    (root / "notes.docx").write_bytes(b"PK")           # not a letter type: not listed
    (root / ".hidden.txt").write_text("x")             # hidden: not listed
    outside = tmp_path / "secret.txt"
    outside.write_text(TXT.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "link.txt").symlink_to(outside)             # a link out of the folder: neither listed nor opened
    with make_client(tmp_path, letters_dir=root, fixtures_dir=tmp_path / "fixtures") as c:
        yield c


def test_list_server_letters(letters_client):
    r = letters_client.get("/v1/letters")
    assert r.status_code == 200, r.text
    assert r.json() == {"letters": [
        {"name": f"2016/{TXT.name}", "size": TXT.stat().st_size, "kind": "text"},
        {"name": PDF.name, "size": PDF.stat().st_size, "kind": "pdf"}], "truncated": False}


def test_review_a_server_letter_by_name_then_save_it_as_a_fixture(letters_client, tmp_path):
    r = letters_client.post("/v1/review", json={"letter": PDF.name, "rules_only": True})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["source"] == PDF.name and got["upload_id"].endswith(".pdf")
    want = llm_extract.extract(PDF, rules_only=True)
    assert got["record"]["case_number"] == want.case_number
    span = got["record"]["evidence"]["case_number"]
    assert got["text"][span["start"]:span["end"]] == want.case_number
    saved = letters_client.post("/v1/fixtures", json={"upload_id": got["upload_id"], "name": "picked",
                                                      "record": got["record"]})
    assert saved.status_code == 201, saved.text
    assert (tmp_path / "fixtures" / "letters" / "picked.pdf").read_bytes() == PDF.read_bytes()
    r = letters_client.post("/v1/review", json={"letter": f"2016/{TXT.name}"})
    assert r.status_code == 200 and r.json()["source"] == f"2016/{TXT.name}"


@pytest.mark.parametrize("name,status,error_type", [
    ("../secret.txt", 403, "Forbidden"),
    ("2016/../../secret.txt", 403, "Forbidden"),
    ("2016/./" + TXT.name, 403, "Forbidden"),
    ("/etc/hostname.txt", 403, "Forbidden"),
    ("..\\secret.txt", 403, "Forbidden"),
    ("link.txt", 403, "Forbidden"),
    ("missing.pdf", 404, "NotFound"),
    (".hidden.txt", 404, "NotFound"),
    ("2016", 415, "UnsupportedMediaType"),
    ("notes.docx", 415, "UnsupportedMediaType"),
])
def test_server_letter_names_cannot_leave_the_folder(letters_client, name, status, error_type):
    body = assert_problem(letters_client.post("/v1/review", json={"letter": name}), status, error_type)
    assert "secret" not in body["detail"] and "/tmp" not in body["detail"]


def test_server_letters_need_a_letters_dir(client):
    assert_problem(client.get("/v1/letters"), 403, "Forbidden")
    assert_problem(client.post("/v1/review", json={"letter": PDF.name}), 403, "Forbidden")
    assert_problem(client.post("/v1/review", json={"text": "x"}), 422, "ValidationError")
    assert 'id="server-letter"' not in client.get("/").text


def test_review_page_offers_the_server_letters(letters_client):
    page = letters_client.get("/").text
    assert 'id="server-letter"' in page and '"letters_dir": true' in page


def test_server_letter_over_the_size_limit_is_413(tmp_path):
    root = tmp_path / "letters"
    root.mkdir()
    shutil.copy(PDF, root / PDF.name)
    with make_client(tmp_path, letters_dir=root, max_upload_bytes=1000) as c:
        assert_problem(c.post("/v1/review", json={"letter": PDF.name}), 413, "PayloadTooLarge")
