"""The user's cases as data: each scenario names its question, the rotation
groups that answer it when measured paired, and what its answer reads.

A scenario never names a strategy: its groups take every variant of the
registry (or of a results file) that has the scenario's dimensions and a
role it compares (reuse against fresh, by the results' ``strategy_roles`` or
the binaries' registry). ``scripts/bench --scenario NAME`` measures these
groups with ``scripts/paired``; ``answers.py`` derives the recommendation
from the paired ratios and what each strategy leaves behind from the
per-strategy rows; the README, the report and docs/which-strategy.md print
the answers.

Pure: no I/O.
"""

from dataclasses import dataclass, field, replace

from .names import CHURN_GROUPS, default_ring, parse_name, with_defaults

# The roles whose variants a scenario measures, and which ratios it reads:
# each reuse variant against each fresh one.
COMPARED_ROLES = ("reuse", "fresh")
# Name segments that are the run's settings, not the variant's (a variant
# name is what `Variant::name()` prints: tcp/reuse_unspec/closer:client).
RUN_DIMS = ("payload", "placement", "threads")
TIME_FLAGS = ("real_time", "process_time", "manual_time")


class ScenarioError(ValueError):
    """An unknown scenario or a bad parameter; str() is one line."""


@dataclass(frozen=True)
class Group:
    """One rotation group: the variants of these dimensions, measured paired
    at `threads` client threads. `flows` only for the asio engine."""
    engine: str = "blocking"
    threads: int = 1
    flows: int = 1

    def words(self):
        engine = {"blocking": "blocking client", "asio": "event-driven (Boost.Asio) client",
                  "uring": "io_uring client"}.get(self.engine, f"{self.engine} client")
        conns = f", {self.flows} connections per thread" if self.flows > 1 else ""
        return f"{engine}, {self.threads} thread{'s' if self.threads > 1 else ''}{conns}"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str            # a user's words for the case
    question: str         # what the scenario answers
    protocol: str         # tcp or udp
    closer: str           # who ends a TCP connection: client or server ("" for UDP)
    rpc: int              # requests per connection (the default when parameter is set)
    groups: tuple         # Group, ...
    leaves: tuple         # what its answer lists per strategy: time_wait, conntrack, ports
    parameter: str = ""   # a parameter the user may set (N: requests per connection)
    derived: str = ""     # how the answer is derived, in words
    notes: tuple = field(default_factory=tuple)

    def with_rpc(self, n):
        """The scenario at N requests per connection (only where it takes N)."""
        if not self.parameter:
            raise ScenarioError(f"scenario {self.name} takes no parameter")
        return replace(self, rpc=int(n))

    def dims(self, group):
        """The name dimensions (defaults filled in) a variant of `group` has."""
        dims = {"engine": group.engine, "flows": str(group.flows), "rpc": str(self.rpc)}
        if self.closer:
            dims["closer"] = self.closer
        return dims

    def matches(self, variant, group):
        """True when the variant name (or run name) belongs to `group`."""
        parsed = parse_name(variant)
        if parsed["group"] != self.protocol or not parsed["strategy"]:
            return False
        dims = with_defaults(parsed)
        if dims.get("section"):
            return False
        # A scenario's io_uring client runs the default ring features.
        return default_ring(dims) and all(dims.get(k, "") == v for k, v in self.dims(group).items())


DERIVED = ("the recommendation comes from the paired ratios of exchanges per second (reuse ÷ each "
           "fresh strategy, 95% interval): a strategy wins only where its interval excludes 1, "
           "otherwise the answer is \"no difference beyond noise\"; what each strategy leaves "
           "behind comes from its own rows (TIME_WAIT and on which side, connection-tracking "
           "entries, local ports held)")

