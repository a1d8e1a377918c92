"""Run configuration: defaults, TOML reading, overrides and one-line errors."""

from __future__ import annotations

import pytest

from polyslot.config import RunConfig, load_config
from polyslot.errors import ConfigError


def test_defaults_round_trip() -> None:
    cfg = load_config()
    assert cfg == RunConfig()
    assert cfg.to_dict()["sample"]["polyclinics"] == 6


def test_toml_sections_and_overrides(tmp_path) -> None:
    p = tmp_path / "polyslot.toml"
    p.write_text("seed = 7\n[sample]\npolyclinics = 2\n[sensitivity]\nno_show = [0.5, 1.0]\n")
    cfg = load_config(p, overrides={"seed": 11, "workers": None})
    assert cfg.seed == 11  # override wins
    assert cfg.workers == 2  # None override ignored
    assert cfg.sample.polyclinics == 2
    assert cfg.sensitivity.no_show == (0.5, 1.0)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("bogus = 1\n", "field 'bogus'"),
        ("[simulate]\nfoo = 1\n", "field 'simulate.foo'"),
        ("[sample]\ndays = -3\n", "days"),
        ("[simulate]\nmin_replications = 9\nmax_replications = 3\n", "max_replications"),
        ("seed = [\n", "invalid TOML"),
    ],
)
def test_bad_config_names_file_and_field(tmp_path, text: str, needle: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(p)
    msg = str(info.value)
    assert "bad.toml" in msg and needle in msg
    assert "\n" not in msg


def test_missing_config_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "nope.toml")
