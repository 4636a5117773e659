"""The opt-out decision made once at init (docs/sdks.md#opt-out-consent)."""

import json
import os
import sys
from typing import Mapping, Optional


def _env_flag_set(value: Optional[str]) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false")


def config_file_path(env: Mapping[str, str]) -> str:
    """``$DUMPCATCHER_CONFIG``, else the per-user config.json."""
    explicit = env.get("DUMPCATCHER_CONFIG")
    if explicit:
        return explicit
    if sys.platform == "win32":
        base = env.get("APPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Roaming")
    else:
        base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "dumpcatcher", "config.json")


def _config_disables(path: str) -> bool:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        return False  # a missing or unreadable file changes nothing
    return isinstance(config, dict) and config.get("enabled") is False


def opt_out_reason(enabled: bool, env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Why the SDK must stay silent, or None when it may send."""
    env = os.environ if env is None else env
    if not enabled:
        return "enabled=False"
    if _env_flag_set(env.get("DO_NOT_TRACK")):
        return "DO_NOT_TRACK is set"
    if _env_flag_set(env.get("DUMPCATCHER_DISABLED")):
        return "DUMPCATCHER_DISABLED is set"
    path = config_file_path(env)
    if _config_disables(path):
        return "config file %s says enabled: false" % path
    return None
