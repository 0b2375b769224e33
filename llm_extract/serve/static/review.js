(function () {
  "use strict";
  const CFG = JSON.parse(document.getElementById("review-config").textContent);
  const DATA = JSON.parse(document.getElementById("review-data").textContent);
  const $ = (s, el) => (el || document).querySelector(s);
  const KIND_LABELS = {header:"header", reviewer:"reviewer", patient:"patient", diagnosis:"diagnoses",
    request:"request", upheld:"Upheld", overturned:"Overturned", guideline:"guidelines",
    rationale:"rationale", category:"category / drug class"};
  const LETTER_FIELDS = [
    ["case_number","str"],["date_assigned","date"],["date_of_injury","date"],["decision_date","date"],
    ["ur_denial_date","date"],["application_received","date"],["priority","enum:Standard,Expedited"],
    ["reviewer.licensure_states","list"],["reviewer.specialties","list"],["patient.age","int"],
    ["patient.sex","enum:male,female"],["diagnoses","list"]];
  const ITEM_FIELDS = [
    ["request","str"],["decision","enum!:Upheld,Overturned"],["treatment","str"],["strength","str"],
    ["quantity","int"],
    ["category","enum:pharmaceutical,diagnostic,rehabilitation,durable_medical_equipment,surgery,injection,evaluation_management,program,behavioral_mental_health,home_health,other"],
    ["drug_class","enum:opioid,muscle_relaxant,nsaid,topical,anticonvulsant,antidepressant,benzodiazepine,sleep_aid,gastrointestinal,other"],
    ["claims_administrator_guideline","text"],["maximus_guideline","text"],["guideline_sources","list"],
    ["rationale","text"]];
  let current = -1;

  function kindOf(key, item) {
    const head = key.split(".")[0];
    if (item) {
      if (key === "decision") return item.decision === "Overturned" ? "overturned" : "upheld";
      if (["request","treatment","strength","quantity"].includes(head)) return "request";
      if (["claims_administrator_guideline","maximus_guideline","guideline_sources"].includes(head)) return "guideline";
      if (head === "rationale") return "rationale";
      if (head === "category" || head === "drug_class") return "category";
      return "other";
    }
    if (head === "reviewer") return "reviewer";
    if (head === "patient" || head === "date_of_injury") return "patient";
    if (head === "diagnoses") return "diagnosis";
    if (["case_number","date_assigned","decision_date","ur_denial_date","application_received","priority"].includes(head)) return "header";
    return "other";
  }

  function get(obj, path) {
    return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
  }
  function set(obj, path, value) {
    const keys = path.split("."); let o = obj;
    for (const k of keys.slice(0, -1)) { if (o[k] == null) o[k] = {}; o = o[k]; }
    o[keys[keys.length - 1]] = value;
  }

  function spansOf(rec) {
    const spans = [];
    const add = (id, key, span, kind, label) => {
      if (span && span.end > span.start) spans.push({id, key, start: span.start, end: span.end, kind, label});
    };
    for (const [k, s] of Object.entries(rec.evidence || {})) add("r:" + k, k, s, kindOf(k, null), k);
    (rec.items || []).forEach((it, n) => {
      for (const [k, s] of Object.entries(it.evidence || {})) add("i" + n + ":" + k, k, s, kindOf(k, it), "item " + (n + 1) + " " + k);
    });
    return spans;
  }

  function renderText(text, spans) {
    const box = $("#letter"); box.textContent = "";
    if (text == null) {
      const p = document.createElement("p"); p.className = "empty";
      p.textContent = "The letter's text is not available; the record is shown without highlights."; box.appendChild(p); return;
    }
    const n = text.length; const cuts = new Set([0, n]);
    const ok = spans.filter(s => s.end <= n);
    ok.forEach(s => { cuts.add(s.start); cuts.add(s.end); });
    const b = Array.from(cuts).sort((x, y) => x - y);
    const anchored = new Set(); const frag = document.createDocumentFragment();
    for (let i = 0; i + 1 < b.length; i++) {
      const a = b[i], e = b[i + 1]; const seg = text.slice(a, e);
      const cover = ok.filter(s => s.start <= a && s.end >= e);
      if (!cover.length) { frag.appendChild(document.createTextNode(seg)); continue; }
      cover.sort((x, y) => (x.end - x.start) - (y.end - y.start));
      const m = document.createElement("mark"); m.className = "k-" + cover[0].kind;
      m.dataset.ids = cover.map(s => s.id).join(" "); m.title = cover.map(s => s.label).join(", ");
      for (const s of cover) if (!anchored.has(s.id) && s.start === a) { anchored.add(s.id); m.id = "span-" + s.id; }
      m.textContent = seg; frag.appendChild(m);
    }
    box.appendChild(frag);
  }

  function scrollToSpan(id) {
    document.querySelectorAll("mark.flash").forEach(m => m.classList.remove("flash"));
    const marks = Array.from(document.querySelectorAll("#letter mark")).filter(m => m.dataset.ids.split(" ").includes(id));
    if (!marks.length) return false;
    marks.forEach(m => m.classList.add("flash"));
    marks[0].scrollIntoView({block: "center", behavior: "instant"});
    return true;
  }

  function warningsFor(rec, path) {
    return (rec.warnings || []).filter(w => w.field === path || w.field.startsWith(path + ".") ||
      path.startsWith(w.field + ".") && w.field.split(".").length > 1);
  }

  function control(type, value) {
    let el;
    if (type.startsWith("enum")) {
      el = document.createElement("select");
      const req = type.startsWith("enum!");
      const opts = (req ? [] : [""]).concat(type.split(":")[1].split(","));
      for (const o of opts) { const op = document.createElement("option"); op.value = o; op.textContent = o || "(null)"; el.appendChild(op); }
      el.value = value == null ? "" : String(value);
    } else if (type === "text") {
      el = document.createElement("textarea"); el.value = value == null ? "" : String(value);
    } else {
      el = document.createElement("input"); el.type = "text";
      el.value = value == null ? "" : (Array.isArray(value) ? value.join("; ") : String(value));
      if (type === "int") el.inputMode = "numeric";
      if (type === "date") el.placeholder = "YYYY-MM-DD";
      if (type === "list") el.placeholder = "a; b; c";
    }
    el.dataset.type = type;
    return el;
  }

  function fieldRow(tbody, rec, item, n, path, type) {
    const full = item ? "items." + n + "." + path : path;
    const value = get(item || rec, path);
    const ev = (item || rec).evidence || {};
    const prefix = item ? "i" + n + ":" : "r:";
    const keys = Object.keys(ev).filter(k => k === path || k.startsWith(path + "."));
    const kind = kindOf(path, item);
    const tr = document.createElement("tr"); tr.dataset.path = full;
    tr.className = keys.length ? "has-span" : "no-span";
    const name = document.createElement("td"); name.className = "name";
    const dot = document.createElement("span"); dot.className = "dot";
    dot.style.background = keys.length ? getComputedStyle(document.documentElement).getPropertyValue(
      {header:"--hdr",reviewer:"--rev",patient:"--pat",diagnosis:"--dia",request:"--req",upheld:"--up",overturned:"--ov",
       guideline:"--gl",rationale:"--rat",category:"--cat"}[kind] || "--oth") : "transparent";
    name.appendChild(dot); name.appendChild(document.createTextNode(path));
    const warns = warningsFor(rec, full);
    if (warns.length) {
      const f = document.createElement("span"); f.className = "warn-flag"; f.textContent = "⚠";
      f.title = warns.map(w => w.code + ": " + w.message).join("\n"); name.appendChild(f); tr.classList.add("flagged");
    }
    const conf = confidenceOf(rec, item, path);
    if (conf) {
      // What answered the value and how sure the pipeline is; below the threshold it is to check.
      const c = document.createElement("span"); c.className = "conf";
      c.textContent = conf.source + " " + Math.round(conf.score * 100) + "%";
      c.title = "answered by " + conf.source + ", confidence " + conf.score.toFixed(2) +
        (conf.reasons && conf.reasons.length ? " (" + conf.reasons.join(", ") + ")" : "");
      name.appendChild(c);
    }
    const review = (rec.needs_review || []).filter(r => r === full || r.startsWith(full + "."));
    if (review.length) {
      const r = document.createElement("span"); r.className = "review-flag"; r.textContent = "check";
      r.title = "below the review threshold: " + review.join(", "); name.appendChild(r); tr.classList.add("needs-review");
    }
    const cell = document.createElement("td");
    const el = control(type, value); el.dataset.path = full; el.dataset.orig = el.value;
    el.addEventListener("input", () => tr.classList.toggle("changed", el.value !== el.dataset.orig));
    el.addEventListener("change", () => tr.classList.toggle("changed", el.value !== el.dataset.orig));
    const first = keys.sort()[0];
    if (first) {
      const go = () => scrollToSpan(prefix + first);
      el.addEventListener("focus", go); el.addEventListener("click", go); name.addEventListener("click", go);
    }
    cell.appendChild(el);
    if (type === "list" && keys.length > 1) {
      const chips = document.createElement("div"); chips.className = "chips";
      keys.forEach(k => { const b = document.createElement("button"); b.type = "button";
        const i = +k.split(".").pop(); b.textContent = (Array.isArray(value) && value[i]) || k;
        const kc = (rec.confidence || {})[path + "." + i];
        if (kc) { b.title = kc.source + " " + kc.score.toFixed(2);
                  if ((rec.needs_review || []).includes(path + "." + i)) b.className = "needs-review"; }
        b.addEventListener("click", () => scrollToSpan(prefix + k)); chips.appendChild(b); });
      cell.appendChild(chips);
    }
    tr.appendChild(name); tr.appendChild(cell); tbody.appendChild(tr);
  }

  function confidenceOf(rec, item, path) {
    if (item) return (item.confidence || {})[path] || null;
    if (path !== "diagnoses") return null;
    // The diagnoses row shows the least sure diagnosis; each chip carries its own.
    const all = Object.entries(rec.confidence || {}).filter(([k]) => k.startsWith("diagnoses.")).map(([, c]) => c);
    return all.length ? all.reduce((a, b) => (b.score < a.score ? b : a)) : null;
  }

  function renderRecord(entry) {
    const rec = entry.record; const box = $("#record"); box.textContent = "";
    const items = rec.items || [];
    const up = items.filter(i => i.decision === "Upheld").length, ov = items.length - up;
    const sum = document.createElement("div"); sum.className = "summary";
    const strong = document.createElement("strong"); strong.textContent = rec.case_number || entry.source || "letter";
    sum.appendChild(strong);
    sum.appendChild(document.createTextNode(" · " + items.length + " item(s): "));
    const bu = document.createElement("span"); bu.className = "badge Upheld"; bu.textContent = up + " Upheld";
    const bo = document.createElement("span"); bo.className = "badge Overturned"; bo.textContent = ov + " Overturned";
    sum.appendChild(bu); sum.appendChild(document.createTextNode(" ")); sum.appendChild(bo);
    box.appendChild(sum);
    if (entry.note) { const d = document.createElement("div"); d.className = "note"; d.textContent = entry.note; box.appendChild(d); }
    (entry.runs || []).forEach(run => {
      // An evaluation's results.json: what this run got wrong, beside the label shown below.
      const d = document.createElement("div"); d.className = "eval";
      const h = document.createElement("strong"); h.textContent = "run " + run.name + ": "; d.appendChild(h);
      const what = document.createElement("span");
      if (run.failed) { what.className = "got"; what.textContent = "failed: " + run.failed; }
      else if (run.withheld) { what.textContent = run.withheld + " error(s), withheld (held-out split)"; }
      else if (!run.errors.length) { what.className = "ok"; what.textContent = "all right"; }
      else { what.textContent = run.errors.length + " error(s)"; }
      d.appendChild(what);
      if (run.errors.length) {
        const t = document.createElement("table");
        run.errors.forEach(e => {
          const tr = t.insertRow();
          tr.insertCell().textContent = e.field + (e.item !== undefined && e.item !== null ? "[" + e.item + "]" : "");
          const g = tr.insertCell(); g.className = "got"; g.textContent = "got " + JSON.stringify(e.got);
          const w = tr.insertCell(); w.className = "want"; w.textContent = "label " + JSON.stringify(e.want);
        });
        d.appendChild(t);
      }
      box.appendChild(d);
    });
    const legend = document.createElement("div"); legend.className = "legend";
    for (const [k, label] of Object.entries(KIND_LABELS)) {
      const s = document.createElement("span"); s.className = "k-" + k; s.textContent = label;
      s.style.background = getComputedStyle(document.documentElement).getPropertyValue(
        {header:"--hdr",reviewer:"--rev",patient:"--pat",diagnosis:"--dia",request:"--req",upheld:"--up",overturned:"--ov",
         guideline:"--gl",rationale:"--rat",category:"--cat"}[k]); legend.appendChild(s);
    }
    box.appendChild(legend);
    if ((rec.warnings || []).length) {
      const w = document.createElement("div"); w.className = "warnings";
      const h = document.createElement("strong"); h.textContent = "⚠ " + rec.warnings.length + " warning(s)"; w.appendChild(h);
      const ul = document.createElement("ul");
      rec.warnings.forEach(x => { const li = document.createElement("li"); li.textContent = x.field + " — " + x.code + ": " + x.message; ul.appendChild(li); });
      w.appendChild(ul); box.appendChild(w);
    }
    const queue = rec.needs_review || [];
    const rv = document.createElement("div"); rv.className = "review" + (queue.length ? " pending" : ""); rv.id = "review-queue";
    rv.textContent = queue.length ? queue.length + " value(s) to check: " + queue.join(", ")
                                  : "no value below the review threshold";
    box.appendChild(rv);
    const t = document.createElement("table"); t.className = "fields"; const tb = document.createElement("tbody");
    LETTER_FIELDS.forEach(([p, ty]) => fieldRow(tb, rec, null, 0, p, ty)); t.appendChild(tb); box.appendChild(t);
    items.forEach((it, n) => {
      const d = document.createElement("div"); d.className = "item " + it.decision; d.id = "item-" + n;
      const h = document.createElement("h3"); const badge = document.createElement("span");
      badge.className = "badge " + it.decision; badge.textContent = it.decision;
      h.appendChild(document.createTextNode("Item " + (n + 1) + " ")); h.appendChild(badge); d.appendChild(h);
      const it_t = document.createElement("table"); it_t.className = "fields"; const it_b = document.createElement("tbody");
      ITEM_FIELDS.forEach(([p, ty]) => fieldRow(it_b, rec, it, n, p, ty)); it_t.appendChild(it_b); d.appendChild(it_t);
      box.appendChild(d);
    });
    const save = document.createElement("div"); save.className = "save";
    const name = document.createElement("input"); name.type = "text"; name.id = "fixture-name"; name.size = 22;
    name.value = entry.fixture_name || rec.case_number || "letter";
    const btn = document.createElement("button"); btn.type = "button"; btn.id = "save-fixture";
    const msg = document.createElement("span"); msg.className = "msg"; msg.id = "save-msg";
    if (CFG.mode === "server" && entry.upload_id) {
      btn.textContent = "Save as fixture";
      btn.addEventListener("click", () => saveFixture(entry, name.value, msg));
      save.appendChild(document.createTextNode("Fixture name ")); save.appendChild(name); save.appendChild(btn);
    } else {
      btn.textContent = "Download corrected label (JSON)";
      btn.addEventListener("click", () => downloadLabel(entry, name.value, msg));
      save.appendChild(document.createTextNode("Label name ")); save.appendChild(name); save.appendChild(btn);
    }
    save.appendChild(msg); box.appendChild(save);
    const p = rec.provenance || {}; const prov = document.createElement("div"); prov.className = "prov";
    prov.textContent = "source: " + (p.source || entry.source || "?") + " · extractor " + (p.extractor_version || "?") +
      (p.model ? " · model " + p.model + " · " + (p.prompt || "") + " · tokens " + p.prompt_tokens + "+" + p.completion_tokens : " · rules only");
    box.appendChild(prov);
  }

  function parseValue(el) {
    const v = el.value.trim(); const ty = el.dataset.type;
    if (ty === "list") return v ? v.split(";").map(s => s.trim()).filter(Boolean) : [];
    if (v === "") return ty === "text" && /rationale$/.test(el.dataset.path) ? "" : null;
    if (ty === "int") return /^-?\d+$/.test(v) ? parseInt(v, 10) : v;
    return v;
  }

  function correctedLabel(entry) {
    const rec = JSON.parse(JSON.stringify(entry.record));
    document.querySelectorAll("#record [data-path]").forEach(el => {
      if (el.tagName === "TR") return;
      set(rec, el.dataset.path, parseValue(el));
    });
    delete rec.evidence; delete rec.warnings; delete rec.provenance; delete rec.source;
    delete rec.confidence; delete rec.needs_review;
    (rec.items || []).forEach(it => { delete it.evidence; delete it.confidence; it.medically_necessary = it.decision === "Overturned";
      if (it.request == null) it.request = ""; });
    return rec;
  }

  function authHeaders() {
    const t = ($("#token") || {}).value; const h = {};
    if (t) h["Authorization"] = "Bearer " + t;
    return h;
  }

  function problemText(p) {
    let s = (p.title || "Error") + (p.detail ? ": " + p.detail : "");
    if (p.errors) s += "\n" + p.errors.map(e => (e.loc || []).join(".") + ": " + e.msg).join("\n");
    return s;
  }

  async function saveFixture(entry, name, msg) {
    msg.className = "msg"; msg.textContent = "saving…";
    const body = {upload_id: entry.upload_id, name: name.trim(), record: correctedLabel(entry)};
    const r = await fetch("/v1/fixtures", {method: "POST", headers: Object.assign({"Content-Type": "application/json"}, authHeaders()), body: JSON.stringify(body)});
    const data = await r.json().catch(() => ({}));
    if (r.ok) { msg.className = "msg ok"; msg.textContent = "Saved " + data.letter + " and " + data.label; }
    else { msg.className = "msg error"; msg.textContent = problemText(data); }
  }

  function downloadLabel(entry, name, msg) {
    const blob = new Blob([JSON.stringify(correctedLabel(entry), null, 2) + "\n"], {type: "application/json"});
    const a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = (name.trim() || "label") + ".json";
    document.body.appendChild(a); a.click(); a.remove();
    msg.className = "msg ok"; msg.textContent = "Downloaded; put it in labels/ beside the letter in letters/.";
  }

  function show(i) {
    current = i; const e = DATA.entries[i];
    renderText(e.text, spansOf(e.record)); renderRecord(e);
    const sel = $("#entry"); if (sel) sel.value = String(i);
    $("#letter").scrollTop = 0;
  }

  function fillPicker() {
    const sel = $("#entry"); if (!sel) return;
    sel.textContent = "";
    DATA.entries.forEach((e, i) => { const o = document.createElement("option"); o.value = String(i);
      o.textContent = (e.record.case_number || "") + " " + (e.source || ""); sel.appendChild(o); });
    sel.onchange = () => show(+sel.value);
    sel.parentElement.style.display = DATA.entries.length > 1 ? "" : "none";
  }

  function status(text, error) { const s = $("#status"); s.textContent = text; s.className = error ? "error" : ""; }

  async function loadLetters() {
    const sel = $("#server-letter"); if (!sel) return;
    const r = await fetch("/v1/letters", {headers: authHeaders()});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { status(problemText(data), true); return; }
    sel.textContent = "";
    const first = document.createElement("option"); first.value = "";
    first.textContent = data.letters.length ? "choose (" + data.letters.length + (data.truncated ? "+" : "") + ")" : "none";
    sel.appendChild(first);
    data.letters.forEach(l => { const o = document.createElement("option"); o.value = l.name; o.textContent = l.name; sel.appendChild(o); });
  }

  async function pick(ev) {
    ev.preventDefault();
    const name = $("#server-letter").value; if (!name) { status("Choose a server letter first.", true); return; }
    status("Extracting " + name + "…");
    const t0 = performance.now();
    const r = await fetch("/v1/review", {method: "POST", body: JSON.stringify({letter: name, rules_only: $("#rules-only").checked}),
      headers: Object.assign({"Content-Type": "application/json"}, authHeaders())});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { status(problemText(data), true); return; }
    DATA.entries.push({source: data.source, text: data.text, record: data.record, upload_id: data.upload_id,
      fixture_name: data.record.case_number || name.split("/").pop().replace(/\.[^.]*$/, "")});
    fillPicker(); show(DATA.entries.length - 1);
    status("Extracted " + name + " in " + Math.round(performance.now() - t0) + " ms: " + (data.record.items || []).length + " item(s).");
  }

  async function upload(ev) {
    ev.preventDefault();
    const f = $("#file").files[0]; if (!f) { status("Choose a letter file first.", true); return; }
    const fd = new FormData(); fd.append("file", f);
    fd.append("rules_only", $("#rules-only").checked ? "true" : "false");
    status("Extracting " + f.name + "…");
    const t0 = performance.now();
    const r = await fetch("/v1/review", {method: "POST", body: fd, headers: authHeaders()});
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { status(problemText(data), true); return; }
    DATA.entries.push({source: data.source, text: data.text, record: data.record, upload_id: data.upload_id,
      fixture_name: data.record.case_number || f.name.replace(/\.[^.]*$/, "")});
    fillPicker(); show(DATA.entries.length - 1);
    status("Extracted " + f.name + " in " + Math.round(performance.now() - t0) + " ms: " + (data.record.items || []).length + " item(s).");
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = $("#upload"); if (form) form.addEventListener("submit", upload);
    const picker = $("#pick"); if (picker && CFG.letters_dir) {
      picker.addEventListener("submit", pick); loadLetters();
      const tok = $("#token"); if (tok) tok.addEventListener("change", loadLetters);
    }
    fillPicker(); if (DATA.entries.length) show(0);
    $("#letter").addEventListener("click", ev => {
      const m = ev.target.closest("mark"); if (!m) return;
      const id = m.dataset.ids.split(" ")[0]; const n = id.startsWith("i") ? id.slice(1).split(":")[0] : null;
      const key = id.split(":").slice(1).join(":"); const path = n !== null ? "items." + n + "." + key.split(".")[0] : key.replace(/\.\d+$/, "");
      const row = document.querySelector('#record tr[data-path="' + CSS.escape(path) + '"]');
      if (row) { row.scrollIntoView({block: "center"}); const c = row.querySelector("input,select,textarea"); if (c) c.focus({preventScroll: true}); }
    });
  });
})();
