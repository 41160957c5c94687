"""Strategy roles and order: which strategies are compared with which.

A results file made by the current binaries names each strategy's role in
its context key ``strategy_roles``: ``name=role`` items joined by commas, in
the binaries' registry order (e.g. ``fresh_close=fresh,reuse_unspec=reuse,
keepalive=reference``). Roles:

- ``reuse``: keeps one socket across connections; gets a ratio row against
  every ``fresh`` strategy of the same protocol and dimensions;
- ``fresh``: a new socket per connection, the baseline of the ratios;
- ``reference``: no churn at all (keepalive, sendto, ...), drawn apart.

Files made before that key existed get their roles from the naming rule
(``reuse_*`` -> reuse, ``fresh_*`` -> fresh, anything else -> reference) and
their order from the first appearance of each strategy in the file. Nothing
here knows a strategy by name.
"""

from dataclasses import dataclass, field

ROLES = ("reuse", "fresh", "reference")
CONTEXT_KEY = "strategy_roles"
# Colours by order of appearance: the churn strategies (reuse, fresh) take
# the first palette, the references the second, muted one.
CHURN_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#e377c2", "#bcbd22",
                 "#17becf", "#393b79", "#8c6d31", "#843c39")
REFERENCE_PALETTE = ("#7f7f7f", "#9467bd", "#8c564b", "#525252", "#b5a8c9", "#c49c94")


class RolesError(ValueError):
    """A strategy_roles value that cannot be read; str() is one line."""


def role_by_name(strategy):
    """The naming rule for files without strategy_roles."""
    if strategy.startswith("reuse_"):
        return "reuse"
    if strategy.startswith("fresh_"):
        return "fresh"
    return "reference"


def parse_roles(text):
    """``"a=fresh,b=reuse"`` -> ``{"a": "fresh", "b": "reuse"}`` in order.

    Items of several merged parts (``... | ...``, as older merges joined
    differing values) are read as one list; a name listed twice keeps its
    first place and must keep its role. Raises RolesError.
    """
    if not isinstance(text, str):
        raise RolesError(f"{CONTEXT_KEY} is a {type(text).__name__}, expected a string")
    roles = {}
    for item in text.replace(" | ", ",").split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, role = item.partition("=")
        name, role = name.strip(), role.strip()
        if not sep or not name:
            raise RolesError(f"{CONTEXT_KEY} item {item!r} is not NAME=ROLE")
        if role not in ROLES:
            raise RolesError(f"{CONTEXT_KEY} item {item!r}: role {role!r} is not one of "
                             f"{', '.join(ROLES)}")
        if roles.setdefault(name, role) != role:
            raise RolesError(f"{CONTEXT_KEY} gives {name} two roles: {roles[name]} and {role}")
    return roles


def format_roles(roles):
    return ",".join(f"{name}={role}" for name, role in roles.items())


def merge_roles(values):
    """One strategy_roles value from several (None for a part without one):
    the union in order of first appearance. Raises RolesError on a conflict."""
    merged = {}
    for value in values:
        if value is None:
            continue
        for name, role in parse_roles(value).items():
            if merged.setdefault(name, role) != role:
                raise RolesError(f"{CONTEXT_KEY}: {name} is {merged[name]} in one part "
                                 f"and {role} in another")
    return format_roles(merged)


@dataclass(frozen=True)
class StrategyRoles:
    """Role and display order of every strategy of one results file.

    ``from_context`` is True when the file's context said them (strategy_roles),
    False when they come from the naming rule and the rows' order.
    """
    roles: dict = field(default_factory=dict)
    from_context: bool = False

    @property
    def order(self):
        return tuple(self.roles)

    def role(self, strategy):
        return self.roles.get(strategy) or role_by_name(strategy)

    def rank(self, strategy):
        """Sort key: the strategy's place in the order, unknown names last by name."""
        if strategy in self.roles:
            return (list(self.roles).index(strategy), "")
        return (len(self.roles), strategy)

    def with_role(self, role):
        return [s for s in self.roles if self.roles[s] == role]

    def colors(self):
        """{strategy: colour}, deterministic from the order."""
        out, churn, refs = {}, 0, 0
        for name, role in self.roles.items():
            if role == "reference":
                out[name] = REFERENCE_PALETTE[refs % len(REFERENCE_PALETTE)]
                refs += 1
            else:
                out[name] = CHURN_PALETTE[churn % len(CHURN_PALETTE)]
                churn += 1
        return out

    def baseline_hint(self, group, strategy):
        """What to include so that reuse strategy `strategy` of `group` gets its ratios."""
        if not self.from_context:
            return "include the fresh_* strategies"
        fresh = self.with_role("fresh")
        if not fresh:
            return "this file's strategy_roles name no fresh strategy"
        alternatives = "|".join(fresh)
        return (f"include the fresh strategies ({', '.join(fresh)}; those that exist for "
                f"{group}), e.g. --filter '{group}/({strategy}|{alternatives})/'")


def strategy_roles(context, strategies):
    """StrategyRoles from a context (dict) and the tcp/udp strategies in file
    order. A strategy missing from the context's list is appended with the
    naming rule's role. Raises RolesError for a malformed strategy_roles."""
    value = context.get(CONTEXT_KEY) if isinstance(context, dict) else None
    roles = parse_roles(value) if value is not None else {}
    from_context = value is not None
    for name in strategies:
        if name and name not in roles:
            roles[name] = role_by_name(name)
    return StrategyRoles(roles=roles, from_context=from_context)
