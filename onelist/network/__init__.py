"""The whole consortium on one machine: ``onelist up``'s plan (pure), the nodes' files, the
processes' supervisor and the demo traffic.

The names below load with their module on first use: importing ``onelist.network.plan`` does not
import the supervisor.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onelist.network.plan import NetworkPlan, NodePlan, plan_network
    from onelist.network.supervisor import LocalConsortium, NodeFailed, NodeProcess

_HOMES = {
    "LocalConsortium": "supervisor",
    "NetworkPlan": "plan",
    "NodeFailed": "supervisor",
    "NodePlan": "plan",
    "NodeProcess": "supervisor",
    "plan_network": "plan",
}

__all__ = [
    "LocalConsortium",
    "NetworkPlan",
    "NodeFailed",
    "NodePlan",
    "NodeProcess",
    "plan_network",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
