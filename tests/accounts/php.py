"""PHP's own password functions, called through `php -r`, so tests compare with what the site does.

Passwords go to PHP on stdin, hashes in an environment variable: nothing secret is ever on a
command line. php-cli is required (`bash devstack/system-packages.sh test` installs it); without it the
tests fail, they do not skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

_READ_PASSWORD = '$password = stream_get_contents(STDIN); $hash = getenv("SITE_HASH");'


def php_binary() -> str:
    php = shutil.which("php")
    if php is None:
        pytest.fail(
            "php-cli is required for these tests: apt-get install php-cli (bash devstack/system-packages.sh test)."
        )
    return php


def php_run(code: str, *, password: str | bytes, stored_hash: str = "") -> str:
    """Run ``code`` after `$password` (from stdin) and `$hash` are set; returns what it echoes."""
    stdin = password.encode() if isinstance(password, str) else password
    result = subprocess.run(
        [php_binary(), "-r", _READ_PASSWORD + code],
        input=stdin,
        env={"PATH": os.environ.get("PATH", ""), "SITE_HASH": stored_hash},
        capture_output=True,
        check=False,
        timeout=30,
    )
    if result.returncode != 0:
        pytest.fail(f"php failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
    return result.stdout.decode()


def php_password_hash(password: str | bytes, *, cost: int | None = None) -> str:
    """password_hash() as the site calls it (PASSWORD_DEFAULT), or bcrypt at ``cost``."""
    if cost is None:
        return php_run("echo password_hash($password, PASSWORD_DEFAULT);", password=password)
    return php_run(f'echo password_hash($password, PASSWORD_BCRYPT, ["cost" => {int(cost)}]);', password=password)


def php_password_verify(password: str | bytes, stored_hash: str) -> bool:
    return (
        php_run("echo password_verify($password, $hash) ? 'yes' : 'no';", password=password, stored_hash=stored_hash)
        == "yes"
    )


def php_password_needs_rehash(stored_hash: str, *, cost: int = 10) -> bool:
    code = f'echo password_needs_rehash($hash, PASSWORD_BCRYPT, ["cost" => {int(cost)}]) ? "yes" : "no";'
    return php_run(code, password="", stored_hash=stored_hash) == "yes"


def php_md5(password: str | bytes) -> str:
    """md5() the way the site stored passwords before 2013."""
    return php_run("echo md5($password);", password=password)
