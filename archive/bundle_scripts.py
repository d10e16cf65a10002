# ruff: noqa: E501  (the shell script's messages are long lines on purpose: one line per check)
"""The two texts an evidence bundle carries for people without Sigillo: ``verify.sh`` and ``VERIFY.txt``.

``verify.sh`` is the same for every bundle of format version 1 (it walks the bag's folders), so that an expert can
compare it with a copy obtained elsewhere, or run that copy on the bag (``sh verify.sh BAG``). ``VERIFY.txt`` is
written for each bundle: the same steps in prose, with the exact commands for its own files.

Both follow docs/bundle-format.md. Every check in the script fails closed: a check is written as
``cmd || fail "…"`` (never ``cmd && echo OK``, which ``set -e`` does not stop; see the research notes, §7.5), a
failure stops the script with ``FAIL: <what, naming the file>``, and "ALL CHECKS PASSED" is printed only at the end.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["VERIFY_SH", "ScriptCheckpoint", "ScriptDocument", "VerifyTextInput", "verify_txt"]

VERIFY_SH = r"""#!/bin/sh
# verify.sh: check a Sigillo evidence bundle (format version 1) with stock tools only: no Sigillo needed.
#
#   sh verify.sh                 check the bundle this script is in
#   sh verify.sh BUNDLE_FOLDER   check another one (e.g. with a copy of this script you obtained yourself)
#   SEAL_CA=seal.pem TSA_CA=tsa-root.pem sh verify.sh BUNDLE_FOLDER
#                                trust these certificates (obtained independently) instead of the bundle's copies
#
# Needs a POSIX shell, sha256sum, openssl 3, python3 (3.8 or later, standard library only) and the usual sed,
# grep, awk, find, sort, comm, uniq, cut, tr, od, cmp, wc, ls, mktemp. The steps are those of VERIFY.txt and of
# docs/bundle-format.md (Sigillo's source): 1 fixity, 2 trust anchors, 3 checkpoints, 4 documents, 5 audit
# excerpt, 6 the bundle's own seal. Every check stops the script with "FAIL: <why>" naming the file; the last
# line is "ALL CHECKS PASSED" only when every check held. Exit status: 0 passed, 1 failed.
set -eu
LC_ALL=C
export LC_ALL

fail() {
  echo "FAIL: $*"
  echo "The bundle must NOT be relied on."
  exit 1
}

# split_pems FILE PREFIX: each certificate of a PEM file into PREFIX-1.pem, PREFIX-2.pem, ...
split_pems() {
  rm -f "$2"-*.pem
  awk -v prefix="$2" '/-----BEGIN CERTIFICATE-----/ { n++; f = prefix "-" n ".pem" } f { print > f } /-----END CERTIFICATE-----/ { close(f); f = "" }' "$1"
}

