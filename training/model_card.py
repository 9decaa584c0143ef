"""A model card (Mitchell et al. 2019) generated from a version's metadata and its gate run.

One structure of sections is rendered twice, to Markdown (for review in a pull request) and
to a self-contained HTML page (for supervisors), so the two never say different things.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.gates import GatePolicy, GateRun
from training.provenance import file_name

Block = str | list[str] | tuple[list[str], list[list[str]]]


@dataclass(frozen=True)
class Section:
    """A heading and its blocks: a paragraph, a bullet list or a (header, rows) table."""

    heading: str
    blocks: list[Block]


def build_model_card(
    metadata: dict[str, Any], *, run: GateRun, policy: GatePolicy, decision: str
) -> list[Section]:
    """Assemble the card's sections.

    Parameters
    ----------
    metadata : dict
        The version's registry metadata.
    run : GateRun
        The gate results and the fairness audit of the held-out households.
    policy : GatePolicy
    decision : str
        ``promoted`` or ``refused``.

    Returns
    -------
    list of Section
    """
    m = metadata.get("metrics", {})
    version, label = metadata.get("version"), metadata.get("label", "removal_2y")
    audit = run.audit
    view = policy.disparity.group
    group_rows = [
        [
            str(group),
            str(row["count"]),
            _f(row.get("base_rate")),
            _f(row.get("selection_rate")),
            _f(row.get("fpr")),
            _f(row.get("fnr")),
            _f(row.get("auc")),
            "small" if row.get("small") else "",
        ]
        for group, row in (audit.groups.get(view, {}) if audit is not None else {}).items()
    ]
    per_group: list[Block] = (
        [
            f"Per group (held-out labelled referrals, selected at score >= "
            f"{policy.disparity.score_threshold}):",
            (["Group", "Rows", "Base rate", "Selected", "FPR", "FNR", "AUC", ""], group_rows),
        ]
        if audit is not None
        else [f"Per group: not audited ({run.audit_skipped})."]
    )
    gate_rows = [
        [r.name, r.status, _f(r.measured), r.limit, _f(r.by), r.detail] for r in run.results
    ]
    return [
        Section(
            "Model details",
            [
                [
                    f"Version {version}, a {metadata.get('kind', '?')} model "
                    f"(sigmoid-calibrated), registered {metadata.get('registered_at', '?')}.",
                    f"Predicts `{label}`: the probability of the outcome, shown to screeners "
                    "as a 1-20 score (ventile of the training referrals).",
                    f"{len(metadata.get('features', []))} features from the shared feature "
                    f"spec (hash {str(metadata.get('feature_spec_hash', ''))[:12]}); race, "
                    "ethnicity and disability are never inputs.",
                    f"Artifact SHA-256 {str(metadata.get('sha256', ''))[:16]}, checked before "
                    "every load. Seed " + str(metadata.get("seed", "?")) + ".",
                ]
            ],
        ),
        Section(
            "Intended use",
            [
                "Decision support for hotline screeners deciding whether to screen a report in "
                "for investigation. It never decides: policy rules take precedence, and a "
                "screener or supervisor makes and owns the decision.",
                [
                    "Out of scope: deciding removal, investigations' findings, or anything about "
                    "a family after screening; scoring people outside the agency's population.",
                ],
            ],
        ),
        Section(
            "Factors",
            [
                f"Audited by `{view}` (children's races, multi-select; several races form the "
                f"`multiracial` group). Groups with fewer than {policy.disparity.min_group_size} "
                "labelled held-out households are reported but not gated. Gated metrics: "
                + ", ".join(policy.disparity.metrics)
                + f" at score >= {policy.disparity.score_threshold}, and observed outcome "
                f"rates among scores >= {policy.calibration_within_groups.min_score}.",
            ],
        ),
        Section(
            "Metrics",
            [
                (
                    ["AUC", "Brier", "Log loss", "Calibration error", "Base rate", "Rows"],
                    [
                        [
                            _f(m.get("auc")),
                            _f(m.get("brier")),
                            _f(m.get("log_loss")),
                            _f(m.get("expected_calibration_error")),
                            _f(m.get("base_rate")),
                            str(m.get("n", "")),
                        ]
                    ],
                ),
                *per_group,
            ],
        ),
        Section(
            "Promotion gates",
            [
                f"Decision: **{decision}** under policy {policy.version} ({policy.name}).",
                (["Gate", "Status", "Measured", "Limit", "By", "Detail"], gate_rows),
            ],
        ),
        Section(
            "Evaluation data",
            [
                f"{metadata.get('n_test_households', '?')} held-out households "
                f"({metadata.get('n_test_rows', '?')} referrals), split by household so no "
                "family is on both sides. Disparity gates use each household's latest "
                "labelled referral.",
            ],
        ),
        Section(
            "Training data",
            [
                f"{metadata.get('n_rows', '?')} referrals from {_training_file(metadata)}; "
                f"fitted on {metadata.get('n_fit_rows', '?')} labelled training referrals. "
                f"`{label}` is observed only for screened-in referrals (selective labels).",
            ],
        ),
        Section(
            "Ethical considerations",
            [
                [
                    "Past reports carry surveillance bias: groups reported more often at equal "
                    "risk get more prior reports, which this model counts.",
                    "The label carries label bias: removal reflects decisions, not only harm.",
                    "Calibration is checked within groups among the highest scores, where an "
                    "equal score meaning unequal risk does the most damage.",
                    "Every waiver of a failed gate is recorded with who and why in the "
                    "registry history (`hotline models history`).",
                ]
            ],
        ),
        Section(
            "Caveats and recommendations",
            [
                [
                    "Metrics are measured on held-out households of the same period as "
                    "training; performance drifts as policy and population change. Re-audit "
                    "on recent outcomes (`hotline audit`, `hotline threshold-near`).",
                    "Skipped gates measured nothing; read their reasons in the table above.",
                    "Small groups are reported without a verdict: absence of a flag is not "
                    "evidence of fairness.",
                ]
            ],
        ),
    ]


def render_markdown(sections: list[Section], *, title: str) -> str:
    """Render the card as Markdown.

    Parameters
    ----------
    sections : list of Section
    title : str

    Returns
    -------
    str
    """
    out = [f"# {title}", ""]
    for section in sections:
        out += [f"## {section.heading}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                out += [block, ""]
            elif isinstance(block, list):
                out += [f"- {item}" for item in block] + [""]
            else:
                header, rows = block
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "---|" * len(header))
                out += [
                    "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows
                ]
                out.append("")
    return "\n".join(out)


def render_html(sections: list[Section], *, title: str) -> str:
    """Render the card as a self-contained HTML page (no network access).

    Parameters
    ----------
    sections : list of Section
    title : str

    Returns
    -------
    str
    """
    e = html.escape
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">",
        f"<title>{e(title)}</title><style>body{{font:15px/1.45 system-ui,sans-serif;"
        "max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        ".failed{background:#fde2e2}.waived{background:#fff3cd}</style></head><body>",
        f"<h1>{e(title)}</h1>",
    ]
    for section in sections:
        out.append(f"<h2>{e(section.heading)}</h2>")
        for block in section.blocks:
            if isinstance(block, str):
                out.append(f"<p>{_inline(block)}</p>")
            elif isinstance(block, list):
                out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in block) + "</ul>")
            else:
                header, rows = block
                out.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
                for row in rows:
                    status = row[1] if len(row) > 1 and row[1] in ("failed", "waived") else ""
                    out.append(
                        f"<tr class='{status}'>"
                        + "".join(f"<td>{e(c)}</td>" for c in row)
                        + "</tr>"
                    )
                out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)


def write_model_card(
    out: Path, *, metadata: dict[str, Any], run: GateRun, policy: GatePolicy, decision: str
) -> tuple[Path, Path]:
    """Write ``model_card.md`` and ``model_card.html`` into a directory.

    Parameters
    ----------
    out : pathlib.Path
    metadata : dict
    run : GateRun
    policy : GatePolicy
    decision : str

    Returns
    -------
    tuple of pathlib.Path
        The Markdown and HTML paths.
    """
    sections = build_model_card(metadata, run=run, policy=policy, decision=decision)
    title = f"Model card: version {metadata.get('version')} ({metadata.get('label', '')})"
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / "model_card.md", out / "model_card.html"
    md.write_text(render_markdown(sections, title=title))
    page.write_text(render_html(sections, title=title))
    return md, page


def _training_file(metadata: dict[str, Any]) -> str:
    # The card is served over the API: the file by name (metadata.json keeps the full path,
    # and versions registered before this card did have only that) and by its SHA-256, in
    # full, which is what tells the data scientist's file from any other of that name.
    path = metadata.get("data_path")
    name = f"`{file_name(str(path))}`" if path else "an unrecorded file"
    digest = metadata.get("data_sha256")
    return f"{name} (SHA-256 {digest})" if digest else f"{name} (SHA-256 not recorded)"


def _inline(text: str) -> str:
    # The card's own text uses only `code` and **bold**; everything is escaped first.
    escaped = html.escape(text)
    parts = escaped.split("`")
    escaped = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    parts = escaped.split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))


def _f(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
