"""A video rendered at draft scale (CREW_RENDER_SCALE < 1) is never published to a real platform, and in the
outbox it is marked as a draft (issue 17)."""

from __future__ import annotations

import json

import pytest

from reelcrew.errors import FailureClass
from reelcrew.tools.publishing.errors import PublishError
from reelcrew.tools.publishing.publisher import publish


def test_draft_is_refused_by_real_platforms_before_anything_is_posted(request_for, store, channel, settings):
    req = request_for("youtube").model_copy(update={"draft": True})
    with pytest.raises(PublishError) as err:
        publish(req, ["outbox", "youtube"], store=store, settings=settings, channel=channel)
    assert "draft scale" in err.value.message and "youtube" in err.value.message
    assert "CREW_RENDER_SCALE" in (err.value.hint or "") and err.value.failure == FailureClass.CONFIG
    assert not (settings.outbox_dir / channel.name).exists()  # not even the outbox half went out


def test_a_simulator_is_not_a_real_platform(settings, monkeypatch):
    from reelcrew.settings import get_settings
    from reelcrew.tools.publishing.publisher import is_real_platform

    monkeypatch.delenv("YOUTUBE_API_BASE", raising=False)
    monkeypatch.delenv("YOUTUBE_UPLOAD_BASE", raising=False)
    assert is_real_platform("youtube", get_settings(fresh=True)) and not is_real_platform("outbox", settings)
    monkeypatch.setenv("YOUTUBE_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("YOUTUBE_UPLOAD_BASE", "http://127.0.0.1:9")
    assert not is_real_platform("youtube", get_settings(fresh=True))


def test_draft_in_the_outbox_is_marked(request_for, store, channel, settings):
    req = request_for("outbox").model_copy(update={"draft": True})
    [up] = publish(req, ["outbox"], store=store, settings=settings, channel=channel)
    folder = settings.outbox_dir / channel.name / up.platform_id
    assert up.status == "published" and "-DRAFT-" in folder.name
    assert json.loads((folder / "metadata.json").read_text())["draft"] is True
    assert "Draft render" in (folder / "DRAFT.md").read_text()


def test_full_size_video_is_not_marked(request_for, store, channel, settings):
    [up] = publish(request_for("outbox"), ["outbox"], store=store, settings=settings, channel=channel)
    folder = settings.outbox_dir / channel.name / up.platform_id
    assert "DRAFT" not in folder.name and not (folder / "DRAFT.md").exists()
    assert json.loads((folder / "metadata.json").read_text())["draft"] is False