# check_copies FILE CARRIED TRUSTED: a certificate carried inside FILE (a signature or a token; the PEM file
# CARRIED) with the name and key of a trusted one (TRUSTED) must be that certificate, byte for byte: the
# certificates inside a CMS structure are not covered by its signature, and the bundle's seal files are covered by
# no manifest.
check_copies() {
  split_pems "$2" "$W/carried"
  split_pems "$3" "$W/trusted"
  for c in "$W"/carried-*.pem; do
    [ -f "$c" ] || continue
    c_id=$(openssl x509 -in "$c" -noout -subject -nameopt RFC2253 -pubkey 2>/dev/null) || fail "$1: it carries a damaged certificate"
    c_der=$(openssl x509 -in "$c" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
    for t in "$W"/trusted-*.pem; do
      [ -f "$t" ] || continue
      [ "$(openssl x509 -in "$t" -noout -subject -nameopt RFC2253 -pubkey 2>/dev/null)" = "$c_id" ] || continue
      [ "$(openssl x509 -in "$t" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$c_der" ] || fail "$1: it carries a copy of a trusted certificate that is not, byte for byte, the one in data/certificates/: the file was changed after it was made"
    done
  done
}

echo "Pin the trust anchors independently: compare the SHA-256 fingerprints below with those published by the archive's owner (seal) and by the time-stamping authority (TSA root), or run again with SEAL_CA=FILE TSA_CA=FILE naming copies you obtained yourself."

BAG=${1:-$(dirname -- "$0")}
cd -- "$BAG" 2>/dev/null || fail "cannot open the bundle folder $BAG"
for tool in sha256sum openssl python3 sed grep awk find sort comm uniq cut tr od cmp wc ls mktemp; do
  command -v "$tool" >/dev/null 2>&1 || fail "the tool '$tool' is not installed"
done
W=$(mktemp -d) || fail "cannot create a temporary folder"
trap 'rm -rf "$W"' EXIT
trap 'exit 1' HUP INT TERM

# -- 2. Trust anchors (printed first, as the first line says; checked in steps 3 and 6) ---------------------------------------------
: > "$W/seal-ca.pem"
: > "$W/tsa-ca.pem"
for f in data/certificates/*; do
  [ -f "$f" ] || continue
  name=${f#data/certificates/}
  case "$name" in
    seal-*.pem) kind="seal certificate"; want=${name#seal-}; out="$W/seal-ca.pem" ;;
    tsa-root-*.pem) kind="TSA root        "; want=${name#tsa-root-}; out="$W/tsa-ca.pem" ;;
    *) fail "$f: not a certificate file of this format (seal-<sha256>.pem or tsa-root-<sha256>.pem)" ;;
  esac
  want=${want%.pem}
  fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 2>/dev/null) || fail "$f: not a PEM certificate"
  fp=${fp#*=}
  hex=$(printf '%s' "$fp" | tr -d ':' | tr 'ABCDEF' 'abcdef')
  [ "$hex" = "$want" ] || fail "$f: its name does not match its SHA-256 fingerprint ($hex)"
  subject=$(openssl x509 -in "$f" -noout -subject -nameopt RFC2253 2>/dev/null) || fail "$f: unreadable subject"
  echo "  $kind  SHA-256 $fp  ${subject#subject=}  ($f)"
  cat "$f" >> "$out"
done
if [ -n "${SEAL_CA:-}" ]; then
  [ -f "$SEAL_CA" ] || fail "SEAL_CA=$SEAL_CA: no such file"
  echo "  trusting the seal certificate(s) in $SEAL_CA, not the bundle's copies"
else
  SEAL_CA="$W/seal-ca.pem"
fi
if [ -n "${TSA_CA:-}" ]; then
  [ -f "$TSA_CA" ] || fail "TSA_CA=$TSA_CA: no such file"
  echo "  trusting the TSA root(s) in $TSA_CA, not the bundle's copies"
else
  TSA_CA="$W/tsa-ca.pem"
fi

# -- 1. Fixity (BagIt, RFC 8493) ------------------------------------------------------------------------------
echo "1. Fixity: every file against the BagIt manifests"
printf 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n' > "$W/bagit.txt"
cmp -s "$W/bagit.txt" bagit.txt || fail "bagit.txt: missing, or not 'BagIt-Version: 1.0' and 'Tag-File-Character-Encoding: UTF-8'"
for m in bag-info.txt manifest-sha256.txt tagmanifest-sha256.txt; do
  [ -f "$m" ] || fail "$m is missing"
done
grep -qx 'Bundle-Format-Version: 1' bag-info.txt || fail "bag-info.txt: not 'Bundle-Format-Version: 1' (this script checks version 1)"
bad=$(grep -nEv '^[0-9a-f]{64}  data/[^/]' manifest-sha256.txt || true)
[ -z "$bad" ] || fail "manifest-sha256.txt: malformed line or a file outside data/: $(printf '%s' "$bad" | head -n 1)"
bad=$(grep -nEv '^[0-9a-f]{64}  [^/]' tagmanifest-sha256.txt | head -n 1 || true)
[ -z "$bad" ] || fail "tagmanifest-sha256.txt: malformed line: $bad"
cut -c67- manifest-sha256.txt > "$W/payload"
cut -c67- tagmanifest-sha256.txt > "$W/tags"
bad=$(grep -E '^data/|^tagmanifest-sha256\.txt' "$W/tags" | head -n 1 || true)
[ -z "$bad" ] || fail "tagmanifest-sha256.txt: it lists $bad, which a tag manifest must not list"
bad=$(cat "$W/payload" "$W/tags" | grep -E '(^|/)\.{1,2}(/|$)|//|\\|/$' | head -n 1 || true)
[ -z "$bad" ] || fail "a manifest names a path that is not plain: $bad"
bad=$(cat "$W/payload" "$W/tags" | sort | uniq -d | head -n 1)
[ -z "$bad" ] || fail "a manifest lists $bad twice"
sha256sum -c manifest-sha256.txt > "$W/out" 2>&1 || {
  grep -v ': OK$' "$W/out" | head -n 20 | sed 's/^/     | /'
  fail "manifest-sha256.txt: the files named above are missing or changed"
}
sha256sum -c tagmanifest-sha256.txt > "$W/out" 2>&1 || {
  grep -v ': OK$' "$W/out" | head -n 20 | sed 's/^/     | /'
  fail "tagmanifest-sha256.txt: the files named above are missing or changed"
}
bad=$(find . ! -type f ! -type d | head -n 1)
[ -z "$bad" ] || fail "$bad is not a regular file (links and devices are not allowed in a bundle)"
{ cat "$W/payload" "$W/tags"; printf '%s\n' tagmanifest-sha256.txt tagmanifest-sha256.txt.p7s tagmanifest-sha256.txt.tsr; } | sort > "$W/listed"
find . -type f | sed 's|^\./||' | sort > "$W/present"
bad=$(comm -13 "$W/listed" "$W/present" | head -n 1)
[ -z "$bad" ] || fail "$bad is in the bundle but in no manifest: a file was added"
oxum=$(sed -n 's/^Payload-Oxum: *\([0-9][0-9]*\.[0-9][0-9]*\) *$/\1/p' bag-info.txt)
[ -n "$oxum" ] || fail "bag-info.txt: no Payload-Oxum line"
actual=$(find data -type f -exec ls -ln {} + | awk '{ s += $5; n++ } END { printf "%.0f.%d", s, n }')
[ "$oxum" = "$actual" ] || fail "bag-info.txt: Payload-Oxum says $oxum (bytes.files), data/ holds $actual"
echo "   ok: $(wc -l < "$W/payload" | tr -d ' ') payload files and $(wc -l < "$W/tags" | tr -d ' ') tag files match; nothing unlisted; Payload-Oxum $oxum"
echo "2. Trust anchors: the fingerprints printed at the top (compare them with those you obtained independently)"
[ -s "$W/seal-ca.pem" ] || fail "data/certificates/ holds no seal certificate (seal-<sha256>.pem): it was removed"
[ -s "$W/tsa-ca.pem" ] || fail "data/certificates/ holds no TSA root (tsa-root-<sha256>.pem): it was removed"

archive=$(sed -n 's/^Sigillo-Archive-Id: *\([^ ]*\) *$/\1/p' bag-info.txt)
[ -n "$archive" ] || fail "bag-info.txt: no Sigillo-Archive-Id line"

# -- 3. Checkpoints: the archive's signature, the RFC 3161 timestamp, the chain of checkpoints -----------------
echo "3. Checkpoints: signature (openssl cms) and timestamp (openssl ts) over each checkpoint.txt"
[ -d data/checkpoints ] || fail "data/checkpoints/ is missing"
: > "$W/checkpoints"
prev_n=""
prev_sha=""
count_cp=0
for cp in data/checkpoints/*; do
  [ -d "$cp" ] || fail "data/checkpoints/ holds no checkpoint folder"
  f="$cp/checkpoint.txt"
  [ -f "$f" ] || fail "$f is missing"
  for x in "$cp"/*; do
    case "$x" in "$f"|"$f.p7s"|"$f.tsr") ;; *) fail "$x: a file this format does not know" ;; esac
  done
  n=$(sed -n 's/^checkpoint \([1-9][0-9]*\)$/\1/p' "$f")
  [ -n "$n" ] || fail "$f: no 'checkpoint <n>' line"
  [ "${cp#data/checkpoints/}" = "$(printf '%06d' "$n")" ] || fail "$cp: the folder is not named after checkpoint $n"
  [ "$(sed -n 1p "$f")" = "sigillo/$archive" ] || fail "$f: it is not a checkpoint of archive $archive"
  [ -f "$f.p7s" ] || fail "$f.p7s is missing: checkpoint $n is not signed"
  openssl cms -verify -binary -inform DER -in "$f.p7s" -content "$f" -CAfile "$SEAL_CA" -no-CApath -no-CAstore \
      -partial_chain -purpose any -out /dev/null > "$W/out" 2>&1 || {
    tail -n 3 "$W/out" | sed 's/^/     | /'
    fail "$f.p7s: the archive's signature over $f does not verify (the checkpoint or its signature was changed, or it is not signed by the pinned seal certificate)"
  }
  [ -f "$f.tsr" ] || fail "$f.tsr is missing: checkpoint $n had no timestamp when the bundle was exported (pending), so nothing proves when it existed"
  openssl ts -verify -data "$f" -in "$f.tsr" -CAfile "$TSA_CA" > "$W/out" 2>&1 || {
    tail -n 3 "$W/out" | sed 's/^/     | /'
    fail "$f.tsr: the timestamp over $f does not verify (the checkpoint or the token was changed, or the token is not from the pinned TSA)"
  }
  grep -qx 'Verification: OK' "$W/out" || fail "$f.tsr: openssl ts did not say 'Verification: OK'"
  gen=$(openssl ts -reply -in "$f.tsr" -text 2>/dev/null | sed -n 's/^Time stamp: //p')
  size=$(sed -n 2p "$f")
  case "$size" in ''|*[!0-9]*) fail "$f: line 2 is not a tree size" ;; esac
  root=$(sed -n 3p "$f" | openssl base64 -d -A 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
  [ ${#root} -eq 64 ] || fail "$f: line 3 is not a base64 SHA-256 root"
  sha=$(sha256sum < "$f" | cut -d' ' -f1)
  if [ -n "$prev_n" ] && [ "$n" -eq $((prev_n + 1)) ]; then
    [ "$(sed -n 's/^prev-checkpoint-sha256 //p' "$f")" = "$prev_sha" ] || fail "$f: it does not name the SHA-256 of checkpoint $prev_n's checkpoint.txt, the one before it"
  fi
  echo "$n $size $root" >> "$W/checkpoints"
  echo "   ok: checkpoint $n: signed by the archive, timestamped $gen, $size document(s) under root $root"
  prev_n=$n
  prev_sha=$sha
  count_cp=$((count_cp + 1))
done

# -- 4. Documents: original against seal record, seal record in its checkpoint's Merkle tree ------------------
echo "4. Documents: each original against its seal record, each seal record in its checkpoint (tools/merkle.py)"
[ -d data/documents ] || fail "data/documents/ is missing"
[ -f tools/merkle.py ] || fail "tools/merkle.py is missing"
count_doc=0
for d in data/documents/*; do
  [ -d "$d" ] || fail "data/documents/ holds no document folder"
  [ -f "$d/document.json" ] || fail "$d/document.json is missing"
  n=$(sed -n 's/^ *"checkpoint": *\([1-9][0-9]*\),\{0,1\} *$/\1/p' "$d/document.json")
  [ -n "$n" ] || fail "$d/document.json: it names no checkpoint: the document was not sealed when the bundle was exported, so nothing ties it to a signed, timestamped checkpoint"
  for part in seal-record.json inclusion-proof.txt fields.json text.txt; do
    [ -f "$d/$part" ] || fail "$d/$part is missing"
  done
  [ -d "$d/original" ] || fail "$d/original/ is missing"
  ls -A "$d" > "$W/entries"
  while IFS= read -r x; do
    case "$x" in
      seal-record.json|inclusion-proof.txt|document.json|fields.json|text.txt|original) ;;
      *) fail "$d/$x: a file this format does not know" ;;
    esac
  done < "$W/entries"
  name=$(sed -n 's/^ *"file": "original\/\(.*\)",\{0,1\} *$/\1/p' "$d/document.json")
  [ -n "$name" ] || fail "$d/document.json: it names no original file"
  [ -f "$d/original/$name" ] || fail "$d/original/$name is missing (document.json names it): the original was removed or renamed"
  ls -A "$d/original" > "$W/entries"
  [ "$(wc -l < "$W/entries" | tr -d ' ')" = 1 ] || fail "$d/original/ must hold exactly one file; it holds: $(sed "s|^|$d/original/|" "$W/entries" | tr '\n' ' ')"
  orig="$d/original/$(cat "$W/entries")"
  [ -f "$orig" ] || fail "$orig is not a regular file"
  rec="$d/seal-record.json"
  want=$(grep -o '"sha256":"[0-9a-f]*"' "$rec" | cut -d'"' -f4)
  got=$(sha256sum < "$orig" | cut -d' ' -f1)
  [ "$got" = "$want" ] || fail "$orig: its SHA-256 is $got but its seal record says ${want:-nothing}: the original was changed or replaced"
  want=$(grep -o '"size":[0-9]*' "$rec" | cut -d: -f2)
  got_size=$(wc -c < "$orig" | tr -d ' ')
  [ "$got_size" = "$want" ] || fail "$orig: it has $got_size bytes but its seal record says ${want:-nothing}"
  [ "$(grep -o '"doc_id":"[0-9a-f]*"' "$rec" | cut -d'"' -f4)" = "$got" ] || fail "$rec: its doc_id is not the original's SHA-256"
  [ "$(grep -o '"archive":"[^"]*"' "$rec" | cut -d'"' -f4)" = "$archive" ] || fail "$rec: it names another archive than $archive"
  case "${d#data/documents/}" in
    [0-9]*-"$(printf '%s' "$got" | cut -c1-12)") ;;
    *) fail "$d: the folder is not named <number>-<first 12 digits of the original's SHA-256>" ;;
  esac
  line=$(grep "^$n " "$W/checkpoints") || fail "$d/document.json: it names checkpoint $n, which is not in data/checkpoints/"
  set -- $line
  python3 tools/merkle.py verify "$rec" "$d/inclusion-proof.txt" --root "$3" --tree-size "$2" > "$W/out" 2>&1 || {
    sed 's/^/     | /' "$W/out"
    fail "$d/inclusion-proof.txt: the seal record $rec is not in checkpoint $n's Merkle tree"
  }
  echo "   ok: ${d#data/documents/}: $(ls -A "$d/original") matches its seal record, which is in checkpoint $n"
  count_doc=$((count_doc + 1))
done
want=$(sed -n 's/^Document-Count: *\([0-9]*\) *$/\1/p' bag-info.txt)
[ "$want" = "$count_doc" ] || fail "bag-info.txt: Document-Count says ${want:-nothing}, data/documents/ holds $count_doc"

# -- 5. The audit excerpt against the audit head a checkpoint commits to --------------------------------------
echo "5. Audit excerpt: entries and chain against the audit head of a checkpoint (tools/chain.py)"
for x in head.txt chain.txt entries.jsonl; do
  [ -f "data/audit/$x" ] || fail "data/audit/$x is missing"
done
for x in data/audit/*; do
  case "$x" in data/audit/head.txt|data/audit/chain.txt|data/audit/entries.jsonl) ;; *) fail "$x: a file this format does not know" ;; esac
done
[ -f tools/chain.py ] || fail "tools/chain.py is missing"
head=$(cat data/audit/head.txt)
case "$head" in
  *"
"*) fail "data/audit/head.txt: more than one line" ;;
esac
set -- $head
[ $# -eq 3 ] || fail "data/audit/head.txt: not '<checkpoint> <seq> <chain value>'"
case "$1$2" in ''|*[!0-9]*) fail "data/audit/head.txt: not '<checkpoint> <seq> <chain value>'" ;; esac
grep -q "^$1 " "$W/checkpoints" || fail "data/audit/head.txt: it names checkpoint $1, which is not in data/checkpoints/"
f="data/checkpoints/$(printf '%06d' "$1")/checkpoint.txt"
grep -qx "audit-head $2 $3" "$f" || fail "data/audit/head.txt: $f does not commit to audit entry $2 with chain value $3"
python3 tools/chain.py verify data/audit/chain.txt data/audit/entries.jsonl --head "$2" "$3" > "$W/out" 2>&1 || {
  sed 's/^/     | /' "$W/out"
  fail "data/audit/chain.txt or data/audit/entries.jsonl: the audit excerpt does not lead to the head checkpoint $1 commits to"
}
entries=$(grep -c . data/audit/entries.jsonl || true)
echo "   ok: $entries audit entries, unchanged and in order, under the audit head of checkpoint $1 (entry $2)"

# -- 6. The bundle's own seal: the archive's signature and a timestamp over the tag manifest --------------------
echo "6. The bundle's seal: signature and timestamp over tagmanifest-sha256.txt (and so over every file listed)"
[ -f tagmanifest-sha256.txt.p7s ] || fail "tagmanifest-sha256.txt.p7s is missing: the bundle is not sealed by the archive"
openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s -content tagmanifest-sha256.txt \
    -CAfile "$SEAL_CA" -no-CApath -no-CAstore -partial_chain -purpose any -out /dev/null > "$W/out" 2>&1 || {
  tail -n 3 "$W/out" | sed 's/^/     | /'
  fail "tagmanifest-sha256.txt.p7s: the archive's signature over the tag manifest does not verify: a file of the bundle was changed, added, removed or renamed after export (and the manifests recomputed), or the signature is not by the pinned seal certificate"
}
openssl pkcs7 -inform DER -in tagmanifest-sha256.txt.p7s -print_certs -out "$W/carried.pem" 2>/dev/null || fail "tagmanifest-sha256.txt.p7s: its certificates cannot be read"
check_copies tagmanifest-sha256.txt.p7s "$W/carried.pem" "$SEAL_CA"
[ -f tagmanifest-sha256.txt.tsr ] || fail "tagmanifest-sha256.txt.tsr is missing: the bundle was not timestamped when it was exported"
openssl ts -verify -data tagmanifest-sha256.txt -in tagmanifest-sha256.txt.tsr -CAfile "$TSA_CA" > "$W/out" 2>&1 || {
  tail -n 3 "$W/out" | sed 's/^/     | /'
  fail "tagmanifest-sha256.txt.tsr: the timestamp over the tag manifest does not verify"
}
grep -qx 'Verification: OK' "$W/out" || fail "tagmanifest-sha256.txt.tsr: openssl ts did not say 'Verification: OK'"
openssl ts -reply -in tagmanifest-sha256.txt.tsr -token_out -out "$W/token.der" 2>/dev/null || fail "tagmanifest-sha256.txt.tsr: its token cannot be read"
openssl pkcs7 -inform DER -in "$W/token.der" -print_certs -out "$W/carried.pem" 2>/dev/null || fail "tagmanifest-sha256.txt.tsr: its certificates cannot be read"
check_copies tagmanifest-sha256.txt.tsr "$W/carried.pem" "$TSA_CA"
gen=$(openssl ts -reply -in tagmanifest-sha256.txt.tsr -text 2>/dev/null | sed -n 's/^Time stamp: //p')
echo "   ok: the bundle was sealed by the archive and timestamped $gen"

echo "ALL CHECKS PASSED: $count_doc document(s), $count_cp checkpoint(s), $entries audit entries, the bundle's own seal. This holds only as far as the fingerprints printed at the top are the ones you pinned."
"""


@dataclass(frozen=True)
class ScriptDocument:
    """What VERIFY.txt names for one document."""

    folder: str  # data/documents/001-3fa1c2d4e5f6
    original: str  # data/documents/001-…/original/<name>
    file_name: str
    checkpoint: int | None


@dataclass(frozen=True)
class ScriptCheckpoint:
    folder: str  # data/checkpoints/000003
    number: int
    timestamped: bool
    seal_cert: str  # data/certificates/seal-<hex>.pem that signed it
    tsa_root: str | None  # data/certificates/tsa-root-<hex>.pem that its token chains to


@dataclass
class VerifyTextInput:
    bundle_id: str
    archive_name: str
    archive_id: str
    exported_at: str
    seal_cert: str  # the file that signed the bundle itself
    tsa_root: str | None  # the root of the bundle's own timestamp, when known before it is asked for
    tsa_roots: list[str]  # every TSA root in the bundle
    certificates: list[str]
    documents: list[ScriptDocument]
    checkpoints: list[ScriptCheckpoint]
    head_checkpoint: int | None
    audit_entries: int
    unproven_entries: int
    problems: list[str] = field(default_factory=list)


def _q(path: str) -> str:
    return shlex.quote(path)


def _root_of(folder: str) -> str:
    cp = _q(f"{folder}/checkpoint.txt")
    return f"$(sed -n 3p {cp} | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \\n')"


def _wrap(text: str, width: int = 100, indent: str = "") -> str:
    import textwrap

    return "\n".join(
        textwrap.fill(par, width=width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)
        for par in text.split("\n")
    )


def _cmd(*lines: str) -> str:
    """A command block: the first line after '    $ ', continuations indented to match."""
    out = [f"    $ {lines[0]}"]
    out += [f"        {line}" for line in lines[1:]]
    return "\n".join(out)


def verify_txt(info: VerifyTextInput) -> str:
    """VERIFY.txt for one bundle: prose for a court expert, and the exact commands for its files."""
    p: list[str] = []

    def para(text: str) -> None:
        p.append(_wrap(text))
        p.append("")

    def cmds(*blocks: str | Sequence[str]) -> None:
        for block in blocks:
            p.append(_cmd(block) if isinstance(block, str) else _cmd(*block))
        p.append("")

    def heading(text: str) -> None:
        p.append(text)
        p.append("=" * len(text))
        p.append("")

    heading(f"How to check this evidence bundle without Sigillo (bundle {info.bundle_id})")
    para(
        f"This folder is an evidence bundle exported on {info.exported_at} (UTC) from the Sigillo archive "
        f"\"{info.archive_name}\" (archive id {info.archive_id}). It holds {len(info.documents)} document(s), "
        "each exactly as the archive received it, and everything needed to prove that they have not changed since "
        "they were sealed and that they existed at the time a time-stamping authority (TSA) states. This file "
        "says how to check that with standard tools only; REPORT.pdf says what the bundle holds, in plain words; "
        "docs/bundle-format.md in Sigillo's source describes the format for anyone who wants to write their own "
        "verifier."
    )
    para(
        "You need: a POSIX shell (Linux, macOS, WSL), sha256sum, openssl (version 3), python3 (3.8 or later, "
        "no extra modules) and the usual text tools (sed, grep, awk, od). Run every command from this folder "
        "(cd into it first). Each command below either prints what you must compare, or checks it and prints "
        "OK; any other outcome (a non-zero exit status, FAIL, 'Verification: FAILED') means the bundle must NOT "
        "be relied on."
    )
    para(
        "All the steps at once: `sh verify.sh` runs every check below and stops at the first one that fails, "
        "naming the file; it ends with ALL CHECKS PASSED only when everything held. The script is short and "
        "readable: read it, or better, run a copy you obtained yourself (from Sigillo's source or from another "
        "bundle) with this folder as its argument: `sh /path/to/your/verify.sh .`. Likewise tools/merkle.py and "
        "tools/chain.py are short standard-library Python programs shipped as source for you to read."
    )
    if info.problems:
        heading("Known problems when this bundle was exported")
        for problem in info.problems:
            p.append(_wrap(problem, indent="  - ").replace("  - ", "  - ", 1))
        p.append("")
        para("verify.sh reports each of these as a failure: the evidence they concern is not complete.")

    heading("Step 1. Fixity: every file is listed in the BagIt manifests, unchanged")
    para(
        "The bundle is a BagIt 1.0 bag (RFC 8493). manifest-sha256.txt lists the SHA-256 of every file under "
        "data/, tagmanifest-sha256.txt that of every other file (except itself and its .p7s and .tsr, see step "
        "6). The first two commands must print 'OK' for every line. The third lists any file present but "
        "in no manifest (it must print nothing); the fourth compares the Payload-Oxum that bag-info.txt states "
        "(bytes.files of data/) with the one counted. This step detects accidents; the next steps detect "
        "forgery."
    )
    cmds(
        "sha256sum -c manifest-sha256.txt",
        "sha256sum -c tagmanifest-sha256.txt",
        ("{ cut -c67- manifest-sha256.txt tagmanifest-sha256.txt; printf '%s\\n' tagmanifest-sha256.txt \\",
         "tagmanifest-sha256.txt.p7s tagmanifest-sha256.txt.tsr; echo ===; find . -type f; } \\",
         "| awk '$0 == \"===\" { f = 1; next } !f { listed[\"./\" $0] = 1; next } "
         "!($0 in listed) { print \"NOT IN ANY MANIFEST: \" $0; bad = 1 } END { exit bad }'"),
        ("test \"$(sed -n 's/^Payload-Oxum: //p' bag-info.txt)\" = \\",
         "\"$(find data -type f -exec ls -ln {} + | awk '{ s += $5; n++ } END { printf \"%.0f.%d\", s, n }')\" \\",
         "&& echo 'OK: Payload-Oxum matches data/'"),
    )

    heading("Step 2. Trust anchors: pin them independently")
    para(
        "Everything below rests on two kinds of certificates: the archive's seal certificate (it signs the "
        "checkpoints and the bundle) and the TSA's root certificate (it vouches for the time-stamps). "
        "The copies in data/certificates/ are for convenience only: someone who forged the bundle would put "
        "their own there. Print their SHA-256 fingerprints and compare them with fingerprints obtained "
        "independently: the seal certificate's from the archive's owner (published, or stated in writing); "
        "the TSA root's from the TSA itself or, for a qualified TSA, the EU Trusted List. If you have your own "
        "copies, use them instead of the bundle's in every -CAfile below (verify.sh: SEAL_CA=FILE TSA_CA=FILE)."
    )
    cmds(*[f"openssl x509 -in {_q(c)} -noout -subject -fingerprint -sha256" for c in info.certificates])

    heading("Step 3. Each checkpoint: the archive's signature and the TSA's time-stamp")
    para(
        "A checkpoint (checkpoint.txt) is a short text naming the root of a Merkle tree over the seal records of "
        "the documents sealed together (line 3, base64), how many there are (line 2), the previous checkpoint's "
        "SHA-256 and the head of the archive's audit log. checkpoint.txt.p7s is the archive's detached CMS "
        "signature over it; checkpoint.txt.tsr the RFC 3161 time-stamp response over it. 'openssl cms' must say "
        "'CMS Verification successful' and 'openssl ts' 'Verification: OK'; the last command of each group prints "
        "the time-stamp ('Time stamp:' is the trusted time at which the checkpoint, and every document under it, "
        "existed). Once the TSA's certificate has expired, add -attime <that time as seconds since 1970>."
    )
    for cp in info.checkpoints:
        f = f"{cp.folder}/checkpoint.txt"
        p.append(f"Checkpoint {cp.number} ({cp.folder}):")
        p.append("")
        group: list[str | Sequence[str]] = [
            (f"openssl cms -verify -binary -inform DER -in {_q(f + '.p7s')} -content {_q(f)} \\",
             f"-CAfile {_q(cp.seal_cert)} -no-CApath -no-CAstore -partial_chain -purpose any -out /dev/null"),
        ]
        if cp.timestamped and cp.tsa_root:
            group += [
                f"openssl ts -verify -data {_q(f)} -in {_q(f + '.tsr')} -CAfile {_q(cp.tsa_root)}",
                f"openssl ts -reply -in {_q(f + '.tsr')} -text",
            ]
            cmds(*group)
        else:
            cmds(*group)
            para(f"Checkpoint {cp.number} had NO time-stamp when this bundle was exported (it was pending): nothing "
                 "proves when it existed. verify.sh fails on it.")
    para(
        "Consecutive checkpoints are chained: line 7 of checkpoint n (prev-checkpoint-sha256) must be the SHA-256 "
        "of checkpoint n-1's checkpoint.txt, where both are in the bundle:"
    )
    numbers = {cp.number: cp for cp in info.checkpoints}
    chained = [(numbers[n - 1], numbers[n]) for n in sorted(numbers) if n - 1 in numbers]
    if chained:
        cmds(*[
            (f"test \"$(sed -n 's/^prev-checkpoint-sha256 //p' {_q(b.folder + '/checkpoint.txt')})\" = "
             f"\"$(sha256sum < {_q(a.folder + '/checkpoint.txt')} | cut -d' ' -f1)\" \\",
             f"&& echo 'OK: checkpoint {b.number} names checkpoint {a.number}'")
            for a, b in chained
        ])
    else:
        para("(No two checkpoints of this bundle are consecutive: there is nothing to compare here.)")

    heading("Step 4. Each document: its original against its seal record, the seal record in its checkpoint")
    para(
        "Each data/documents/<n>-<id>/ holds the original (original/<file name>, bit-exact), its seal record "
        "(seal-record.json: the exact bytes the archive sealed, naming the original's SHA-256 and size) and its "
        "inclusion proof (inclusion-proof.txt). The first command checks that the original has the SHA-256 and "
        "size its seal record names (it prints OK); the second that the seal record is a leaf of the Merkle tree "
        "whose root and size are those of the checkpoint that document.json names (tools/merkle.py prints OK). "
        "The root and size are read from checkpoint.txt itself, whose signature and time-stamp step 3 checked: "
        "that is what ties each document to the trusted time. The other files (document.json, fields.json, "
        "text.txt) are the archive's description of the document and the text it read from it: useful, but "
        "not evidence; step 6 shows they were not changed after export."
    )
    for doc in info.documents:
        rec = _q(f"{doc.folder}/seal-record.json")
        orig = _q(doc.original)
        p.append(f"{doc.folder} ({doc.file_name}):")
        p.append("")
        check = [
            (f"grep -q \"\\\"sha256\\\":\\\"$(sha256sum < {orig} | cut -d' ' -f1)\\\"\" {rec} \\",
             f"&& grep -q \"\\\"size\\\":$(wc -c < {orig} | tr -d ' '),\" {rec} \\",
             "&& echo 'OK: the original has the SHA-256 and size its seal record names'"),
        ]
        if doc.checkpoint is not None:
            cp_folder = numbers[doc.checkpoint].folder if doc.checkpoint in numbers else ""
            check.append((
                f"python3 tools/merkle.py verify {rec} {_q(doc.folder + '/inclusion-proof.txt')} \\",
                f"--root \"{_root_of(cp_folder)}\" \\",
                f"--tree-size \"$(sed -n 2p {_q(cp_folder + '/checkpoint.txt')})\"",
            ))
            cmds(*check)
        else:
            cmds(*check)
            para("This document was NOT sealed when the bundle was exported: nothing ties it to a signed, "
                 "time-stamped checkpoint. verify.sh fails on it.")

    heading("Step 5. The audit excerpt: what the archive recorded about these documents")
    if info.head_checkpoint is not None:
        para(
            f"data/audit/entries.jsonl holds the {info.audit_entries} entries of the archive's audit log that "
            "concern these documents (ingest, views, downloads, corrections, seals, earlier exports), each as the "
            "exact text that was hashed. data/audit/chain.txt links them to the log's head that a checkpoint "
            "commits to, with every other entry shown only as its hash (so nothing about other documents is "
            "revealed). data/audit/head.txt names that checkpoint, the entry and the chain value. The first "
            "command checks that the checkpoint (verified in step 3) commits to exactly that head; the second "
            "that the entries, unchanged and in order, lead to it."
        )
        head_cp = numbers.get(info.head_checkpoint)
        folder = head_cp.folder if head_cp else f"data/checkpoints/{info.head_checkpoint:06d}"
        cmds(
            (f"grep -qx \"audit-head $(cut -d' ' -f2,3 data/audit/head.txt)\" {_q(folder + '/checkpoint.txt')} \\",
             f"&& echo 'OK: checkpoint {info.head_checkpoint} commits to the head in data/audit/head.txt'"),
            ("python3 tools/chain.py verify data/audit/chain.txt data/audit/entries.jsonl \\",
             "--head $(cut -d' ' -f2,3 data/audit/head.txt)"),
        )
        if info.unproven_entries:
            para(
                f"{info.unproven_entries} later entr{'y' if info.unproven_entries == 1 else 'ies'} about these "
                "documents came after the newest checkpoint, so no signed checkpoint covers "
                f"{'it' if info.unproven_entries == 1 else 'them'} yet; "
                f"{'it is' if info.unproven_entries == 1 else 'they are'} left out of the excerpt."
            )
    else:
        para("No checkpoint of the archive commits to its audit log: the bundle holds no audit excerpt that can "
             "be proven. verify.sh fails on it.")

    heading("Step 6. The bundle's own seal")
    para(
        "When the bundle was exported, the archive signed tagmanifest-sha256.txt (tagmanifest-sha256.txt.p7s) "
        "and had it time-stamped (tagmanifest-sha256.txt.tsr). The tag manifest holds the SHA-256 of every file "
        "outside data/ and of manifest-sha256.txt, which holds that of every file in data/: so this signature "
        "covers every file of the bundle. If anything was changed, added, removed or renamed after export, "
        "even with the manifests recomputed, this step fails."
    )
    group = [
        ("openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s -content tagmanifest-sha256.txt \\",
         f"-CAfile {_q(info.seal_cert)} -no-CApath -no-CAstore -partial_chain -purpose any -out /dev/null"),
    ]
    if info.tsa_root:
        group.append(
            f"openssl ts -verify -data tagmanifest-sha256.txt -in tagmanifest-sha256.txt.tsr -CAfile {_q(info.tsa_root)}")
    else:  # an external TSA with several pinned roots: the token chains to one of them
        group.append((
            "for root in data/certificates/tsa-root-*.pem; do openssl ts -verify -data tagmanifest-sha256.txt \\",
            "-in tagmanifest-sha256.txt.tsr -CAfile \"$root\" && break; done"))
    group.append("openssl ts -reply -in tagmanifest-sha256.txt.tsr -text")
    cmds(*group)

    heading("What this bundle does not prove")
    para(
        "That a scan is a faithful copy of its paper original; that the archive's own clock was right (only the "
        "TSA's time is trusted, and only as far as that TSA is: a local TSA of the archive is NOT a qualified "
        "trust service under eIDAS and proves no time against the archive's operator); that the archive holds "
        "nothing else about these parties. The extracted text and fields are aids, not evidence. REPORT.pdf says "
        "which TSA time-stamped each checkpoint and whether it is qualified or local."
    )
    return "\n".join(p).rstrip("\n") + "\n"
