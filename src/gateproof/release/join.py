"""Which records belong together: one deployment, one config version at a time (a rollback
moves the release from one version to another), and every post-deploy phase run after the
deploy it follows. Anything else is refused, every reason listed at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from gateproof.release.sources import (
    IDENTITY_KEYS,
    PhaseRecord,
    ReleaseError,
    RollbackRecord,
)

PRE_DEPLOY = "predeploy"


@dataclass
class Segment:
    """A stretch of the release on one config version: from the first record (or the rollback
    that put the version back live) to the next rollback."""

    version: str
    records: list[PhaseRecord] = field(default_factory=list)
    rollback: RollbackRecord | None = None  # the rollback that opened it

    def deployed_at(self) -> dt.datetime | None:
        """The latest deploy of this version any of its records saw (the deployed file's
        modification time), or the rollback that restored it."""
        times = [r.deployed_at for r in self.records if r.deployed_at is not None]
        if self.rollback is not None:
            times.append(self.rollback.at)
        return max(times) if times else None


@dataclass
class Joined:
    identity: dict[str, object]
    records: list[PhaseRecord]  # by start time
    rollbacks: list[RollbackRecord]  # by time
    segments: list[Segment]

    @property
    def final_version(self) -> str:
        return self.segments[-1].version

    def deciding(self) -> dict[str, PhaseRecord]:
        """Per phase, the latest record that ran it (it decides that phase's items)."""
        latest: dict[str, PhaseRecord] = {}
        for record in self.records:
            for phase in record.phases:
                latest[phase] = record
        return latest


def join(records: list[PhaseRecord], rollbacks: list[RollbackRecord]) -> Joined:
    records = sorted(records, key=lambda r: r.started)
    rollbacks = sorted(rollbacks, key=lambda r: r.at)
    if not records:
        raise ReleaseError("no phase record to join (rollback records alone are no release)")
    identity = {k: records[0].deployment.get(k) for k in IDENTITY_KEYS}
    refused = _other_deployments(identity, records, rollbacks)
    segments, more = _segments(records, rollbacks)
    refused += more
    refused += _before_deploy(segments)
    if refused:
        raise ReleaseError(
            "these records cannot be joined into one release:\n"
            + "\n".join(f"  - {line}" for line in refused)
        )
    return Joined(identity, records, rollbacks, segments)


def _describe(identity: dict[str, object]) -> str:
    return (
        f"{identity.get('name')!r} ({identity.get('environment')}, {identity.get('gateway_url')})"
    )


def _other_deployments(
    identity: dict[str, object], records: list[PhaseRecord], rollbacks: list[RollbackRecord]
) -> list[str]:
    refused = []
    first = records[0]
    others: list[PhaseRecord | RollbackRecord] = [*records[1:], *rollbacks]
    for record in others:
        theirs = {k: record.deployment.get(k) for k in IDENTITY_KEYS}
        if isinstance(record, RollbackRecord) and not any(theirs.values()):
            continue  # rolled back without settings: no identity to compare
        if theirs != identity:
            differ = ", ".join(k for k in IDENTITY_KEYS if theirs[k] != identity[k])
            refused.append(
                f"{record.label()} is of another deployment: {_describe(theirs)}, not "
                f"{_describe(identity)} as {first.label()} (differs in {differ})"
            )
    return refused


def _segments(
    records: list[PhaseRecord], rollbacks: list[RollbackRecord]
) -> tuple[list[Segment], list[str]]:
    events: list[PhaseRecord | RollbackRecord] = [*records, *rollbacks]
    events.sort(key=lambda e: e.started if isinstance(e, PhaseRecord) else e.at)
    segments: list[Segment] = []
    refused: list[str] = []
    for event in events:
        current = segments[-1] if segments else None
        if isinstance(event, RollbackRecord):
            if not event.ok:
                continue  # a refused rollback changed nothing; RBK-01 reports it
            if current is not None and event.previous not in (None, current.version):
                refused.append(
                    f"{event.label()} rolled back from config {event.previous}, but the release "
                    f"was on config {current.version} then"
                )
            segments.append(Segment(event.version, rollback=event))
            continue
        version = event.version
        if version is None:
            refused.append(
                f"{event.label()} names no config version (its generated config had no "
                "'# version:' stamp): it cannot be matched to the release"
            )
        elif current is None:
            segments.append(Segment(version, [event]))
        elif version != current.version:
            since = (
                f"since the rollback of {current.rollback.at:%Y-%m-%d %H:%M:%S}"
                if current.rollback
                else f"as {current.records[0].label()}"
            )
            refused.append(
                f"{event.label()} is of another config version: {version}, while the release "
                f"is on {current.version} ({since})"
            )
        else:
            current.records.append(event)
    if not segments:
        segments.append(Segment("unknown"))
    return segments, refused


def _before_deploy(segments: list[Segment]) -> list[str]:
    refused = []
    for segment in segments:
        deployed = segment.deployed_at()
        if deployed is None:
            continue
        for record in segment.records:
            after_deploy = [p for p in record.phases if p != PRE_DEPLOY]
            if after_deploy and record.started < deployed:
                refused.append(
                    f"{record.label()} started at {record.started.isoformat(timespec='seconds')}, "
                    f"before the deploy of config {segment.version} at "
                    f"{deployed.isoformat(timespec='seconds')} that {after_deploy[0]} follows"
                )
    return refused
