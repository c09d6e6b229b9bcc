"""The whole consortium on one machine: ``onelist up``'s plan (pure), the nodes' files, the
processes' supervisor and the demo traffic."""

from onelist.network.plan import NetworkPlan, NodePlan, plan_network
from onelist.network.supervisor import LocalConsortium, NodeFailed, NodeProcess

__all__ = [
    "LocalConsortium",
    "NetworkPlan",
    "NodeFailed",
    "NodePlan",
    "NodeProcess",
    "plan_network",
]
