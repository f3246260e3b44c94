"""`warden token` refuses what the services would refuse, in one line and without a traceback."""

import subprocess
import sys

import pytest

from shared.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--role", "admin", "--sub", "x"], "unknown role 'admin'; expected one of system, "),
        (["--role", "police_liaison", "--sub", "p"], "a police_liaison token needs a police_unit"),
        (["--role", "teller", "--sub", ""], "sub must be a non-empty string"),
    ],
)
def test_a_bad_token_request_is_one_clear_line_and_exit_2(argv, message, capsys):
    assert main(["token", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"warden token: {message}")
    assert len(captured.err.splitlines()) == 1


def test_the_installed_command_prints_no_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "token", "--role", "root", "--sub", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "warden token: unknown role 'root'" in done.stderr
