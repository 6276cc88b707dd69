"""CLI refusals that cannot be staged with a real environment here (root can write anywhere)."""

from __future__ import annotations

import os

from lazyhook import _cli


def test_enable_refuses_a_read_only_site_packages_and_changes_nothing(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(_cli, "_environment", lambda: (str(tmp_path), str(site)))
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(site) else real_access(path, mode))
    assert _cli.main(["enable", "--lazy", "torch"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write to {site} (read-only site-packages); nothing was changed" in err
    assert list(site.iterdir()) == []


def test_enable_reports_a_failed_write_and_leaves_no_temporary_file(tmp_path, monkeypatch, capsys):
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.setattr(_cli, "_environment", lambda: (str(tmp_path), str(site)))

    def failing_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    assert _cli.main(["enable", "--lazy", "torch"]) == 1
    assert "cannot write" in capsys.readouterr().err
    assert list(site.iterdir()) == []


def test_disable_when_not_enabled_is_a_no_op(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_cli, "_environment", lambda: (str(tmp_path), str(tmp_path)))
    assert _cli.main(["disable"]) == 0
    assert "was not enabled" in capsys.readouterr().out
