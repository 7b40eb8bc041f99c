"""The run's report: ``index.json`` (the data) and ``report.html`` (the same, for people).

``index.json``::

    {"format": "smsftp-conformance-report", "version": 1,
     "target": "sim", "started": ISO, "finished": ISO, "exit_status": 0,
     "reached_platform": true,
     "preflight": null,              # or {"step": "login", "message": "... check --live-password", "error": "530 ..."}
     "settings": {"target": {"value": "sim", "source": "default"}, ...},   # the password masked
     "counts": {"OK": 57, "NON-STRICT": 0, "INFORMATIONAL": 64, "FAILED": 0, "SKIPPED-SAFETY": 0, "SKIPPED": 0,
                "ERROR": 0},
     "statements": {"Q8": ["OK", ...], ...},
     "cases": [<Verdict.to_json()>, ...]}                                   # in catalogue order

It sits beside pytest's own ``--junitxml``; each case's verdict is also a
``smsftp_verdict`` property there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from smsftp.conformance.cases import all_cases
from smsftp.conformance.judge.verdicts import Outcome

FORMAT = "smsftp-conformance-report"
VERSION = 1
COLOURS = {
    "OK": "#1a7f37",
    "NON-STRICT": "#9a6700",
    "INFORMATIONAL": "#0969da",
    "FAILED": "#cf222e",
    "SKIPPED-SAFETY": "#8250df",
    "SKIPPED": "#6e7781",
    "ERROR": "#bc4c00",
}

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smsftp conformance: {{ report.target }}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1f2328}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:left;
vertical-align:top}.badge{color:#fff;border-radius:4px;padding:1px 6px;font-weight:600;white-space:nowrap}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:30em}details summary{cursor:pointer}
.mismatch{color:#cf222e}.lenient{color:#9a6700}.unverifiable{color:#0969da}
</style></head><body>
<h1>smsftp conformance report: {{ report.target }}</h1>
<p>{{ report.started }} to {{ report.finished }}; exit status {{ report.exit_status }}.</p>
{% if report.preflight %}<p id="preflight" style="border:2px solid #cf222e;padding:8px"><b>The run never reached the
platform</b>: the preflight failed at step <code>{{ report.preflight.step }}</code>. {{ report.preflight.message }}<br>
<code>{{ report.preflight.error }}</code><br>No case ran; nothing here is a verdict on the platform.</p>{% endif %}
<p>{% for name, n in report.counts.items() %}<span class="badge" style="background:{{ colours[name] }}">
{{ name }} {{ n }}</span> {% endfor %}</p>
<details><summary>Settings</summary><table>{% for name, s in report.settings.items() %}
<tr><td>{{ name }}</td><td>{{ s.value }}</td><td>{{ s.source }}</td></tr>{% endfor %}</table></details>
<h2>Cases</h2>
<table><tr><th>verdict</th><th>case</th><th>statements</th><th>what happened</th></tr>
{% for c in report.cases %}<tr id="{{ c.case }}">
<td><span class="badge" style="background:{{ colours[c.outcome] }}">{{ c.outcome }}</span></td>
<td><code>{{ c.case }}</code><br>{{ c.description }}</td><td>{{ c.statements | join(", ") }}</td>
<td>{{ c.reason }}
<details><summary>evidence</summary>
<table>{% for f in c.findings %}<tr class="{{ f.kind }}"><td>{{ f.kind }}</td><td>{{ f.aspect }}</td>
<td>{% if f.kind != "match" %}expected {{ f.expected | compact }}<br>observed {{ f.observed | compact }}{% endif %}
{{ f.detail }}</td></tr>{% endfor %}</table>
{% for a in c.observed.archives %}<p><b>{{ a.name }}</b> {{ a.size }} bytes, sha256 <code>{{ a.sha256 }}</code>
{% if a.refused %}<br>refused: {{ a.refused }}{% endif %}</p>
{% if a.transcript %}<pre>{% for line in a.transcript.lines %}{% if line.command %}&gt; {{ line.command }}
{% endif %}&lt; {{ line.reply }}
{% endfor %}</pre>{% endif %}{% endfor %}
<pre>expected: {{ c.expected | pretty }}</pre>
<pre>observed: {{ c.observed | pretty }}</pre>
</details></td></tr>{% endfor %}
</table></body></html>
"""


def _order() -> dict[str, int]:
    return {case.id: index for index, case in enumerate(all_cases())}


def build_report(
    verdicts: Iterable[Mapping[str, Any]],
    *,
    target: str,
    settings: Mapping[str, Mapping[str, Any]],
    started: datetime,
    finished: datetime | None = None,
    exit_status: int | None = None,
    preflight: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report's data; ``preflight`` is the live preflight's failure, when the run never reached the platform."""
    order = _order()
    cases = sorted(verdicts, key=lambda v: (order.get(str(v.get("case")), len(order)), str(v.get("case"))))
    counts = {o.value: 0 for o in Outcome}
    statements: dict[str, list[str]] = {}
    for verdict in cases:
        counts[verdict["outcome"]] = counts.get(verdict["outcome"], 0) + 1
        for statement in verdict.get("statements", ()):
            statements.setdefault(statement, []).append(verdict["outcome"])
    return {
        "format": FORMAT,
        "version": VERSION,
        "target": target,
        "started": started.astimezone(UTC).isoformat(timespec="seconds"),
        "finished": (finished or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds"),
        "exit_status": exit_status,
        "reached_platform": preflight is None,
        "preflight": dict(preflight) if preflight is not None else None,
        "settings": {k: dict(v) for k, v in settings.items()},
        "counts": counts,
        "statements": dict(sorted(statements.items())),
        "cases": cases,
    }


def render_html(report: Mapping[str, Any]) -> str:
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    # Readable JSON (Cyrillic as itself); autoescaping still makes it safe HTML.
    environment.filters["pretty"] = lambda value: json.dumps(_without_transcripts(value), ensure_ascii=False, indent=2)
    environment.filters["compact"] = lambda value: json.dumps(value, ensure_ascii=False)
    return environment.from_string(_TEMPLATE).render(report=report, colours=COLOURS)


def _without_transcripts(value: Any) -> Any:
    if isinstance(value, dict) and "archives" in value:
        return {**value, "archives": [{k: v for k, v in a.items() if k != "transcript"} for a in value["archives"]]}
    return value


def write_report(directory: str | Path, report: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write ``index.json`` and ``report.html`` into ``directory`` (made if need be)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    index, page = folder / "index.json", folder / "report.html"
    index.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    page.write_text(render_html(report), encoding="utf-8")
    return index, page


def summary_lines(verdicts: Iterable[Mapping[str, Any]]) -> list[str]:
    """The terminal summary: counts, then every case that needs a look, SKIPPED-SAFETY loudest."""
    items = list(verdicts)
    counts = {o.value: 0 for o in Outcome}
    for v in items:
        counts[v["outcome"]] = counts.get(v["outcome"], 0) + 1
    lines = ["smsftp verdicts: " + ", ".join(f"{n} {name}" for name, n in counts.items() if n)]
    safety = [v for v in items if v["outcome"] == Outcome.SKIPPED_SAFETY.value]
    if safety:
        lines.append(f"!!! {len(safety)} CASE(S) SKIPPED-SAFETY: NOT RUN ON THE LIVE PLATFORM, NOT PASSED !!!")
        lines += [f"!!!   {v['case']}: {v['reason']}" for v in safety]
    for name in (Outcome.FAILED.value, Outcome.ERROR.value, Outcome.NON_STRICT.value):
        lines += [f"{name}: {v['case']}: {v['reason']}" for v in items if v["outcome"] == name]
    return lines
