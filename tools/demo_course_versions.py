"""Write app/courses/demo/shipped-versions.json: the SHA-256 of every version of each demo lesson and
resource ever committed (as the loader stores it: stripped, one final newline), from git history.

`flask seed-demo` on a database that already has the demo course replaces a lesson or resource body only
when it still equals one of these shipped versions, so a fix reaches untouched content and a practitioner's
own edits are never overwritten. Run after changing any file under app/courses/demo/ (a test checks that
every current file's hash is listed):

    .venv/bin/python tools/demo_course_versions.py
"""
from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = Path("app/courses/demo")
OUT = ROOT / DEMO / "shipped-versions.json"


def body_hash(text: str) -> str:
    return hashlib.sha256((text.strip() + "\n").encode("utf-8")).hexdigest()


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def main() -> None:
    versions: dict[str, list[str]] = {}
    for path in sorted((ROOT / DEMO).rglob("*.md")):
        relative = path.relative_to(ROOT / DEMO).as_posix()
        repo_path = (DEMO / relative).as_posix()
        hashes = {body_hash(path.read_text(encoding="utf-8"))}
        for commit in _git("log", "--format=%H", "--follow", "--", repo_path).split():
            try:
                hashes.add(body_hash(_git("show", f"{commit}:{repo_path}")))
            except subprocess.CalledProcessError:  # the commit that deleted or renamed it
                continue
        versions[relative] = sorted(hashes)
    OUT.write_text(json.dumps(versions, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{sum(len(v) for v in versions.values())} versions of {len(versions)} files -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
