"""gateproof's exceptions.

    GateproofError
     +-- ProbeError            could not check: refused, timed out, not JSON, ...
     |    +-- UnreachableError connect failed or timed out (configured component down)
     +-- ConfigError           a source or settings file is wrong; carries every finding

"Could not check" (a ProbeError) is recorded as an *error* of its checklist item;
"checked and wrong" is an ordinary assertion failure. Both make the verdict RED.
"""

from __future__ import annotations


class GateproofError(Exception):
    """Base of everything gateproof raises on purpose."""


class ProbeError(GateproofError):
    """A probe could not obtain evidence from its component.

    ``target`` is the URL or address, ``setting`` the settings key it came from, so the
    message tells the operator where to look.
    """

    def __init__(self, message: str, *, target: str = "", setting: str = "", hint: str = ""):
        self.target = target
        self.setting = setting
        self.hint = hint
        parts = [message]
        if target:
            parts.append(f"  target   {target}")
        if setting:
            parts.append(f"  setting  {setting}")
        if hint:
            parts.append(f"  do       {hint}")
        super().__init__("\n".join(parts))


class UnreachableError(ProbeError):
    """The component is configured but did not accept a connection in time."""


class ConfigError(GateproofError):
    """One or more findings in a configuration file, each ``path:line: field: message``."""

    def __init__(self, findings: list[str]):
        self.findings = findings
        super().__init__("\n".join(findings))
