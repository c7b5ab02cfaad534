"""The shipped deployment: with the proxy in a container of its own, the app believes forwarded
client addresses from that container's address (not only from 127.0.0.1, which would make every
visitor the proxy and every per-address limit one limit for everybody)."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml

from eportfolio import cli

DEPLOY = Path(__file__).parents[2] / "deploy"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def _trusted(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def test_the_app_trusts_the_proxy_container_and_not_only_itself() -> None:
    compose = _compose()
    services = compose["services"]
    proxies = [name for name, service in services.items() if str(service.get("image", "")).startswith("caddy")]
    assert proxies == ["proxy"], "the shipped compose file runs the proxy as a container of its own"
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    subnet = ipaddress.ip_network(compose["networks"]["default"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_address(proxy_address) in subnet
    trusted = _trusted(str(services["app"]["environment"]["EPORTFOLIO_FORWARDED_ALLOW_IPS"]))
    assert trusted, "the app must name the proxy's address"
    assert set(trusted) - {"127.0.0.1", "localhost", "::1"}, "not only the app's own container"
    assert "*" not in trusted, "not everyone: a visitor could then claim any address"
    assert proxy_address in trusted
    # Nothing in the image's command overrides it with the loopback default.
    command = (DEPLOY / "Dockerfile").read_text().split("\nCMD", 1)[1]
    assert "--forwarded-allow-ips" not in command
    assert "command" not in services["app"]


def test_serve_takes_the_trusted_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake_serve(args: argparse.Namespace) -> int:
        seen.append(args.forwarded_allow_ips)
        return 0

    monkeypatch.setattr(cli, "_serve", fake_serve)
    monkeypatch.setenv("EPORTFOLIO_FORWARDED_ALLOW_IPS", "172.28.0.10")
    assert cli.main(["serve"]) == 0
    assert cli.main(["serve", "--forwarded-allow-ips", "10.0.0.5"]) == 0
    monkeypatch.delenv("EPORTFOLIO_FORWARDED_ALLOW_IPS")
    assert cli.main(["serve"]) == 0
    assert seen == ["172.28.0.10", "10.0.0.5", "127.0.0.1"]
