"""`fortress rules --peer NAME`: the migration table from a peer tool's checks to Fortress
rules, and the peer's checks no rule covers, with why (the data is ``data/peers.yaml``)."""

from __future__ import annotations

import json
import sys

from fortress.cli import EXIT_CLEAN
from fortress.cli.sanitize import clean, terminal
from fortress.errors import FortressError
from fortress.peers import Peer, get_peer
from fortress.rules.engine import all_rules


def rules_peer(name: str, fmt: str) -> int:
    try:
        peer = get_peer(name)
    except ValueError as exc:
        raise FortressError(f"--peer: {exc}") from None
    if fmt == "json":
        sys.stdout.write(json.dumps(peer.to_dict(), indent=2) + "\n")
    elif fmt == "markdown":
        sys.stdout.write(markdown(peer))
    else:
        _console(peer)
    return EXIT_CLEAN


def _titles() -> dict[str, str]:
    return {r.meta.id: r.meta.title for r in all_rules()}


def _heading(peer: Peer) -> str:
    return f"{peer.name} → Fortress: {len(peer.covered)} of {len(peer.checks)} checks covered"


def _about(peer: Peer) -> str:
    note = f"Catalogue: {peer.version}, read {peer.read}."
    if any(not c.verified for c in peer.checks):
        note += f" {UNVERIFIED_NOTE}"
    return note


# Marks an id taken over from a rule's earlier references whose check was not re-read.
UNVERIFIED_MARK = " *"
UNVERIFIED_NOTE = "* id not re-read in the peer's catalogue when the map was built."


def _unverified(check_id: str, verified: bool) -> str:
    return check_id if verified else check_id + UNVERIFIED_MARK


def markdown(peer: Peer) -> str:
    titles = _titles()

    def cell(text: str) -> str:
        return clean(text).replace("|", "\\|")

    lines = [
        f"**{cell(_heading(peer))}**",
        "",
        cell(_about(peer)),
        "",
        f"| {peer.name} | Title | Fortress |",
        "|---|---|---|",
    ]
    for c in peer.covered:
        ours = "<br>".join(f"{rid} {cell(titles.get(rid, '?'))}" for rid in c.rules)
        lines.append(f"| {cell(_unverified(c.id, c.verified))} | {cell(c.label)} | {ours} |")
    for c in peer.uncovered:
        lines.append(
            f"| {cell(_unverified(c.id, c.verified))} | {cell(c.label)} | "
            f"not covered: {cell(c.why)} |"
        )
    return "\n".join(lines) + "\n"


def _console(peer: Peer) -> None:
    from rich.table import Table
    from rich.text import Text

    titles = _titles()
    console = terminal()
    console.print(Text(clean(_about(peer))))
    covered = Table(title=clean(_heading(peer)), title_justify="left")
    # The id column is as wide as the longest id (a KICS UUID is 36), at most a quarter of a
    # narrow terminal; titles and rules share the rest.
    id_width = max(len(_unverified(c.id, c.verified)) for c in peer.checks)
    if console.width < 120:
        id_width = min(id_width, max(12, console.width // 4))
    covered.add_column(peer.name, overflow="fold", width=id_width)
    covered.add_column("Title", overflow="fold", ratio=3)
    covered.add_column("Fortress", overflow="fold", ratio=2)
    for c in peer.covered:
        covered.add_row(
            Text(clean(_unverified(c.id, c.verified))),
            Text(clean(c.label)),
            Text("\n".join(f"{rid} {clean(titles.get(rid, '?'))}" for rid in c.rules)),
        )
    console.print(covered)
    gaps = Table(
        title=f"{len(peer.uncovered)} {clean(peer.name)} checks not covered",
        title_justify="left",
    )
    gaps.add_column(peer.name, overflow="fold", width=id_width)
    gaps.add_column("Title", overflow="fold", ratio=3)
    gaps.add_column("Why not covered", overflow="fold", ratio=2, style="yellow")
    for c in peer.uncovered:
        gaps.add_row(
            Text(clean(_unverified(c.id, c.verified))), Text(clean(c.label)), Text(clean(c.why))
        )
    console.print(gaps)


__all__ = ["markdown", "rules_peer"]
