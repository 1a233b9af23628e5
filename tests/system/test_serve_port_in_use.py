"""`sco-bot serve` on an address in use says so in one line (issue 12)."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.unit.test_settings import cli


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    """Issue 12, item 8: "address already in use" printed a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "SCO_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        }
        result = cli(env, "serve", "--host", "127.0.0.1", "--port", str(port))

    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
