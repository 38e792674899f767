"""IVR menus as a tree: validation, the entitlement rule, and storage (always the whole tree).

A device has one IVR tree. Its root menu is what a caller hears first; every option of a
menu sends the caller to a child menu or to an extension. Submenus may be shared (two
menus may lead to one "support" menu), but no path may come back to a menu it passed, and
every menu must be reachable from the root.

**Levels.** The root alone is one level; each step down a child menu adds one. A
one-level tree is the simple auto attendant every PBX has; its prompts are synthesised,
so it needs ``tts.synthesize`` (a contract, SPEC §4). Deeper trees are the multi-level
auto attendant, a maintenance function: they also need ``ivr.multilevel`` (a contract,
and never on MOT/Mini). ``ivr.multilevel`` is asked first, because its refusal on a Mini
(``MODEL_EXCLUDED``) is final, while ``NO_CONTRACT`` would suggest a contract could help.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from motmedia.db import new_id, utcnow
from motmedia.entitlements import service as entitlements
from motmedia.entitlements.models import Device
from motmedia.entitlements.policy import Policy
from motmedia.errors import BadInput, NotFound
from motmedia.prompts.models import IvrMenu
from motmedia.prompts.service import clean_text, mark_pending
from motmedia.tenants.auth import Principal

__all__ = [
    "DIGITS",
    "MAX_DEPTH",
    "MAX_MENUS",
    "Menu",
    "Target",
    "Tree",
    "authorize",
    "delete_tree",
    "get_menu",
    "get_tree",
    "list_menus",
    "options_of",
    "replace_tree",
    "tree_depth",
    "validate_tree",
]

DIGITS = "1234567890*#"
MAX_MENUS = 50
MAX_DEPTH = 5  # deeper trees lose callers; PBX auto attendants stop at a few levels
MAX_MENU_TEXT = 1000
TIMEOUT_RANGE = (1, 60)
# Menu names become file names (ivr-<name>.wav): lower-case ASCII, no dots or slashes.
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_EXTENSION = re.compile(r"^[0-9*#]{1,20}$")


@dataclass(frozen=True)
class Target:
    """Where a digit leads: a child menu or an extension (exactly one)."""

    menu: str | None = None
    extension: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {"menu": self.menu} if self.menu is not None else {"extension": self.extension or ""}


@dataclass(frozen=True)
class Menu:
    name: str
    text: str
    options: Mapping[str, Target]
    timeout_s: int = 5
    timeout_text: str | None = None
    invalid_text: str | None = None


@dataclass(frozen=True)
class Tree:
    """A validated tree; ``menus`` in the order given, ``depth`` in levels (root = 1)."""

    root: str
    menus: tuple[Menu, ...]
    language: str
    voice: str | None
    ssml: bool
    depth: int

    @property
    def multilevel(self) -> bool:
        return self.depth > 1


def _invalid(detail: str, code: str, **extra: Any) -> BadInput:
    return BadInput(detail, code=code, **extra)


def _check_menu(menu: Menu, names: set[str]) -> Menu:
    if not _NAME.match(menu.name):
        raise _invalid(
            f"Menu name {menu.name!r} must be 1-32 of a-z, 0-9, '-' and '_', starting with a "
            "letter or digit.",
            "IVR_INVALID_NAME",
            menu=menu.name,
        )
    if not menu.options:
        raise _invalid(f"Menu {menu.name!r} has no options.", "IVR_NO_OPTIONS", menu=menu.name)
    for digit, target in menu.options.items():
        if len(digit) != 1 or digit not in DIGITS:
            raise _invalid(
                f"Menu {menu.name!r}: option {digit!r} is not one key of 0-9, * or #.",
                "IVR_INVALID_DIGIT",
                menu=menu.name,
                digit=digit,
            )
        if (target.menu is None) == (target.extension is None):
            raise _invalid(
                f"Menu {menu.name!r}, key {digit}: give either a menu or an extension.",
                "IVR_INVALID_TARGET",
                menu=menu.name,
                digit=digit,
            )
        if target.extension is not None and not _EXTENSION.match(target.extension):
            raise _invalid(
                f"Menu {menu.name!r}, key {digit}: extension {target.extension!r} must be 1-20 "
                "of 0-9, * and #.",
                "IVR_INVALID_EXTENSION",
                menu=menu.name,
                digit=digit,
            )
        if target.menu is not None and target.menu not in names:
            raise _invalid(
                f"Menu {menu.name!r}, key {digit}: there is no menu {target.menu!r}.",
                "IVR_UNKNOWN_MENU",
                menu=menu.name,
                digit=digit,
            )
    lo, hi = TIMEOUT_RANGE
    if not lo <= menu.timeout_s <= hi:
        raise _invalid(
            f"Menu {menu.name!r}: timeout_s must be {lo}-{hi} seconds.",
            "IVR_INVALID_TIMEOUT",
            menu=menu.name,
        )
    what = f"text of menu {menu.name!r}"
    return Menu(
        menu.name,
        clean_text(menu.text, what=what, limit=MAX_MENU_TEXT),
        dict(menu.options),
        menu.timeout_s,
        clean_text(menu.timeout_text, what=f"timeout_{what}", limit=MAX_MENU_TEXT)
        if menu.timeout_text and menu.timeout_text.strip()
        else None,
        clean_text(menu.invalid_text, what=f"invalid_{what}", limit=MAX_MENU_TEXT)
        if menu.invalid_text and menu.invalid_text.strip()
        else None,
    )


def _children(menus: Mapping[str, Mapping[str, Target]], name: str) -> list[str]:
    return [t.menu for t in menus[name].values() if t.menu is not None]


def _find_cycle(menus: Mapping[str, Mapping[str, Target]]) -> list[str] | None:
    """A path that returns to where it started, or ``None``. Iterative DFS (no recursion)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in menus:
        if start in state:
            continue
        path: list[str] = [start]
        stack = [iter(_children(menus, start))]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append(iter(_children(menus, child)))
    return None


