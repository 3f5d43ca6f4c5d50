"""Report folders do not pile up: the newest --keep-reports N stay, and nothing that is not ours goes."""

from __future__ import annotations

from pathlib import Path

from conformance.reporting.retention import prune_reports


def run_folder(reports: Path, name: str) -> Path:
    folder = reports / name
    folder.mkdir()
    (folder / "results.json").write_text("{}", encoding="utf-8")
    return folder


def test_only_the_newest_run_folders_are_kept(tmp_path: Path) -> None:
    names = [f"2026113{day}T120000Z-0" for day in range(5)]
    for name in names:
        run_folder(tmp_path, name)
    run_folder(tmp_path, "latest")
    removed = prune_reports(tmp_path, keep=2)
    assert sorted(path.name for path in removed) == names[:3]
    assert sorted(path.name for path in tmp_path.iterdir()) == [*names[3:], "latest"]


def test_folders_that_are_not_run_reports_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "20261101T120000Z-0").mkdir()  # a run id without results.json: not ours to judge
    (tmp_path / "my-notes").mkdir()
    run_folder(tmp_path, "20261130T120000Z-0")
    assert prune_reports(tmp_path, keep=1) == []
    assert len(list(tmp_path.iterdir())) == 3


def test_zero_keeps_every_run(tmp_path: Path) -> None:
    for day in range(3):
        run_folder(tmp_path, f"2026113{day}T120000Z-0")
    assert prune_reports(tmp_path, keep=0) == []
    assert len(list(tmp_path.iterdir())) == 3
