"""What ``onelist up`` tells its user once everything is ready: what runs where, who may sign
in, and what to try. Pure: it formats the plan; passwords appear only when passed in (the
user asked for them with ``--show-passwords``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from onelist.network.plan import NetworkPlan, NodePlan

__all__ = ["shown_path", "summary_lines"]


def shown_path(path: Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when it lies below it (shorter to read and to paste)."""
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def _key_text(node: NodePlan, has_key: bool) -> str:
    who = "regulator" if node.is_regulator else "operator"
    return f"{who} {node.account}" if has_key else f"{who} {node.account} (no key: read-only)"


def summary_lines(
    plan: NetworkPlan,
    has_key: Mapping[str, bool],
    cwd: Path,
    passwords: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """The lines printed under the deployment: nodes, staff, passwords' file, examples."""
    width = max(len(n.organisation) for n in plan.nodes)
    lines = ["nodes"]
    for node in plan.nodes:
        lines.append(
            f"  {node.organisation:<{width}}  {node.url}  {node.name}  "
            f"{_key_text(node, has_key.get(node.organisation, False))}"
        )
    lines.append(
        f"  logs, indexes and keystores in {shown_path(plan.data_dir / 'nodes', cwd)}/<org>/"
    )
    exchange = next((n for n in plan.nodes if not n.is_regulator), None)
    regulator = next((n for n in plan.nodes if n.is_regulator), None)
    lines.append("staff")
    for sample in (exchange, regulator):
        if sample is None:
            continue
        kind = "each regulator's node" if sample.is_regulator else "each exchange's node"
        accounts = ", ".join(f"{a.username} ({'+'.join(a.roles)})" for a in sample.staff)
        lines.append(f"  {kind}: {accounts}")
    folder = shown_path(plan.data_dir / "nodes", cwd)
    if passwords is None:
        lines.append(
            f"  passwords in {folder}/<org>/staff-passwords (mode 0600; "
            "`onelist up --show-passwords` prints them)"
        )
    else:
        for node in plan.nodes:
            for username, password in passwords.get(node.organisation, {}).items():
                lines.append(f"  {node.organisation:<{width}}  {username:<9} {password}")
    lines.append("try")
    if exchange is not None:
        pw_file = shown_path(exchange.staff_passwords_path, cwd)
        cookies = os.path.join("/tmp", f"onelist-{exchange.organisation.lower()}.cookies")
        lines += [
            f"  open {exchange.url}/web/ (the catalogue) and {exchange.url}/web/staff/sign-in",
            # -G --data-urlencode: a request line carries no raw UTF-8 (the server answers 400).
            f"  curl -G --data-urlencode 'q=数据' {exchange.url}/listings",
            f"  curl {exchange.url}/status",
            f"  pw=$(awk '$1==\"reviewer\"{{print $2}}' {pw_file})",
            f"  curl -c {cookies} -H 'Content-Type: application/json' "
            f'-d \'{{"username":"reviewer","password":"\'$pw\'"}}\' {exchange.url}/staff/sign-in',
            f"  curl -b {cookies} {exchange.url}/staff/submissions",
            f"  .venv/bin/onelist node status --config {shown_path(exchange.config_path, cwd)}",
        ]
    if regulator is not None:
        lines.append(f"  curl {regulator.url}/openapi.json   # every route of a node")
    lines.append("  .venv/bin/onelist listing check examples/manifests/*.json")
    return lines
