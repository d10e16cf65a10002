"""REPORT.html and REPORT.pdf of an evidence bundle (archive/report.py): escaping, wording, rendering, scale.

The PDF is rendered with the real poppler tools (pdftoppm, pdftotext from poppler-utils), as a reader would see it.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from archive import report as report_mod
from archive.report import render_html, render_pdf
from archive.report_model import BundleReport, ReportCheckpoint, ReportDocument

HOSTILE = '<script>alert("x")</script> \'q\' &amp; invoice\u202efdp.exe'
LOCAL_LABEL = "local TSA of this archive (NOT qualified)"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(text: str) -> str:
    h = sha(text).upper()
    return ":".join(h[i : i + 2] for i in range(0, 64, 2))


def document(number: int, status: str, name: str, checkpoint: int | None, **kw) -> ReportDocument:
    fields = {"invoice_number": f"2026/{number:03d}", "total_amount": "1720.20 EUR", "due_date": "2026-12-31"}
    return ReportDocument(
        number=number,
        folder=f"data/documents/{number:03d}-{sha(name)[:12]}",
        file_name=name,
        doc_type=kw.pop("doc_type", "invoice"),
        key_fields=kw.pop("key_fields", fields),
        sha256=sha(f"{number}:{name}"),
        size=87157 + number,
        ingested_at="2026-11-23T12:08:51.397657Z",
        checkpoint=checkpoint,
        timestamp_status=status,
        tsa_time="2026-11-23T12:08:52.768Z" if status == "timestamped" else None,
        tsa_label=LOCAL_LABEL if status == "timestamped" else None,
        **kw,
    )


def checkpoints(tree_size: int = 3) -> list[ReportCheckpoint]:
    return [
        ReportCheckpoint(1, tree_size, sha("cp1"), "timestamped", "2026-11-23T12:08:52.768Z", LOCAL_LABEL, False,
                         tsa_local=True),
        ReportCheckpoint(2, 2, sha("cp2"), "pending", None, None, None),
    ]


def bundle(docs: list[ReportDocument], cps: list[ReportCheckpoint] | None = None, **kw) -> BundleReport:
    base = dict(
        bundle_id="sigillo-bundle-20261124-7f3a9c",
        archive_name="Studio Legale Bianchi",
        archive_id="49fe0bf5-051c-4099-b11b-03b60a223558",
        organization="Bianchi & Partners S.r.l.",
        exported_by="avv.rossi@studio-01",
        exported_at="2026-11-24T09:15:02Z",
        reason="Ricorso per decreto ingiuntivo, Tribunale di Milano",
        selection="--case 'Verdi S.p.A.'",
        seal_subject="O = Studio Legale Bianchi, CN = Sigillo seal (self-signed)",
        seal_fingerprint=fingerprint("seal"),
        seal_self_signed=True,
        tsa_root_fingerprints=[fingerprint("tsa-root")],
        sigillo_version="0.1.0",
        documents=docs,
        checkpoints=checkpoints() if cps is None else cps,
    )
    base.update(kw)
    return BundleReport(**base)


@pytest.fixture(scope="module")
def realistic() -> BundleReport:
    return bundle([
        document(1, "timestamped", HOSTILE, 1),
        document(2, "pending", "fattura-2026-014.pdf", 2, doc_type="credit_note"),
        document(3, "unsealed", "contratto Rossi S.r.l. (firmato).pdf", None, doc_type=None, key_fields={}),
    ])


def big(n: int) -> BundleReport:
    statuses = ["timestamped", "timestamped", "pending", "unsealed"]
    names = ["fattura-{}.pdf", "счёт-{}.pdf", "חשבונית {}.pdf", "請求書-{}.png", "contratto di fornitura {}.pdf"]
    docs = []
    for i in range(1, n + 1):
        status = statuses[i % len(statuses)]
        cp = {"timestamped": 1, "pending": 2}.get(status)
        docs.append(document(i, status, names[i % len(names)].format(i), cp))
    return bundle(docs, checkpoints(tree_size=n))


def section(html_text: str, number: int) -> str:
    """The <tbody> of document ``number`` in the documents table."""
    table = html_text.split('id="documents-table"', 1)[1].split("</table>", 1)[0]
    bodies = re.findall(r"<tbody[^>]*>.*?</tbody>", table, re.S)
    return bodies[number - 1]


def visible_text(html_text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text))


def reader_text(html_text: str) -> str:
    """The characters a reader sees (entities decoded, tags removed, nothing inserted)."""
    parser = _Tags()
    parser.feed(html_text)
    return "".join(parser.data)


# --------------------------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.data.append(data)


def test_html_escapes_hostile_names_and_runs_nothing(realistic):
    out = render_html(realistic)
    assert "<script" not in out.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out
    assert "&#x27;q&#x27;" in out
    assert "&amp;amp;" in out  # the name's own "&amp;" is text, not an entity
    assert "\u202e" not in out  # the bidi override is spelled out, not obeyed
    assert "⟨U+202E⟩" in out
    parser = _Tags()
    parser.feed(out)
    assert "script" not in parser.tags
    assert not [name for name, _ in parser.attrs if name.startswith("on")]
    assert HOSTILE.replace("\u202e", "⟨U+202E⟩") in reader_text(out)  # what a reader sees, exactly


def test_html_is_self_contained_and_prints_on_a4(realistic):
    out = render_html(realistic)
    assert out.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in out
    assert "default-src 'none'" in out  # a CSP that forbids scripts, should escaping ever fail
    for external in ("http://", "https://", "src=", "<link", "@import", "url(", "@font-face"):
        assert external not in out
    assert "@page { size: A4" in out and "@media print" in out


def test_html_contains_every_hash_status_and_the_story(realistic):
    out = render_html(realistic)
    text = visible_text(out)
    for doc in realistic.documents:
        assert doc.sha256 in out
        assert doc.folder in out
    assert realistic.seal_fingerprint.split(":")[0] in out
    for needle in ("avv.rossi@studio-01", "Ricorso per decreto ingiuntivo", "Studio Legale Bianchi",
                   "2026-11-24 09:15:02 UTC", "sigillo-bundle-20261124-7f3a9c", "How to check this bundle",
                   "sh verify.sh", "VERIFY.txt", "Not that a scan matches its paper original",
                   "Only a TSA time is trusted time", "Self-signed"):
        assert needle in text, needle
    assert "Time-stamped" in section(out, 1)
    assert "PENDING" in section(out, 2) and "No trusted time" in section(out, 2)
    assert "NOT SEALED" in section(out, 3)
    assert "Credit note" in section(out, 2) and "Type not recognised" in section(out, 3)
    assert "none extracted" in section(out, 3)


def test_local_tsa_is_never_called_qualified(realistic):
    out = render_html(realistic)
    assert "NOT a qualified" in out
    assert "<bdi>local TSA of this archive</bdi> — <span" in section(out, 1)
    assert "NOT a qualified time-stamp" in section(out, 1)
    assert "claims qualified" not in out
    assert "NOT a qualified electronic seal" in out
    # every mention of "qualified" is a denial, a hedge or the law's own words: never a claim
    allowed = ("NOT a qualified time-stamp", "NOT a qualified electronic seal", "or not qualified",
               "only qualified ones", "claim to be qualified holds only if", "for a qualified TSA")
    text = visible_text(out)
    for m in re.finditer(r"qualified", text):
        context = text[max(0, m.start() - 40) : m.end() + 40]
        assert any(a in context for a in allowed), context


def test_a_local_tsa_stays_not_qualified_even_if_its_token_claims_it(realistic):
    cps = [replace(checkpoints()[0], qualified_claim=True), checkpoints()[1]]
    out = render_html(replace(realistic, checkpoints=cps))
    assert "claims qualified" not in out
    assert "NOT a qualified time-stamp" in section(out, 1)
    # without the tsa_local flag, a label naming the local TSA is enough
    cps = [replace(checkpoints()[0], qualified_claim=True, tsa_local=None), checkpoints()[1]]
    assert "claims qualified" not in render_html(replace(realistic, checkpoints=cps))


def test_an_external_tsa_claim_is_reported_as_a_claim(realistic):
    external = ReportCheckpoint(1, 3, sha("cp1"), "timestamped", "2026-11-23T12:08:53Z", "InfoCert TSA", True,
                                tsa_local=False)
    doc = replace(realistic.documents[0], tsa_label="InfoCert TSA")
    out = render_html(replace(realistic, documents=[doc], checkpoints=[external]))
    assert "InfoCert TSA</bdi> — <span class=\"ok\">the token claims qualified status; confirm on the EU Trusted " \
           "List</span>" in section(out, 1)
    plain = replace(external, qualified_claim=False)
    out = render_html(replace(realistic, documents=[doc], checkpoints=[plain]))
    assert "InfoCert TSA — the token does not claim qualified status — NOT a qualified time-stamp" in reader_text(out)
    assert "claims qualified" not in out
    unknown = replace(external, qualified_claim=None)
    out = render_html(replace(realistic, documents=[doc], checkpoints=[unknown]))
    assert "InfoCert TSA — qualified status not recorded — treat as NOT a qualified time-stamp" in reader_text(out)


def test_the_label_names_the_tsa_and_the_report_alone_says_what_it_claims(realistic):
    for label, claim, said in [
        ("InfoCert TSA (claims qualified status: check the TSA on the EU Trusted List)", True,
         "InfoCert TSA — the token claims qualified status; confirm on the EU Trusted List"),
        ("FreeTSA (not qualified)", False,
         "FreeTSA — the token does not claim qualified status — NOT a qualified time-stamp"),
    ]:
        cp = ReportCheckpoint(1, 3, sha("cp1"), "timestamped", "2026-11-23T12:08:53Z", label, claim, tsa_local=False)
        out = reader_text(render_html(replace(realistic, checkpoints=[cp])))
        assert said in out
        assert label not in out


def test_a_ca_issued_seal_is_still_not_qualified(realistic):
    out = render_html(replace(realistic, seal_self_signed=False))
    assert "Issued by a certification authority" in out
    assert "NOT a qualified electronic seal" in out


def test_html_escapes_every_field_and_handles_rtl_and_non_latin_names():
    docs = [
        document(1, "timestamped", "חשבונית 17.pdf", 1),
        document(2, "timestamped", "فاتورة.pdf", 1),
        document(3, "timestamped", "счёт №7.pdf", 1),
        document(4, "timestamped", "請求書.png", 1),
        document(5, "timestamped", "line\nbreak\ttab\x00nul.pdf", 1,
                 key_fields={"invoice_number": "<b>1</b>", "iban": "IT60 X054 2811 1010 0000 0123 456"}),
    ]
    report = bundle(docs, reason="<img src=x onerror=alert(1)>", exported_by='"evil"@host',
                    seal_subject="CN=<i>x</i>", selection="invoice & <case>")
    out = render_html(report)
    for name in ("חשבונית 17.pdf", "فاتورة.pdf", "счёт №7.pdf", "請求書.png"):
        assert f'<bdi class="name" dir="ltr">{name}</bdi>' in out
    assert "line⟨U+000A⟩break⟨U+0009⟩tab⟨U+0000⟩nul.pdf" in reader_text(out)
    assert "&lt;b&gt;1&lt;/b&gt;" in out and "IBAN:" in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<img" not in out and "<i>" not in out and "<case>" not in out
    assert "&quot;evil&quot;@host" in out


def test_no_reason_is_said_plainly(realistic):
    assert "none given" in render_html(replace(realistic, reason=""))


# --------------------------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------------------------


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdftoppm(path: Path, out: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(out / "page")], check=True, capture_output=True)
    return sorted(out.glob("page-*.png"))


def write_pdf(tmp_path: Path, report: BundleReport, name: str = "REPORT.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(render_pdf(report))
    return path


def test_pdf_renders_with_pdftoppm_and_holds_every_hash(realistic, tmp_path):
    path = write_pdf(tmp_path, realistic)
    assert path.read_bytes().startswith(b"%PDF-")
    pages = len(PdfReader(path).pages)
    pngs = pdftoppm(path, tmp_path)
    assert len(pngs) == pages >= 1
    assert all(p.stat().st_size > 1000 for p in pngs)
    text = pdftotext(path)
    for doc in realistic.documents:
        assert doc.sha256 in text  # on one line, so that an expert can search for it
    for needle in ("Evidence bundle report", "sigillo-bundle-20261124-7f3a9c", "avv.rossi@studio-01",
                   "Ricorso per decreto ingiuntivo", "NOT a qualified time-stamp", "NOT SEALED", "PENDING",
                   "NOT a qualified electronic seal", "How to check this bundle", "sh verify.sh",
                   f"page 1 of {pages}", f"page {pages} of {pages}", "⟨U+202E⟩", '<script>alert("x")</script>'):
        assert needle in text, needle
    assert "claims qualified" not in text
    assert "\u202e" not in text


def test_pdf_is_deterministic_and_dated_by_the_export(realistic):
    first, second = render_pdf(realistic), render_pdf(realistic)
    assert first == second
    assert b"/CreationDate (D:20261124091502Z" in first
    later = render_pdf(replace(realistic, exported_at="2026-11-25T10:00:00Z"))
    assert b"/CreationDate (D:20261125100000Z" in later


@pytest.mark.parametrize("count", [0, 1])
def test_pdf_and_html_with_no_or_one_document(count, tmp_path):
    docs = [document(1, "timestamped", "fattura.pdf", 1)][:count]
    report = bundle(docs, [] if count == 0 else checkpoints(1))
    if count == 0:
        report = replace(report, tsa_root_fingerprints=[])
    if count == 0:
        assert "This bundle holds no documents." in render_html(report)
    path = write_pdf(tmp_path, report)
    assert len(pdftoppm(path, tmp_path)) == len(PdfReader(path).pages)
    text = pdftotext(path)
    assert f"2. Documents ({count})" in text
    if count:
        assert docs[0].sha256 in text
    else:
        assert "This bundle holds no documents." in text


def test_pdf_of_500_documents_is_fast_and_splits_the_table_cleanly(tmp_path):
    report = big(500)
    start = time.perf_counter()
    data = render_pdf(report)
    seconds = time.perf_counter() - start
    assert seconds < 5, f"{seconds:.2f} s for 500 documents"
    path = tmp_path / "REPORT.pdf"
    path.write_bytes(data)
    pages = len(PdfReader(path).pages)
    assert pages > 10
    assert len(pdftoppm(path, tmp_path)) == pages
    text = pdftotext(path)
    for doc in report.documents:
        assert doc.sha256 in text
    per_page = text.split("\f")[:pages]
    hashes = {doc.sha256 for doc in report.documents}
    rows = [len(set(re.findall(r"[0-9a-f]{64}", page)) & hashes) for page in per_page]
    assert sum(rows) == 500
    doc_pages = [i for i, n in enumerate(rows) if n]
    assert len(doc_pages) > 10
    for i in doc_pages:
        page = per_page[i]
        assert "Key fields (not sealed)" in page and "Seal and time-stamp" in page  # the header, repeated
        assert "sigillo-bundle-20261124-7f3a9c" in page  # the running header
        # no row is cut by a page break: each row's first line ("<type> · <size> bytes") is on its hash's page
        assert len(re.findall(r" · [0-9,]+ bytes", page)) == rows[i]
    for i, page in enumerate(per_page):
        assert f"page {i + 1} of {pages}" in page


def test_pdf_spells_out_what_its_font_cannot_show(tmp_path):
    report = bundle([document(1, "timestamped", "請求書.png", 1), document(2, "timestamped", "счёт №7.pdf", 1),
                     document(3, "timestamped", "חשבונית.pdf", 1)])
    text = pdftotext(write_pdf(tmp_path, report))
    assert "⟨U+8ACB⟩⟨U+6C42⟩⟨U+66F8⟩.png" in text.replace("\n", "")  # the name may wrap
    assert "счёт №7.pdf" in text
    assert "characters this PDF's font cannot show" in text


def test_pdf_without_dejavu_falls_back_to_core_fonts(realistic, tmp_path, monkeypatch):
    monkeypatch.setattr(report_mod, "FONT_DIRS", [])
    monkeypatch.setattr(report_mod.importlib.util, "find_spec", lambda name: None)
    path = write_pdf(tmp_path, replace(realistic, documents=[*realistic.documents,
                                                             document(4, "pending", "счёт.pdf", 2)]))
    assert len(pdftoppm(path, tmp_path)) == len(PdfReader(path).pages)
    text = pdftotext(path)
    for doc in realistic.documents:
        assert doc.sha256 in text
    assert "<U+0441><U+0447><U+0451><U+0442>.pdf" in text.replace("\n", "")
    assert "NOT a qualified time-stamp" in text


def test_extreme_input_stays_on_the_page(tmp_path):
    fields = {f"field_{i}": "9" * 1000 for i in range(50)}
    docs = [document(1, "timestamped", "\u202e" * 300, 1, key_fields=fields),
            document(2, "pending", "x" * 1000 + ".pdf", 2)]
    report = bundle(docs, reason="Ragione " * 1500, selection=" ".join(sha(str(i)) for i in range(500)))
    out = render_html(report)
    assert "more in fields.json" in out and "see document.json" in out and "External-Description" in out
    path = write_pdf(tmp_path, report)
    pages = len(PdfReader(path).pages)
    assert len(pdftoppm(path, tmp_path)) == pages
    text = pdftotext(path)
    assert all(doc.sha256 in text for doc in docs)
    assert f"page {pages} of {pages}" in text