def tree_depth(root: str, menus: Mapping[str, Mapping[str, Target]]) -> int:
    """Levels of the longest path from ``root`` (an acyclic graph; root alone is 1)."""
    depth: dict[str, int] = {}
    stack = [root]
    while stack:  # post-order without recursion: children before parents
        name = stack[-1]
        pending = [c for c in _children(menus, name) if c not in depth and c not in stack]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if name not in depth:
            depth[name] = 1 + max((depth[c] for c in _children(menus, name)), default=0)
    return depth[root]


def validate_tree(
    *, root: str, menus: Sequence[Menu], language: str, voice: str | None, ssml: bool
) -> Tree:
    """Check a whole tree; every refusal is a 422 with an ``IVR_*`` code naming the menu."""
    if not menus:
        raise _invalid("The tree has no menus.", "IVR_EMPTY")
    if len(menus) > MAX_MENUS:
        raise _invalid(f"A tree has at most {MAX_MENUS} menus.", "IVR_TOO_MANY_MENUS")
    names = [m.name for m in menus]
    if duplicate := next((n for n in names if names.count(n) > 1), None):
        raise _invalid(f"Menu {duplicate!r} is given twice.", "IVR_DUPLICATE_MENU", menu=duplicate)
    if root not in names:
        raise _invalid(f"The root menu {root!r} is not among the menus.", "IVR_UNKNOWN_ROOT")
    checked = [_check_menu(m, set(names)) for m in menus]
    graph = {m.name: m.options for m in checked}
    if cycle := _find_cycle(graph):
        raise _invalid(f"The menus form a loop: {' → '.join(cycle)}.", "IVR_CYCLE", menus=cycle)
    reachable, stack = {root}, [root]
    while stack:
        for child in _children(graph, stack.pop()):
            if child not in reachable:
                reachable.add(child)
                stack.append(child)
    if unreachable := [n for n in names if n not in reachable]:
        raise _invalid(
            f"No path from {root!r} leads to {', '.join(map(repr, unreachable))}.",
            "IVR_UNREACHABLE_MENU",
            menus=unreachable,
        )
    depth = tree_depth(root, graph)
    if depth > MAX_DEPTH:
        raise _invalid(f"The tree has {depth} levels; at most {MAX_DEPTH}.", "IVR_TOO_DEEP")
    return Tree(root, tuple(checked), language, voice, ssml, depth)


