"""One scrubber at every sink: environment secrets of any length and name, OAuth tokens
obtained at run time; run store, transcripts, logs and the terminal."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from reelcrew import redaction
from reelcrew.redaction import is_secret_name, register_secret, scrub, scrub_obj
from secrets_search import find_secrets

SHORT4 = "k4Zq"
SEVEN = "s7Vx9Lm"
LONG200 = ("A1b2C3d4E5" * 20)


@pytest.fixture
def secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("VENDOR_PASSPHRASE", SHORT4)
    monkeypatch.setenv("DB_PASSWD", SEVEN)
    monkeypatch.setenv("TIKTOK_SESSION", LONG200)
    return [SHORT4, SEVEN, LONG200]


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "MY_PASSPHRASE", "ROOT_PASSWD", "TIKTOK_SESSION", "DB_PWD",
                                  "X_AUTHORIZATION", "GITHUB_AUTH_TOKEN", "SOME_CREDENTIALS", "URL_SIG"])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["PWD", "OLDPWD", "AUTHOR", "GIT_AUTHOR_NAME", "HOME", "DESIGN", "SIGNAL_LEVEL"])
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_pwd_is_not_masked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PWD", str(tmp_path))
    monkeypatch.setenv("AUTHOR", "Ada Lovelace")
    assert scrub(f"wrote {tmp_path}/video.mp4 by Ada Lovelace") == f"wrote {tmp_path}/video.mp4 by Ada Lovelace"


def test_secrets_of_4_7_and_200_chars_are_masked(secrets_in_env: list[str]) -> None:
    text = f"401: key {SHORT4} rejected; pass={SEVEN}; session {LONG200}."
    out = scrub(text)
    assert out == "401: key *** rejected; pass=***; session ***."
    assert not find_secrets(secrets_in_env, texts={"out": out})


def test_encoded_forms_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENDOR_API_KEY", 'ab"c/d+e')
    out = scrub('{"echo": "ab\\"c/d+e"} url=?k=ab%22c%2Fd%2Be')
    assert "ab" not in out.replace("***", "")


def test_overlapping_secrets_longest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A_KEY", "abcd")
    monkeypatch.setenv("B_TOKEN", "xxabcdyy")
    monkeypatch.setenv("C_SECRET", "cdyyzz")   # overlaps B's tail
    out = scrub("1 xxabcdyyzz 2 abcd 3")
    assert out == "1 *** 2 *** 3"


def test_runtime_token_registered_by_token_cache(tmp_path: Path) -> None:
    from reelcrew.tools.publishing.credentials import CachedToken, TokenCache

    token = "ya29.runtime-token-" + "q" * 30
    assert token not in redaction.known_secrets()
    TokenCache(tmp_path, "youtube").save(CachedToken(access_token=token, expires_at=9e9, credential_fingerprint="f"))
    assert scrub(f"Bearer {token}") == "Bearer ***"


def test_run_store_writes_are_scrubbed(secrets_in_env: list[str], settings) -> None:
    from reelcrew.tools.store import open_store

    store = open_store(settings)
    run_id = store.create_run("demo", {"note": f"opt {SEVEN}"})
    with store.connect() as c:
        c.execute("UPDATE runs SET error=? WHERE run_id=?", (f"vendor said: bad key {SHORT4} / {LONG200}", run_id))
        c.executemany("UPDATE runs SET stage=? WHERE run_id=?", [(f"s-{SEVEN}", run_id)])
    hits = find_secrets(secrets_in_env, [settings.home])
    assert hits == []
    with store.connect() as c:
        assert "***" in c.execute("SELECT error FROM runs WHERE run_id=?", (run_id,)).fetchone()[0]


def test_transcripts_are_scrubbed(secrets_in_env: list[str], tmp_path: Path) -> None:
    from reelcrew.transcripts import Transcript

    t = Transcript(run_id="r1", channel="demo", brains={}, platforms=["outbox"])
    t.tool_calls.append({"result": f"error body echoed {SHORT4} and {SEVEN}", "nested": [{"k": LONG200}]})
    path = t.save(tmp_path / "conversations" / "r1.json")
    assert find_secrets(secrets_in_env, [path]) == []


def test_log_records_are_scrubbed(secrets_in_env: list[str]) -> None:
    redaction.install_log_scrubbing()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    log = logging.getLogger("reelcrew.test.scrub")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("token %s then %s", SHORT4, SEVEN)
        try:
            raise RuntimeError(f"boom {LONG200}")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    assert find_secrets(secrets_in_env, texts={"log": stream.getvalue()}) == []
    assert "token *** then ***" in stream.getvalue()


def test_terminal_console_scrubs_and_survives_markup(secrets_in_env: list[str]) -> None:
    from rich.table import Table

    from reelcrew.cli.terminal import ScrubbingConsole

    buf = io.StringIO()
    console = ScrubbingConsole(file=buf, width=40)
    console.print(f"[bold]error:[/] echoed {LONG200} [/x] and [/]")
    table = Table("cell")
    table.add_row(f"long {LONG200}")
    console.print(table)
    out = buf.getvalue()
    assert "[/x]" in out
    assert find_secrets(secrets_in_env, texts={"terminal": out}) == []


def test_crew_main_scrubs_stdout_and_stderr(secrets_in_env: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """An error that quotes a secret (here: a channel file path made of one) is masked on stderr."""
    from reelcrew.cli import main

    with pytest.raises(SystemExit):
        main(["memory", "import", f"/nonexistent/{LONG200}/{SEVEN}.csv"])
    captured = capsys.readouterr()
    assert "***" in captured.err
    assert find_secrets(secrets_in_env, texts={"out": captured.out, "err": captured.err}) == []


def test_scrub_obj_keeps_shape(secrets_in_env: list[str]) -> None:
    assert scrub_obj({"a": [SEVEN, 3, (SHORT4,)], SEVEN: None}) == {"a": ["***", 3, ("***",)], "***": None}


def test_a_secret_set_changed_or_removed_after_a_scrub_is_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    # known_secrets is reused between scrubs while the environment stands still; it must never go stale
    monkeypatch.setenv("LATE_API_KEY", "first-secret-value")
    assert scrub("a first-secret-value b") == "a *** b"
    monkeypatch.setenv("LATE_API_KEY", "second-secret-value")  # same variables, one value changed
    assert scrub("a second-secret-value b") == "a *** b"
    monkeypatch.setenv("LATER_TOKEN", "third-secret-value")
    assert scrub("third-secret-value") == "***"
    monkeypatch.delenv("LATE_API_KEY")
    assert scrub("a second-secret-value b") == "a second-secret-value b"
    redaction.register_secret("registered-at-run-time")
    assert scrub("x registered-at-run-time") == "x ***"
