"""The repository's own layout rules: line widths per language, never two blank lines in a row."""
import subprocess

from conftest import REPO

WIDTHS = {".swift": 120, ".c": 100, ".h": 100, ".js": 100, ".py": 100}

def tracked_files():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [REPO / name for name in listed.splitlines() if (REPO / name).is_file()]

def test_lines_fit_their_language_width():
    too_long = []
    for path in tracked_files():
        width = WIDTHS.get(path.suffix)
        if width is None:
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if len(line) > width:
                too_long.append(f"{path.relative_to(REPO)}:{number}: {len(line)} > {width}")
    assert too_long == []

def test_never_two_blank_lines_in_a_row():
    doubled = []
    for path in tracked_files():
        if path.suffix not in WIDTHS and path.suffix not in (".md", ".yml", ".sh", ""):
            continue
        blank_run = 0
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            blank_run = blank_run + 1 if not line.strip() else 0
            if blank_run == 2:
                doubled.append(f"{path.relative_to(REPO)}:{number}")
    assert doubled == []
