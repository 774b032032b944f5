import subprocess
import sys

import pytest

from web.config import ConfigError, check_required, load_config


def test_defaults_without_environment(tmp_path):
    config = load_config({}, dotenv=tmp_path / ".env")
    assert config["APP_ENV"] == "development"
    assert config["PORT"] == 5000
    assert config["PLATFORM_DOMAIN"] == "localhost"
    assert config["STRIPE_WEBHOOK_SECRET"] == []


def test_values_are_coerced(tmp_path):
    config = load_config({"PORT": "8080", "STRIPE_WEBHOOK_SECRET": "whsec_a, whsec_b",
                          "TRUST_PROXY": "yes"}, dotenv=tmp_path / ".env")
    assert config["PORT"] == 8080
    assert config["STRIPE_WEBHOOK_SECRET"] == ["whsec_a", "whsec_b"]
    assert config["TRUST_PROXY"] == 1  # the old switch: "yes" is one proxy


@pytest.mark.parametrize("value,proxies", [("0", 0), ("1", 1), ("2", 2), (" 3 ", 3),
                                           ("true", 1), ("false", 0), ("on", 1), ("no", 0)])
def test_trust_proxy_is_the_number_of_proxies(tmp_path, value, proxies):
    assert load_config({"TRUST_PROXY": value}, dotenv=tmp_path / ".env")["TRUST_PROXY"] == proxies


def test_dotenv_is_read_and_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=7000\nPLATFORM_DOMAIN=sites.example\n")
    config = load_config({"PORT": "7100"}, dotenv=dotenv)
    assert config["PORT"] == 7100
    assert config["PLATFORM_DOMAIN"] == "sites.example"


@pytest.mark.parametrize("name,value,message", [
    ("PORT", "eighty", "PORT is malformed"),
    ("PORT", "70000", "PORT is malformed"),
    ("DATABASE_URL", "not a url", "DATABASE_URL is malformed"),
    ("TRUST_PROXY", "maybe", "TRUST_PROXY is malformed"),
    ("TRUST_PROXY", "-1", "TRUST_PROXY is malformed"),
    ("TRUST_PROXY", "1.5", "TRUST_PROXY is malformed"),
    ("APP_ENV", "staging", "APP_ENV must be one of"),
])
def test_malformed_settings_name_the_setting(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config({name: value}, dotenv=tmp_path / ".env")


def test_production_requires_secrets(tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://db/x",
           "REDIS_URL": "redis://r:6379/0", "STRIPE_SECRET_KEY": "sk_live_x"}
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET is required in production"):
        check_required(load_config(env, dotenv=tmp_path / ".env"))
    env.pop("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY is required in production"):
        check_required(load_config(env, dotenv=tmp_path / ".env"))


def _cli(tmp_path, env, *args):
    return subprocess.run([sys.executable, "-m", "web", *args], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **env}, cwd=tmp_path, timeout=60)


def test_cli_start_up_error_is_one_clear_line(tmp_path):
    result = _cli(tmp_path, {"APP_ENV": "production"}, "db", "upgrade")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "contyzr: SECRET_KEY is required in production; set it in the environment")


def test_cli_unreachable_database_is_one_clear_line(tmp_path, redis_server):
    env = {"APP_ENV": "testing", "SECRET_KEY": "k" * 40, "REDIS_URL": redis_server.url,
           "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = _cli(tmp_path, env, "db", "upgrade")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("contyzr: cannot reach the database")


def test_cli_unreachable_redis_is_one_clear_line(tmp_path, migrated):
    env = {"APP_ENV": "testing", "SECRET_KEY": "k" * 40, "DATABASE_URL": migrated,
           "REDIS_URL": "redis://127.0.0.1:1/0"}
    result = _cli(tmp_path, env, "db", "upgrade")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("contyzr: cannot reach Redis")
