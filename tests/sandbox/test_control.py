"""The sandbox control surface: mail log, stats, faults, settings."""

import requests

from addin.sandbox import SandboxRuntime


def test_mail_log_lists_and_clears(clean_sandbox: SandboxRuntime, upstream: requests.Session
                                   ) -> None:
    mail_url = clean_sandbox.services["mail"]
    clean_sandbox.state.mail.record(sender="graph", from_="a@x.example", to="b@y.example",
                                    kind="invitation", subject="Demo")
    messages = upstream.get(mail_url).json()["messages"]
    assert [(m["sender"], m["to"], m["kind"], m["subject"]) for m in messages] == [
        ("graph", "b@y.example", "invitation", "Demo")
    ]
    assert {"id", "from", "sentAt"} <= set(messages[0])
    assert upstream.delete(mail_url).status_code == 204
    assert upstream.get(mail_url).json() == {"messages": []}


def test_stats_count_and_reset(clean_sandbox: SandboxRuntime, upstream: requests.Session) -> None:
    clean_sandbox.state.stats.count("salesforce", "query")
    clean_sandbox.state.stats.count("salesforce", "query")
    stats = upstream.get(clean_sandbox.services["stats"]).json()
    assert stats["salesforce"] == {"requests": 2, "byOperation": {"query": 2}}
    upstream.delete(clean_sandbox.services["stats"])
    assert upstream.get(clean_sandbox.services["stats"]).json() == {}


def test_faults_validate_and_are_consumed(clean_sandbox: SandboxRuntime,
                                          upstream: requests.Session) -> None:
    faults_url = clean_sandbox.services["faults"]
    bad = upstream.post(faults_url, json={"service": "nope", "status": 503})
    assert bad.status_code == 400
    assert "service" in bad.json()["error"]["fields"]
    bad = upstream.post(faults_url, json={"service": "mail", "times": 0})
    assert bad.status_code == 400
    services = [s for s in clean_sandbox.services if s not in {"mail", "stats", "faults",
                                                                "settings"}]
    if services:
        ok = upstream.post(faults_url, json={"service": services[0], "status": 429,
                                             "times": 2, "retryAfter": 1})
        assert ok.status_code == 201
        assert ok.json()["faults"][0]["times"] == 2
        assert upstream.delete(faults_url).status_code == 204
    fault_state = clean_sandbox.state.faults
    from addin.sandbox.state import Fault

    fault_state.add(Fault("salesforce", 503, 2))
    assert fault_state.take("salesforce") is not None
    assert fault_state.take("salesforce") is not None
    assert fault_state.take("salesforce") is None
    assert upstream.delete(faults_url).status_code == 204
    assert upstream.get(faults_url).json() == {"faults": []}


def test_settings_reject_unknown_names(clean_sandbox: SandboxRuntime,
                                       upstream: requests.Session) -> None:
    url = clean_sandbox.services["settings"]
    assert upstream.patch(url, json={"nonsense": 1}).status_code == 400
    changed = upstream.patch(url, json={"latencyMs": 0}).json()
    assert changed["latencyMs"] == 0