SCENARIOS = (
    Scenario(
        name="proxy-backend",
        title="A proxy's backend connections, the backend closes first",
        question="The backend (server) ends each connection first (it sends the FIN): "
                 "how should the proxy end its side and open the next connection?",
        protocol="tcp", closer="server", rpc=1,
        groups=(Group("blocking", 1), Group("asio", 1, 16)),
        leaves=("time_wait", "conntrack", "ports"), derived=DERIVED),
    Scenario(
        name="pool",
        title="A pool that ends connections itself after N requests",
        question="A connection pool ends each connection itself after N requests "
                 "(max requests per connection): which way to end it and open the next?",
        protocol="tcp", closer="client", rpc=100, parameter="N",
        groups=(Group("blocking", 1),),
        leaves=("time_wait", "conntrack", "ports"), derived=DERIVED,
        notes=("N is requests per connection (scripts/bench --scenario pool:N); "
               "the reference runs measured 1, 10 and 100",)),
    Scenario(
        name="short-lived",
        title="A short-lived client, one request per connection",
        question="A client opens a connection, sends one request, reads the answer and "
                 "ends the connection itself: which way to end it?",
        protocol="tcp", closer="client", rpc=1,
        groups=(Group("blocking", 1),),
        leaves=("time_wait", "conntrack", "ports"), derived=DERIVED),
    Scenario(
        name="udp-client",
        title="A UDP client talking to one server at a time",
        question="A UDP client exchanges datagrams with one server, then another: "
                 "a new socket per server, or one socket connected again?",
        protocol="udp", closer="", rpc=1,
        groups=(Group("blocking", 1),),
        leaves=("conntrack", "ports"), derived=DERIVED),
    Scenario(
        name="port-pressure",
        title="Many connections from one source address",
        question="Many client threads open connections from one source address to one "
                 "server: which strategy keeps the ephemeral ports free and the rate up?",
        protocol="tcp", closer="client", rpc=1,
        groups=(Group("blocking", 8),),
        leaves=("time_wait", "ports", "conntrack"), derived=DERIVED,
        notes=("8 client threads on this 2-CPU machine; the tw_reuse section shows the "
               "same question with 1,000 ports",)),
)


def names():
    return [s.name for s in SCENARIOS]


def find(spec):
    """The scenario of `spec`: NAME or NAME:PARAMETER (pool:10). Raises ScenarioError."""
    name, sep, value = spec.partition(":")
    for scenario in SCENARIOS:
        if scenario.name == name:
            if not sep:
                return scenario
            if not scenario.parameter:
                raise ScenarioError(f"scenario {name} takes no parameter (got '{spec}')")
            if not value.isdigit() or not 1 <= int(value) <= 1000000:
                raise ScenarioError(f"scenario {name}: {scenario.parameter} '{value}' is not a "
                                    f"number from 1 to 1000000")
            return scenario.with_rpc(int(value))
    raise ScenarioError(f"'{name}' is not a scenario (one of: {', '.join(names())}; "
                        f"scripts/bench --scenario list)")


def variant_name(run_name):
    """The variant of a run name: its segments without the run's settings
    (payload, placement, threads, time flags)."""
    keep = [s for s in run_name.split("/")
            if s not in TIME_FLAGS and s.partition(":")[0] not in RUN_DIMS]
    return "/".join(keep)


def select(scenario, group, candidates, roles):
    """The variant names of `candidates` (variant or run names) in the
    rotation group, each once, in the order given: those of the group's
    dimensions whose strategy has a compared role (roles: StrategyRoles)."""
    out = []
    for name in candidates:
        if not scenario.matches(name, group):
            continue
        strategy = parse_name(name)["strategy"]
        if roles.role(strategy) in COMPARED_ROLES:
            variant = variant_name(name)
            if variant not in out:
                out.append(variant)
    return out


def describe(scenario):
    """Lines for `--scenario list` and the docs: name, question, groups."""
    groups = "; ".join(g.words() for g in scenario.groups)
    rpc = f"{scenario.rpc} request{'s' if scenario.rpc > 1 else ''} per connection" \
        if scenario.protocol == "tcp" else "one exchange per server"
    param = f" (set N with --scenario {scenario.name}:N; default {scenario.rpc})" if scenario.parameter else ""
    who = {"client": "the client ends each connection", "server": "the server ends each connection",
           "": "no connection to end"}[scenario.closer]
    return [f"{scenario.name}: {scenario.title}",
            f"    {scenario.question}",
            f"    measures: {scenario.protocol.upper()}, {who}, {rpc}{param}; {groups}"]


assert all(s.protocol in CHURN_GROUPS for s in SCENARIOS)
