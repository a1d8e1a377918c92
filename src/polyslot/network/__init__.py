"""The network answer for overloaded polyclinics (issue 23): move whole doctor-sessions from
polyclinics that can lend to those that need them, or say how many to add.

* :mod:`~polyslot.network.roles`: who borrows and lends on which weekday (from the history);
* :mod:`~polyslot.network.respond`: each polyclinic's staffing response (re-optimised with more
  or fewer doctor-sessions per half-day, the one clinic model's KPIs), computed in the worker;
* :mod:`~polyslot.network.mip`: the network MIP over those responses;
* :mod:`~polyslot.network.hiring`, :mod:`~polyslot.network.goals`: the hiring answer and the
  goals of issue 23;
* :mod:`~polyslot.network.plan`: the plan (moves, templates, roster, before / after);
* :mod:`~polyslot.network.document`, :mod:`~polyslot.network.outputs`: ``network/plan.json``,
  ``roster.csv``, ``templates/``, ``responses/``;
* :mod:`~polyslot.network.step`, :mod:`~polyslot.network.finished`: the step of ``polyslot run``
  and ``polyslot network OUT``.

docs/network.md describes the method and the files.
"""

from polyslot.network.finished import redo_network
from polyslot.network.mip import Move, NetworkProblem, NetworkSolution, Option, solve_network
from polyslot.network.plan import ClinicInputs, NetworkPlan, plan_network
from polyslot.network.roles import NetworkRole, network_roles
from polyslot.network.step import network_step, with_staffing

__all__ = [
    "ClinicInputs",
    "Move",
    "NetworkPlan",
    "NetworkProblem",
    "NetworkRole",
    "NetworkSolution",
    "Option",
    "network_roles",
    "network_step",
    "plan_network",
    "redo_network",
    "solve_network",
    "with_staffing",
]