def authorize(
    *,
    session: Session,
    policy: Policy,
    principal: Principal | None,
    device: Device,
    tree: Tree,
    at: date,
) -> None:
    """Ask (and audit) the entitlements a tree needs; a refusal raises 403."""
    features = (["ivr.multilevel"] if tree.multilevel else []) + ["tts.synthesize"]
    for feature in features:
        entitlements.check(
            session=session,
            policy=policy,
            principal=principal,
            device_id=device.id,
            feature=feature,
            at=at,
        )


def options_of(row: IvrMenu) -> dict[str, dict[str, str]]:
    value: dict[str, dict[str, str]] = json.loads(row.options_json)
    return value


def list_menus(*, session: Session, device: Device) -> list[IvrMenu]:
    """The device's menus in the order they were given (none: an empty list)."""
    stmt = select(IvrMenu).where(IvrMenu.device_id == device.id).order_by(IvrMenu.position)
    return list(session.scalars(stmt))


def get_tree(*, session: Session, device: Device) -> list[IvrMenu]:
    """Like :func:`list_menus`, but a device without an IVR is a 404."""
    rows = list_menus(session=session, device=device)
    if not rows:
        raise NotFound("The device has no IVR menus.", code="IVR_NOT_FOUND")
    return rows


def get_menu(*, session: Session, device: Device, name: str) -> IvrMenu:
    row = session.scalars(
        select(IvrMenu).where(IvrMenu.device_id == device.id, IvrMenu.name == name)
    ).first()
    if row is None:
        raise NotFound(f"The device has no IVR menu {name!r}.", code="IVR_MENU_NOT_FOUND")
    return row


def replace_tree(
    *, session: Session, device: Device, tree: Tree, render_keys: Mapping[str, str]
) -> list[IvrMenu]:
    """Store ``tree`` as the device's whole IVR, in this transaction.

    Menus kept under the same name are updated in place, so an unchanged menu keeps its
    finished check (same render key); removed menus are deleted.
    """
    old = {
        row.name: row
        for row in session.scalars(select(IvrMenu).where(IvrMenu.device_id == device.id))
    }
    keep = {m.name for m in tree.menus}
    gone = [name for name in old if name not in keep]
    if gone:
        session.execute(
            delete(IvrMenu).where(IvrMenu.device_id == device.id, IvrMenu.name.in_(gone))
        )
    rows: list[IvrMenu] = []
    for position, menu in enumerate(tree.menus):
        row = old.get(menu.name)
        if row is None:
            row = IvrMenu(
                id=new_id(), customer_id=device.customer_id, device_id=device.id, name=menu.name
            )
            session.add(row)
        row.is_root = menu.name == tree.root
        row.position = position
        row.text, row.timeout_text, row.invalid_text = (
            menu.text,
            menu.timeout_text,
            menu.invalid_text,
        )
        row.ssml, row.language, row.voice = tree.ssml, tree.language, tree.voice
        row.options_json = json.dumps(
            {d: t.as_dict() for d, t in menu.options.items()}, ensure_ascii=False
        )
        row.timeout_s = menu.timeout_s
        row.updated_at = utcnow()
        mark_pending(row, render_keys.get(menu.name))
        rows.append(row)
    session.flush()
    return rows


def delete_tree(*, session: Session, device: Device) -> None:
    get_tree(session=session, device=device)  # 404 when there is none
    session.execute(delete(IvrMenu).where(IvrMenu.device_id == device.id))
