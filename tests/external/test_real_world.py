"""The real-world corpus (fixtures/real-world): specs other people wrote, kept with their
provenance and licences. Every spec is listed in provenance.tsv (file, repository, path, commit,
licence, URL) with the repository's licence texts under licenses/<owner>__<repo>/, and every
listed file is there. What they render to is checked by tests/golden.rs (real_world), by
kubernetes-validate and by the security scan."""

from __future__ import annotations

import csv

from conftest import FIXTURES

REAL_WORLD = FIXTURES / "real-world"
LICENCES = {"Apache-2.0", "MIT"}


def test_every_spec_has_its_provenance_and_licence():
    with open(REAL_WORLD / "provenance.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    listed = {row[0]: row for row in rows}
    assert len(listed) == len(rows), "a file is listed twice"
    present = sorted(p.name for p in REAL_WORLD.glob("*.yaml"))
    assert present == sorted(listed), "provenance.tsv and the files differ"
    assert len(present) >= 25, "the corpus is several dozen specs"
    for name, repo, path, commit, licence, url in rows:
        assert licence in LICENCES, f"{name}: licence {licence}"
        assert len(commit) == 40 and all(c in "0123456789abcdef" for c in commit), f"{name}: commit {commit}"
        assert url.startswith(f"https://github.com/{repo}/blob/{commit}/"), f"{name}: {url}"
        texts = REAL_WORLD / "licenses" / repo.replace("/", "__")
        assert any(texts.glob("LICENSE*")), f"{name}: no licence text in {texts}"
        assert name.startswith(repo.replace("/", "__") + "__"), f"{name} is not named after {repo}"
    readme = (REAL_WORLD / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in present), "README.md does not list every file"
