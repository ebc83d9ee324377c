"""Benchmark: what our letter pipeline costs on top of bare WeasyPrint.

The same formal demand HTML (a protected landlord, two charges, interest, the 40 EUR, both QR
codes) is written to PDF N times by bare WeasyPrint, ``HTML(string=html).write_pdf()``, and N
times by ``render_letter``: Jinja rendering, the two QR codes, the AssetFetcher, PDF/A-3b and
the SHA-256. For the bare run the ``amparo-asset:`` URLs are pointed at the same files by
``file:`` URL, so both lay out the very same page. Runs alternate, after one warm-up of each,
so drift hits both alike. Run with `make bench`; the figures go in the README's Performance
section.
"""

from __future__ import annotations

import statistics
import time

import pytest
from weasyprint import HTML

from letters.compose import render_letter
from letters.render import ASSET_SCHEME, ASSETS_DIR
from letters.sample import sample_context as make_context
from tests.letters.test_letters import pdf_text

RUNS = 20
MAX_OVERHEAD = 0.30

pytestmark = pytest.mark.filterwarnings(r"ignore:unclosed file .*sRGB2014\.icc:ResourceWarning")


def test_letter_pipeline_overhead_against_bare_weasyprint():
    context = make_context("formal_demand")
    context["creditor"] = {
        **context["creditor"],
        "protected": True,
        "verify_url": "https://amparo.example/v/ruiz",
    }
    html = render_letter(context, "es").html
    bare_html = html.replace(ASSET_SCHEME, ASSETS_DIR.as_uri() + "/")

    def bare() -> bytes:
        return HTML(string=bare_html).write_pdf()

    def pipeline() -> bytes:
        return render_letter(context, "es").pdf

    # Same letter on paper both ways (and the warm-up: fonts, caches).
    assert pdf_text(bare()) == pdf_text(pipeline())

    timings: dict[str, list[float]] = {"bare": [], "pipeline": []}
    for _ in range(RUNS):
        for name, run in (("bare", bare), ("pipeline", pipeline)):
            started = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - started)

    bare_median = statistics.median(timings["bare"])
    ours_median = statistics.median(timings["pipeline"])
    overhead = ours_median / bare_median - 1
    print(
        f"\nletter pipeline, formal demand, {RUNS} runs each:"
        f"\n  bare WeasyPrint write_pdf: median {bare_median * 1000:.0f} ms"
        f"\n  render_letter (Jinja + QR + fetcher + PDF/A-3b + SHA-256): "
        f"median {ours_median * 1000:.0f} ms"
        f"\n  overhead {overhead * 100:+.1f} % (limit {MAX_OVERHEAD * 100:.0f} %)"
    )
    assert overhead <= MAX_OVERHEAD
